// The exchange: inbox (overdue first), message view, compose with structured
// entities validated as you type, cases and hits.
import { t, h, api, apiList, session, table, badge, fmtTime, field, labelled, toast, errorBox } from '../lib.js';

function prioBadge(p) {
  return badge(t('prio_' + p), { immediate: 'bad', urgent: 'warn' }[p] || 'muted');
}

export async function inbox() {
  const [items, overdue] = await Promise.all([apiList('/inbox'), apiList('/overdue').catch(() => [])]);
  const late = new Set(overdue.map((m) => String(m.id)));
  const sorted = [...items].sort((a, b) => (late.has(String(b.id)) - late.has(String(a.id))) ||
    String(a.deadline || '9').localeCompare(String(b.deadline || '9')));
  return h('section', null, h('h1', null, t('inbox_title')),
    table([t('msg_priority'), t('msg_deadline'), t('msg_subject'), t('msg_from'), t('msg_handling'), t('msg_state')],
      sorted.map((m) => h('tr' + (late.has(String(m.id)) ? '.late' : ''), null,
        h('td', null, prioBadge(m.priority), late.has(String(m.id)) ? badge(t('overdue'), 'bad') : null),
        h('td', null, fmtTime(m.deadline)),
        h('td', null, h('a', { href: '#/messages/' + encodeURIComponent(m.id) }, m.subject || ('#' + m.id))),
        h('td', null, m.from || t('none')),
        h('td', null, badge(m.handling || 'H0', 'handling')),
        h('td', null, m.state || t('none'))))));
}

export async function message(id) {
  const m = await api('GET', '/messages/' + encodeURIComponent(id));
  const out = h('div');
  const to = h('input', { placeholder: 'post/…' });
  const act = (path, body) => async () => {
    try { await api('POST', '/messages/' + encodeURIComponent(id) + '/' + path, body ? body() : {}); toast(t('done')); }
    catch (e) { out.replaceChildren(errorBox(e)); }
  };
  return h('section', null,
    h('p', null, h('a', { href: '#/inbox' }, '← ' + t('back'))),
    h('h1', null, m.subject || ('#' + m.id)),
    h('div.banner', null, badge(m.handling || 'H0', 'handling big'),
      m.handling_text ? h('span.h3text', null, m.handling_text) : null,
      badge(t('msg_evaluation') + ' ' + (m.source || '?') + (m.information || '?'), 'eval big'),
      prioBadge(m.priority), m.held ? badge(t('held'), 'warn') : null),
    h('dl.facts', null,
      h('dt', null, t('msg_type')), h('dd', null, m.type),
      h('dt', null, t('msg_from')), h('dd', null, m.from || t('none')),
      h('dt', null, t('msg_to')), h('dd', null, (m.to || []).join(', ')),
      h('dt', null, t('msg_case')), h('dd', null, String(m.case || t('none'))),
      h('dt', null, t('msg_deadline')), h('dd', null, fmtTime(m.deadline))),
    h('h2', null, t('msg_body')), h('pre.body', null, m.body || ''),
    h('h2', null, t('msg_entities')),
    table([t('compose_entity_type'), t('compose_entity_value')], (m.entities || []).map((e) =>
      h('tr', null, h('td', null, e.type), h('td', null, e.value || e.name || ''))) ),
    h('h2', null, t('msg_hits')),
    table([t('hit_entity'), t('hit_other'), t('hit_explain')], (m.hits || []).map((x) =>
      h('tr', null, h('td', null, x.entity || ''), h('td', null, x.holder || x.unit || ''), h('td', null, x.explanation || '')))),
    h('h2', null, t('msg_thread')),
    h('ol', null, (m.thread || []).map((x) => h('li', null, h('a', { href: '#/messages/' + encodeURIComponent(x.id) }, x.subject || ('#' + x.id))))),
    out,
    h('div.buttons', null,
      h('button', { type: 'button', onclick: act('ack') }, t('msg_ack')),
      h('a.button', { href: '#/compose?reply=' + encodeURIComponent(id) }, t('msg_reply')),
      labelled(t('msg_forward'), to),
      h('button.secondary', { type: 'button', onclick: act('forward', () => ({ to: to.value.trim() })) }, t('msg_forward')),
      h('button.secondary', { type: 'button', onclick: act('permit', () => ({ to: to.value.trim() })) }, t('msg_permit'))));
}

// Client-side checks give feedback while typing; the server decides.
const CHECKS = {
  iban: (v) => {
    const s = v.replace(/\s+/g, '').toUpperCase();
    if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s)) return false;
    const r = s.slice(4) + s.slice(0, 4);
    let m = 0;
    for (const ch of r) {
      const d = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch;
      for (const x of d) m = (m * 10 + Number(x)) % 97;
    }
    return m === 1;
  },
  email: (v) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v),
  phone: (v) => /^\+[1-9][\d ()-]{6,20}$/.test(v),
  ip: (v) => /^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9a-fA-F:]+(\/\d{1,3})?)$/.test(v),
};
const CHECK_MSG = { iban: 'v_iban', email: 'v_email', phone: 'v_phone', ip: 'v_ip' };
const ENTITY_TYPES = ['person', 'organization', 'phone', 'email', 'iban', 'ip', 'domain', 'url', 'wallet', 'vehicle', 'document'];

function entityRow(list) {
  const type = h('select', { 'aria-label': t('compose_entity_type') }, ENTITY_TYPES.map((x) => h('option', { value: x }, x)));
  const value = h('input', { 'aria-label': t('compose_entity_value'), placeholder: t('compose_entity_name') });
  const dob = h('input', { 'aria-label': t('compose_entity_dob'), placeholder: 'YYYY-MM-DD' });
  const nat = h('input', { 'aria-label': t('compose_entity_nat'), placeholder: 'AZ', size: 3 });
  const msg = h('span.field-error', { 'aria-live': 'polite' });
  const row = h('div.entity', null, type, value, dob, nat, msg);
  const check = () => {
    const c = CHECKS[type.value];
    const bad = value.value && c && !c(value.value.trim());
    msg.textContent = bad ? t(CHECK_MSG[type.value]) : '';
    value.setAttribute('aria-invalid', bad ? 'true' : 'false');
    dob.hidden = nat.hidden = type.value !== 'person';
    value.placeholder = type.value === 'person' ? t('compose_entity_name') : t('compose_entity_value');
  };
  type.addEventListener('change', check);
  value.addEventListener('input', check);
  row.appendChild(h('button.secondary', { type: 'button', onclick: () => row.remove() }, t('compose_remove')));
  row.read = () => (type.value === 'person'
    ? Object.assign({ type: 'person', name: value.value.trim() }, dob.value ? { dob: dob.value } : {}, nat.value ? { nationality: nat.value.trim() } : {})
    : { type: type.value, value: value.value.trim() });
  row.bad = () => value.getAttribute('aria-invalid') === 'true' || !value.value.trim();
  check();
  list.appendChild(row);
  return row;
}

export async function compose() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const sel = (name, opts) => h('select', { name }, opts.map(([v, l]) => h('option', { value: v }, l)));
  const f = {
    case: h('input', { name: 'case', required: true }),
    type: sel('type', ['request', 'reply', 'information', 'alert', 'preservation'].map((x) => [x, x])),
    to: h('textarea', { name: 'to', rows: 2, required: true }),
    field: sel('field', ['terrorism', 'organized-crime', 'cybercrime'].map((x) => [x, field(x)])),
    handling: sel('handling', ['H0', 'H1', 'H2', 'H3'].map((x) => [x, x])),
    handling_text: h('input', { name: 'handling_text' }),
    source: sel('source', ['A', 'B', 'C', 'X'].map((x) => [x, x])),
    information: sel('information', ['1', '2', '3', '4'].map((x) => [x, x])),
    priority: sel('priority', ['routine', 'urgent', 'immediate'].map((x) => [x, t('prio_' + x)])),
    purpose: h('input', { name: 'purpose', required: true }),
    subject: h('input', { name: 'subject', required: true }),
    body: h('textarea', { name: 'body', rows: 6 }),
  };
  const p = {
    authority: h('input'), offence: h('textarea', { rows: 2 }), data: h('textarea', { rows: 2 }),
    custodian: h('input'), necessity: h('textarea', { rows: 2 }), mla: h('input', { type: 'checkbox' }),
  };
  const pres = h('fieldset', { hidden: true }, h('legend', null, t('compose_preservation')),
    labelled(t('compose_p_authority'), p.authority), labelled(t('compose_p_offence'), p.offence),
    labelled(t('compose_p_data'), p.data), labelled(t('compose_p_custodian'), p.custodian),
    labelled(t('compose_p_necessity'), p.necessity), labelled(t('compose_p_mla'), p.mla));
  f.type.addEventListener('change', () => { pres.hidden = f.type.value !== 'preservation'; });
  if (params.get('reply')) f.type.value = 'reply';
  const toMsg = h('span.field-error', { 'aria-live': 'polite' });
  f.to.addEventListener('input', () => {
    const bad = f.to.value.split('\n').map((s) => s.trim()).filter(Boolean)
      .some((u) => !/^(hq\/(terrorism|organized-crime|cybercrime)|post\/[a-z0-9][a-z0-9._-]*|partner\/[a-z0-9][a-z0-9._-]*)$/.test(u));
    toMsg.textContent = bad ? t('v_unit') : '';
  });
  const entities = h('div.entities');
  const out = h('div');
  const form = h('form.card', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      out.replaceChildren();
      const rows = [...entities.children];
      if (toMsg.textContent || rows.some((r) => r.bad())) return;
      const msg = {
        case: f.case.value.trim(), type: f.type.value,
        to: f.to.value.split('\n').map((s) => s.trim()).filter(Boolean),
        field: f.field.value, handling: f.handling.value, source: f.source.value,
        information: Number(f.information.value), priority: f.priority.value,
        purpose: f.purpose.value.trim(), subject: f.subject.value.trim(), body: f.body.value,
        entities: rows.map((r) => r.read()),
      };
      if (f.handling_text.value) msg.handling_text = f.handling_text.value;
      if (params.get('reply')) msg.in_reply_to = params.get('reply');
      if (msg.type === 'preservation') {
        msg.preservation = { authority: p.authority.value, offence: p.offence.value, data: p.data.value,
          custodian: p.custodian.value, necessity: p.necessity.value, mla_intent: p.mla.checked };
      }
      try {
        const r = await api('POST', '/messages', msg);
        toast(r.held ? t('compose_held', { id: r.id, reasons: (r.reasons || []).join('; ') }) : t('compose_sent', { id: r.id }));
        location.hash = '#/messages/' + encodeURIComponent(r.id);
      } catch (e) { out.appendChild(errorBox(e)); }
    },
  },
  h('div.grid', null,
    labelled(t('compose_case'), f.case), labelled(t('compose_type'), f.type),
    labelled(t('compose_field'), f.field), labelled(t('compose_priority'), f.priority),
    labelled(t('compose_handling'), f.handling), labelled(t('compose_handling_text'), f.handling_text),
    labelled(t('compose_source'), f.source), labelled(t('compose_information'), f.information)),
  labelled(t('compose_to'), f.to), toMsg,
  labelled(t('compose_purpose'), f.purpose), labelled(t('compose_subject'), f.subject),
  labelled(t('compose_body'), f.body),
  h('fieldset', null, h('legend', null, t('compose_entities')), entities,
    h('button.secondary', { type: 'button', onclick: () => entityRow(entities) }, t('compose_add_entity'))),
  pres, out, h('button', { type: 'submit' }, t('compose_send')));
  return h('section', null, h('h1', null, t('compose_title')), form);
}

export async function cases() {
  const list = await apiList('/cases');
  const title = h('input', { required: true });
  const subarea = h('input');
  const purpose = h('input', { required: true });
  const legal = h('input', { required: true });
  const fieldS = h('select', null, ['terrorism', 'organized-crime', 'cybercrime'].map((x) => h('option', { value: x }, field(x))));
  const out = h('div');
  return h('section', null, h('h1', null, t('cases_title')),
    h('details.card', null, h('summary', null, t('case_open')),
      h('form', {
        onsubmit: async (ev) => {
          ev.preventDefault();
          try {
            const r = await api('POST', '/cases', { field: fieldS.value, title: title.value.trim(), subarea: subarea.value.trim() || undefined, purpose: purpose.value.trim(), legal_basis: legal.value.trim() });
            toast(t('case_opened', { id: r.id }));
            window.dispatchEvent(new HashChangeEvent('hashchange'));
          } catch (e) { out.replaceChildren(errorBox(e)); }
        },
      }, labelled(t('compose_field'), fieldS), labelled(t('case_title'), title), labelled(t('case_subarea'), subarea),
      labelled(t('case_purpose'), purpose), labelled(t('case_legal_basis'), legal), out,
      h('button', { type: 'submit' }, t('save')))),
    table([t('col_id'), t('case_title'), t('compose_field'), t('case_owner'), t('case_status'), t('case_review')],
      list.map((c) => h('tr', null, h('td', null, String(c.id)), h('td', null, c.title), h('td', null, field(c.field)),
        h('td', null, c.owner || c.owner_unit || t('none')), h('td', null, c.status || t('none')), h('td', null, c.review || c.review_date || t('none'))))));
}

export async function hits() {
  const list = await apiList('/hits');
  return h('section', null, h('h1', null, t('hits_title')),
    table([t('hit_entity'), t('hit_other'), t('hit_explain'), t('hit_contact')],
      list.map((x) => h('tr', null,
        h('td', null, x.entity ? (x.entity.type ? x.entity.type + ': ' + (x.entity.value || x.entity.name || '') : String(x.entity)) : t('none')),
        h('td', null, x.holder || x.other_unit || t('none')),
        h('td', null, x.explanation ? (Array.isArray(x.explanation) ? x.explanation.join('; ') : String(x.explanation)) : t('none')),
        h('td', null, x.contact || x.other_unit || t('none'))))));
}

