// The registry: posts with their staffing, appointments with their history
// and the steps of the procedure the signed-in user's role may take.
import { t, h, api, apiList, session, table, badge, fmtTime, field, labelled, toast, errorBox } from '../lib.js';

function staffingBar(used, approved) {
  const pct = approved > 0 ? Math.min(100, Math.round((100 * used) / approved)) : 0;
  return h('span.staff', null,
    h('span.bar', { role: 'img', 'aria-label': used + ' / ' + approved },
      h('span.fill' + (used >= approved ? '.full' : ''), { 'data-pct': pct, style: null })),
    ' ' + used + ' / ' + approved);
}

// CSP forbids inline styles, so bar widths are set through the CSSOM.
function sizeBars(root) {
  for (const el of root.querySelectorAll('[data-pct]')) el.style.width = el.dataset.pct + '%';
  return root;
}

export async function posts() {
  const [list, staffing] = await Promise.all([apiList('/posts'), api('GET', '/staffing')]);
  const rows = list.map((p) => h('tr', null,
    h('td', null, h('a', { href: '#/posts/' + encodeURIComponent(p.id) }, p.id)),
    h('td', null, p.kind === 'org' ? p.host : p.host + ' — ' + (p.mission || '')),
    h('td', null, p.city),
    h('td', null, p.fields.map((f) => badge(field(f), 'field'))),
    h('td', null, staffingBar(p.used, p.staffing))));
  return sizeBars(h('section', null,
    h('h1', null, t('posts_title')),
    h('p.lead', null, t('service_staffing', { used: staffing.used, level: staffing.level }),
      ' ', staffingBar(staffing.used, staffing.level)),
    table([t('col_id'), t('post_host'), t('post_city'), t('post_fields'), t('post_staffing')], rows)));
}

export async function post(id) {
  const p = await api('GET', '/posts/' + encodeURIComponent(id));
  return sizeBars(h('section', null,
    h('p', null, h('a', { href: '#/posts' }, '← ' + t('back'))),
    h('h1', null, p.id),
    h('dl.facts', null,
      h('dt', null, t('post_kind')), h('dd', null, t(p.kind === 'org' ? 'post_kind_org' : 'post_kind_state')),
      h('dt', null, t('post_host')), h('dd', null, p.host),
      h('dt', null, t('post_city')), h('dd', null, p.city),
      h('dt', null, t('post_mission')), h('dd', null, p.mission || t('none')),
      h('dt', null, t('post_fields')), h('dd', null, p.fields.map((f) => badge(field(f), 'field'))),
      h('dt', null, t('post_staffing')), h('dd', null, staffingBar(p.used, p.staffing))),
    h('h2', null, t('appts_title')),
    apptTable(p.appointments || [])));
}

function statusBadge(s) {
  const kind = { appointed: 'ok', ended: 'muted', refused: 'bad' }[s] || 'pending';
  return badge(t('status_' + s), kind);
}

function apptTable(list) {
  return table([t('col_id'), t('appt_person'), t('appt_post'), t('appt_field'), t('appt_status'), t('appt_term')],
    list.map((a) => h('tr', null,
      h('td', null, h('a', { href: '#/appointments/' + a.id }, String(a.id))),
      h('td', null, a.person_name + ' (' + a.person + ')'),
      h('td', null, a.post),
      h('td', null, field(a.field)),
      h('td', null, statusBadge(a.status)),
      h('td', null, (a.start || t('none')) + ' – ' + (a.end || t('none'))))));
}

function proposeForm(onDone) {
  const person = h('input', { name: 'person', required: true });
  const postI = h('input', { name: 'post', required: true });
  const fieldS = h('select', { name: 'field' },
    ['terrorism', 'organized-crime', 'cybercrime'].map((f) => h('option', { value: f }, field(f))));
  const start = h('input', { name: 'start', placeholder: 'YYYY-MM-DD', pattern: '\\d{4}-\\d{2}-\\d{2}' });
  const end = h('input', { name: 'end', placeholder: 'YYYY-MM-DD', pattern: '\\d{4}-\\d{2}-\\d{2}' });
  const reason = h('textarea', { name: 'reason', rows: 2 });
  const out = h('div');
  return h('details.card', null, h('summary', null, t('appt_propose')),
    h('form', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        out.replaceChildren();
        const body = { person: person.value.trim(), post: postI.value.trim(), field: fieldS.value };
        if (start.value) body.start = start.value;
        if (end.value) body.end = end.value;
        if (reason.value) body.reason = reason.value;
        try {
          const r = await api('POST', '/appointments', body);
          toast(t('appt_proposed', { id: r.id }));
          onDone(r.id);
        } catch (e) { out.appendChild(errorBox(e)); }
      },
    },
    labelled(t('appt_person'), person), labelled(t('appt_post'), postI), labelled(t('appt_field'), fieldS),
    labelled(t('appt_start'), start), labelled(t('appt_end'), end), labelled(t('reason'), reason),
    out, h('button', { type: 'submit' }, t('appt_propose_submit'))));
}

export async function appointments() {
  const q = new URLSearchParams(location.search);
  const status = q.get('status') || '';
  const list = await apiList('/appointments' + (status ? '?status=' + encodeURIComponent(status) : ''));
  const section = h('section', null, h('h1', null, t('appts_title')));
  if (session.user.role === 'head') {
    section.appendChild(proposeForm((id) => { location.hash = '#/appointments/' + id; }));
  }
  section.appendChild(apptTable(list));
  return section;
}

// The step each status waits for, and the role that takes it. This only
// decides which buttons to show; the server enforces the procedure.
const NEXT = {
  proposed: { roles: ['mfa'], steps: ['agree', 'refuse'] },
  'mfa-agreed': { roles: ['president'], steps: ['agree', 'refuse'] },
  'president-agreed': { roles: ['head'], steps: ['make'] },
  appointed: { roles: ['head'], steps: ['end'] },
};

function stepButtons(a, reload) {
  const next = NEXT[a.status];
  const me = session.user;
  if (!next || !next.roles.includes(me.role) || a.person === me.id ||
      ((next.steps.includes('agree')) && a.proposer === me.id)) return null;
  const reason = h('textarea', { name: 'reason', rows: 2 });
  const out = h('div');
  const needsReason = (s) => s === 'refuse' || s === 'end';
  const run = async (step) => {
    out.replaceChildren();
    if (needsReason(step) && !reason.value.trim()) {
      out.appendChild(h('p.error', { role: 'alert' }, t('reason_required')));
      reason.focus();
      return;
    }
    const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
    try {
      await api('POST', '/appointments/' + a.id + '/' + step, body);
      toast(t('step_done', { step: t('act_' + step) }));
      reload();
    } catch (e) { out.appendChild(errorBox(e)); }
  };
  return h('div.card.actions', null,
    labelled(t('reason'), reason),
    out,
    h('div.buttons', null, next.steps.map((s) =>
      h('button' + (s === 'refuse' || s === 'end' ? '.danger' : ''), { type: 'button', 'data-step': s, onclick: () => run(s) }, t('act_' + s)))));
}

export async function appointment(id) {
  const a = await api('GET', '/appointments/' + id);
  const wrap = h('section');
  const reload = async () => {
    const view = await appointment(id);
    wrap.replaceWith(view);
  };
  wrap.append(
    h('p', null, h('a', { href: '#/appointments' }, '← ' + t('back'))),
    h('h1', null, t('appt_title', { id: a.id }), ' ', statusBadge(a.status)),
    h('dl.facts', null,
      h('dt', null, t('appt_person')), h('dd', null, a.person_name + ' (' + a.person + ')'),
      h('dt', null, t('appt_post')), h('dd', null, h('a', { href: '#/posts/' + encodeURIComponent(a.post) }, a.post)),
      h('dt', null, t('appt_field')), h('dd', null, field(a.field)),
      h('dt', null, t('appt_term')), h('dd', null, (a.start || t('none')) + ' – ' + (a.end || t('none')))),
    h('h2', null, t('appt_history')),
    h('ol.timeline', null, (a.history || []).map((s) => h('li', null,
      h('strong', null, t('step_' + s.step)),
      h('span.muted', null, ' ' + t('by_at', { actor: s.actor, role: s.role, at: fmtTime(s.at) })),
      s.reason ? h('p', null, s.reason) : null))),
    stepButtons(a, reload));
  return wrap;
}
