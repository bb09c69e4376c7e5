// Oversight: the audit log and its verification, the review queue of held
// messages, and the register of protected persons.
import { t, h, api, apiList, table, fmtTime, labelled, toast, errorBox, badge } from '../lib.js';

export async function audit() {
  const tbody = h('tbody');
  const more = h('button.secondary', { type: 'button' }, t('more'));
  const result = h('div', { 'aria-live': 'polite', id: 'verify-result' });
  let cursor = null;
  const load = async () => {
    const page = await api('GET', '/audit?limit=50' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    for (const e of page.items) {
      tbody.appendChild(h('tr', null,
        h('td.num', null, String(e.seq)), h('td', null, fmtTime(e.ts)), h('td', null, e.actor || t('none')),
        h('td', null, h('code', null, e.action)), h('td', null, e.object || t('none'))));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => load().catch((e) => result.replaceChildren(errorBox(e))));
  const verify = h('button', {
    type: 'button', id: 'verify',
    onclick: async () => {
      verify.disabled = true;
      result.replaceChildren(h('p.muted', null, t('audit_verifying')));
      try {
        const r = await api('POST', '/audit/verify', {});
        result.replaceChildren(r.ok
          ? h('div.card.good', null, h('p', null, t('audit_ok', { entries: r.entries, heads: r.heads })),
            h('p.mono', null, t('audit_root', { root: r.root })))
          : h('div.card.bad', { role: 'alert' }, h('p', null, t('audit_bad', { reason: r.reason, entry: r.bad_entry }))));
      } catch (e) { result.replaceChildren(errorBox(e)); }
      verify.disabled = false;
    },
  }, t('audit_verify'));
  await load();
  return h('section', null,
    h('h1', null, t('audit_title')),
    h('div.toolbar', null, verify), result,
    h('table', null, h('thead', null, h('tr', null,
      [t('audit_seq'), t('audit_ts'), t('audit_actor'), t('audit_action'), t('audit_object')].map((x) => h('th', { scope: 'col' }, x)))),
    tbody),
    more);
}

function decide(id, action, reload) {
  const reason = h('textarea', { rows: 2 });
  const out = h('div');
  return h('div.buttons', null, labelled(t('reason'), reason), out,
    h('button' + (action === 'reject' ? '.danger' : ''), {
      type: 'button',
      onclick: async () => {
        if (!reason.value.trim()) { out.replaceChildren(h('p.error', null, t('reason_required'))); return; }
        try {
          await api('POST', '/reviews/' + encodeURIComponent(id) + '/' + action, { reason: reason.value.trim() });
          toast(t('done'));
          reload();
        } catch (e) { out.replaceChildren(errorBox(e)); }
      },
    }, t('review_' + action)));
}

function reasonText(r) {
  if (typeof r === 'string') return r;
  if (r.kind === 'protected-unreadable') return t('review_reason_protected_unreadable');
  if (r.kind === 'protected-unchecked') return t('review_reason_protected_unchecked', { where: r.where });
  if (r.kind === 'protected-person' && r.where && r.after_delivery) return t('review_reason_protected_text_after', { register: r.register, where: r.where, score: Math.round((r.score || 0) * 100) + '%' });
  if (r.kind === 'protected-person' && r.where) return t('review_reason_protected_text', { register: r.register, where: r.where, score: Math.round((r.score || 0) * 100) + '%' });
  if (r.kind === 'protected-person' && r.after_delivery) return t('review_reason_protected_after', { register: r.register, entity: r.entity, score: Math.round((r.score || 0) * 100) + '%' });
  if (r.kind === 'protected-person') return t('review_reason_protected', { register: r.register, entity: r.entity, score: Math.round((r.score || 0) * 100) + '%' });
  if (r.terms) return t('review_reason_neutral', { terms: r.terms.map((x) => (typeof x === 'string' ? x : x.term || JSON.stringify(x))).join(', ') });
  return Object.entries(r).map(([k, v]) => k + ': ' + (typeof v === 'object' ? JSON.stringify(v) : v)).join(', ');
}

export async function reviews() {
  const items = await apiList('/reviews');
  const section = h('section', null, h('h1', null, t('reviews_title')));
  if (!items.length) section.appendChild(h('p.muted', null, t('empty')));
  for (const m of items) {
    const card = h('article.card', { 'data-id': m.id },
      h('h2', null, m.subject || ('#' + m.id)),
      h('p.muted', null, t('review_from', { unit: m.sender_unit || '', user: m.sender || '', case: m.case, field: m.field || '' })),
      h('p', null, m.purpose || ''),
      h('h3', null, t('review_reasons')),
      h('ul.reasons', null, (m.reasons || []).map((r) => h('li', null, reasonText(r)))));
    const reload = () => { location.hash = '#/reviews'; window.dispatchEvent(new HashChangeEvent('hashchange')); };
    card.append(decide(m.id, 'release', reload), decide(m.id, 'reject', reload));
    section.appendChild(card);
  }
  return section;
}

export async function protectedPersons() {
  const section = h('section', null, h('h1', null, t('protected_title')));
  const name = h('input', { required: true });
  const dob = h('input', { placeholder: 'YYYY-MM-DD' });
  const category = h('select', null, ['refugee', 'journalist', 'human-rights-defender', 'political-emigrant'].map((c) => h('option', { value: c }, c)));
  const reason = h('textarea', { rows: 2 });
  const out = h('div');
  section.appendChild(h('details.card', null, h('summary', null, t('protected_add')),
    h('form', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const body = { name: name.value.trim(), category: category.value, reason: reason.value.trim() };
          if (dob.value) body.dob = dob.value;
          const res = await api('POST', '/protected', body);
          const held = (res && res.held) || [], flagged = (res && res.flagged) || [];
          toast(held.length || flagged.length
            ? t('protected_rescreened', { held: held.length, flagged: flagged.length })
            : t('done'));
          if (res && res.rescan_error) toast(t('protected_rescan_stopped', { error: res.rescan_error }));
          else if (res && res.rescan_finished === false) toast(t('protected_rescan_background'));
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        } catch (e) { out.replaceChildren(errorBox(e)); }
      },
    }, labelled(t('protected_name'), name), labelled(t('protected_dob'), dob),
    labelled(t('protected_category'), category), labelled(t('reason'), reason), out,
    h('button', { type: 'submit' }, t('save')))));
  const list = await apiList('/protected');
  const rescanText = (r) => (!r ? t('none')
    : r.finished && !r.of ? t('protected_rescan_nothing')
    : r.finished ? t('protected_rescan_done', { held: r.held, read: r.of })
      : t('protected_rescan_partial', { read: r.read, of: r.of }));
  section.appendChild(table([t('col_id'), t('protected_name'), t('protected_dob'), t('protected_category'), t('protected_rescan')],
    list.map((p) => h('tr', null, h('td', null, String(p.id)), h('td', null, p.name),
      h('td', null, p.dob || t('none')), h('td', null, badge(p.category || t('none'))),
      h('td.rescan', null, rescanText(p.rescan))))));
  if (list.some((p) => p.rescan && !p.rescan.finished)) {
    section.appendChild(h('button', {
      type: 'button',
      onclick: async () => {
        try {
          const res = await api('POST', '/protected/rescan', {});
          toast(t('protected_rescan_result', { held: (res.held || []).length, flagged: (res.flagged || []).length }));
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        } catch (e) { out.replaceChildren(errorBox(e)); }
      },
    }, t('protected_rescan_go_on')));
  }
  return section;
}
