// The operational picture: charts drawn by the page as SVG from what the API
// gives the user (staffing by post; traffic per sending unit, per day and
// field, and hits per other holder, from /inbox and /hits). Data the user
// may not see is not charted.
import { t, h, svg, apiList, field } from '../lib.js';

const COLORS = { terrorism: '#c0392b', 'organized-crime': '#2c6e9b', cybercrime: '#7a5195', used: '#2c6e9b', free: '#d9e2ec' };

// Horizontal stacked bars: rows of {label, parts: [{key, value}]}.
function bars(rows, legend) {
  if (!rows.length) return h('p.muted', null, t('picture_none'));
  const max = Math.max(1, ...rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0)));
  const rowH = 22, labelW = 150, w = 640, plotW = w - labelW - 40;
  const g = svg('svg', { viewBox: `0 0 ${w} ${rows.length * rowH + 30}`, role: 'img', class: 'chart' });
  rows.forEach((r, i) => {
    const y = i * rowH + 4;
    g.appendChild(svg('text', { x: labelW - 6, y: y + 14, 'text-anchor': 'end', class: 'lbl' }, r.label));
    let x = labelW;
    for (const p of r.parts) {
      const bw = (p.value / max) * plotW;
      if (bw > 0) {
        g.appendChild(svg('rect', { x, y, width: bw, height: rowH - 6, fill: COLORS[p.key] || '#888' },
          svg('title', null, `${r.label}: ${p.key} ${p.value}`)));
      }
      x += bw;
    }
    g.appendChild(svg('text', { x: x + 4, y: y + 14, class: 'val' }, r.note || String(r.parts.reduce((s, p) => s + p.value, 0))));
  });
  const lg = h('ul.legend', null, legend.map(([k, l]) => h('li', null, h('span.swatch', { 'data-color': COLORS[k] }), l)));
  for (const el of lg.querySelectorAll('[data-color]')) el.style.background = el.dataset.color;
  return h('figure', null, g, lg);
}

export async function render() {
  const section = h('section', null, h('h1', null, t('picture_title')));
  const posts = await apiList('/posts');
  section.append(h('h2', null, t('picture_staffing')),
    bars(posts.map((p) => ({ label: p.id, note: p.used + ' / ' + p.staffing, parts: [{ key: 'used', value: p.used }, { key: 'free', value: Math.max(0, p.staffing - p.used) }] })),
      [['used', 'used'], ['free', 'free']]));
  try {
    const inbox = await apiList('/inbox', 2000);
    const zero = () => ({ terrorism: 0, 'organized-crime': 0, cybercrime: 0 });
    const by = new Map(), byDay = new Map();
    for (const m of inbox) {
      const k = m.sender_unit || '?';
      const d = String(m.created || '').slice(0, 10) || '?';
      if (!by.has(k)) by.set(k, zero());
      if (!byDay.has(d)) byDay.set(d, zero());
      if (by.get(k)[m.field] !== undefined) by.get(k)[m.field]++;
      if (byDay.get(d)[m.field] !== undefined) byDay.get(d)[m.field]++;
    }
    const fields = ['terrorism', 'organized-crime', 'cybercrime'].map((f) => [f, field(f)]);
    const rowsOf = (m) => [...m.entries()].map(([k, v]) => ({ label: k, parts: Object.entries(v).map(([key, value]) => ({ key, value })) }));
    section.append(h('h2', null, t('picture_traffic')), bars(rowsOf(by), fields),
      h('h2', null, t('picture_traffic_time')), bars(rowsOf(byDay).sort((a, b) => a.label.localeCompare(b.label)), fields));
    const hits = await apiList('/hits', 2000);
    // Hits per other holder (a unit, or a sanctions list), by the field of
    // the user's own message.
    const holder = (x) => (x.other && x.other.unit) || (x.other && x.other.entry && x.other.entry.list ? 'list ' + x.other.entry.list : t('picture_unknown'));
    const hb = new Map();
    for (const x of hits) {
      const k = holder(x);
      if (!hb.has(k)) hb.set(k, zero());
      const f = x.mine && x.mine.field;
      if (hb.get(k)[f] !== undefined) hb.get(k)[f]++;
    }
    section.append(h('h2', null, t('picture_hits')), bars(rowsOf(hb), fields));
  } catch (e) {
    section.append(h('h2', null, t('picture_traffic')), h('p.notice', null, t('not_available')));
  }
  return section;
}
