// The exchange: inbox (overdue first), message view, compose with structured
// entities validated as you type, cases and hits.
import { t, h, api, apiList, session, table, badge, fmtTime, field, labelled, toast, errorBox } from '../lib.js';

function prioBadge(p) {
  return badge(t('prio_' + p), { immediate: 'bad', urgent: 'warn' }[p] || 'muted');
}

export async function inbox() {
  // The library orders the inbox: overdue first, then newest first.
  const items = await apiList('/inbox');
  return h('section', null, h('h1', null, t('inbox_title')),
    table([t('msg_priority'), t('msg_deadline'), t('msg_subject'), t('msg_from'), t('msg_handling'), t('msg_state')],
      items.map((m) => h('tr' + (m.overdue ? '.late' : ''), { 'data-id': m.id }, 
        h('td', null, prioBadge(m.priority), m.overdue ? badge(t('overdue'), 'bad') : null),
        h('td', null, fmtTime(m.deadline)),
        h('td', null, h('a', { href: '#/messages/' + encodeURIComponent(m.id) }, m.subject || ('#' + m.id))),
        h('td', null, (m.sender_unit || '') + (m.sender ? ' (' + m.sender + ')' : '')),
        h('td', null, badge(m.handling || 'H0', 'handling')),
        h('td', null, m.status === 'held' ? badge(t('held'), 'warn') : (m.my_state || m.status || t('none')))))));
}

function entityText(e) {
  if (!e) return t('none');
  if (e.name) return e.type + ': ' + e.name + (e.dob ? ' (' + e.dob + ')' : '') + (e.nationality ? ' ' + e.nationality : '');
  return e.type + ': ' + (e.value || e.canon || '');
}

function explain(x) {
  const e = x.explanation || {};
  if (e.rule) return t('hit_rule', { rule: e.rule, score: e.score });
  const pairs = (e.pairs || []).map((p) => (p.b ? p.a + '≈' + p.b : p.a) + ' ' + Math.round((p.sim || 0) * 100) + '%');
  return t('hit_score', { score: Math.round((x.score || e.score || 0) * 100) }) + (pairs.length ? ' — ' + pairs.join(', ') : '');
}

export async function message(id) {
  const [m, allHits] = await Promise.all([api('GET', '/messages/' + encodeURIComponent(id)),
    apiList('/hits').catch(() => [])]);
  const hits = allHits.filter((x) => x.mine && String(x.mine.message) === String(m.id));
  const out = h('div');
  const to = h('input', { placeholder: 'post/…', id: 'msg-to' });
  const act = (path, body) => async () => {
    try { await api('POST', '/messages/' + encodeURIComponent(id) + '/' + path, body ? body() : {}); toast(t('done')); }
    catch (e) { out.replaceChildren(errorBox(e)); }
  };
  const mine = session.user && m.sender === session.user.id;
  return h('section', null,
    h('p', null, h('a', { href: '#/inbox' }, '← ' + t('back'))),
    h('h1', null, m.subject || ('#' + m.id)),
    h('div.banner', null, badge(m.handling || 'H0', 'handling big'),
      m.handling_text ? h('span.h3text', null, m.handling_text) : null,
      badge(t('msg_evaluation') + ' ' + (m.evaluation || ((m.source || '?') + (m.information || '?'))), 'eval big'),
      prioBadge(m.priority), m.overdue ? badge(t('overdue'), 'bad') : null,
      m.status === 'held' ? badge(t('held'), 'warn') : null),
    h('dl.facts', null,
      h('dt', null, t('msg_type')), h('dd', null, m.type),
      h('dt', null, t('msg_from')), h('dd', null, (m.sender_unit || '') + ' (' + (m.sender || '') + ')'),
      h('dt', null, t('msg_to')), h('dd', null, (m.to || []).map((r) => r.unit + ' — ' + r.state).join(', ')),
      h('dt', null, t('msg_case')), h('dd', null, h('a', { href: '#/cases/' + encodeURIComponent(m.case) }, '#' + m.case)),
      h('dt', null, t('msg_purpose')), h('dd', null, m.purpose || t('none')),
      h('dt', null, t('msg_deadline')), h('dd', null, fmtTime(m.deadline))),
    h('h2', null, t('msg_body')), h('pre.body', null, m.body || ''),
    m.preservation ? h('div', null, h('h2', null, t('compose_preservation')),
      h('dl.facts', null, Object.entries(m.preservation).map(([k, v]) => [h('dt', null, k), h('dd', null, String(v))]))) : null,
    h('h2', null, t('msg_entities')),
    table([t('compose_entity_type'), t('compose_entity_value')], (m.entities || []).map((e) =>
      h('tr', null, h('td', null, e.type), h('td', null, e.value || e.name || '', e.dob ? ' · ' + e.dob : '', e.nationality ? ' · ' + e.nationality : '')))),
    h('h2', null, t('msg_hits')),
    table([t('hit_entity'), t('hit_other'), t('hit_explain'), t('hit_contact')], hits.map((x) =>
      h('tr.hit', null, h('td', null, entityText(x.mine)), h('td', null, (x.other && (x.other.unit || x.other.list)) || t('none')),
        h('td', null, explain(x)), h('td', null, (x.other && x.other.how_to_ask) || t('none'))))),
    h('h2', null, t('msg_thread')),
    h('ol.thread', null, (m.thread || []).map((x) => h('li', null,
      h('a', { href: '#/messages/' + encodeURIComponent(x.id), 'aria-current': String(x.id) === String(m.id) ? 'page' : null },
        (x.subject || ('#' + x.id))), ' — ' + (x.sender_unit || '') + ' · ' + fmtTime(x.created)))),
    out,
    h('div.buttons', null,
      mine ? null : h('button', { type: 'button', id: 'msg-ack', onclick: act('ack') }, t('msg_ack')),
      mine ? null : h('a.button', { id: 'msg-reply', href: '#/compose?reply=' + encodeURIComponent(id) + '&case=' + encodeURIComponent(m.case) +
        '&to=' + encodeURIComponent(m.sender_unit || '') + '&field=' + encodeURIComponent(m.field || '') }, t('msg_reply')),
      labelled(t('msg_forward_to'), to),
      h('button.secondary', { type: 'button', onclick: act('forward', () => ({ to: to.value.trim() })) }, t('msg_forward')),
      mine ? h('button.secondary', { type: 'button', onclick: act('permit', () => ({ to: to.value.trim() })) }, t('msg_permit')) : null));
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
const ENTITY_TYPES = ['person', 'organization', 'phone', 'iban', 'email', 'ip', 'cidr', 'domain', 'url', 'btc', 'eth', 'document', 'vehicle'];

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
  const myCases = await apiList('/cases').catch(() => []);
  const f = {
    case: h('select', { name: 'case', id: 'compose-case', required: true },
      myCases.filter((c) => c.status === 'open').map((c) => h('option', { value: c.id }, '#' + c.id + ' ' + c.title + ' (' + field(c.field) + ')'))),
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
    facts: h('textarea', { rows: 2 }), days: h('input', { type: 'number', min: 60, max: 365, value: 90 }),
  };
  const pres = h('fieldset', { hidden: true }, h('legend', null, t('compose_preservation')),
    labelled(t('compose_p_authority'), p.authority), labelled(t('compose_p_offence'), p.offence),
    labelled(t('compose_p_facts'), p.facts), labelled(t('compose_p_days'), p.days),
    labelled(t('compose_p_data'), p.data), labelled(t('compose_p_custodian'), p.custodian),
    labelled(t('compose_p_necessity'), p.necessity), labelled(t('compose_p_mla'), p.mla));
  f.type.addEventListener('change', () => { pres.hidden = f.type.value !== 'preservation'; });
  if (params.get('reply')) f.type.value = 'reply';
  if (params.get('case')) {
    if (![...f.case.options].some((o) => o.value === params.get('case'))) f.case.appendChild(h('option', { value: params.get('case') }, '#' + params.get('case')));
    f.case.value = params.get('case');
  }
  if (params.get('to')) f.to.value = params.get('to');
  if (params.get('field')) f.field.value = params.get('field');
  // The field follows the case chosen.
  f.case.addEventListener('change', () => {
    const c = myCases.find((x) => String(x.id) === f.case.value);
    if (c) f.field.value = c.field;
  });
  if (!params.get('field') && myCases.length) f.field.value = (myCases.find((x) => String(x.id) === f.case.value) || myCases[0]).field;
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
        case: Number(f.case.value), type: f.type.value,
        to: f.to.value.split('\n').map((s) => s.trim()).filter(Boolean),
        field: f.field.value, handling: f.handling.value, source: f.source.value,
        information: Number(f.information.value), priority: f.priority.value,
        purpose: f.purpose.value.trim(), subject: f.subject.value.trim(), body: f.body.value,
        entities: rows.map((r) => r.read()),
      };
      if (f.handling_text.value) msg.handling_text = f.handling_text.value;
      if (params.get('reply')) msg.in_reply_to = Number(params.get('reply'));
      if (msg.type === 'preservation') {
        msg.preservation = { authority: p.authority.value, offence: p.offence.value, facts: p.facts.value,
          data: p.data.value, custodian: p.custodian.value, necessity: p.necessity.value,
          mlat_intent: p.mla.checked, days: Number(p.days.value) };
      }
      try {
        const r = await api('POST', '/messages', msg);
        const why = (r.reasons || []).map((x) => (typeof x === 'string' ? x : x.kind + (x.terms ? ': ' + x.terms.join(', ') : ''))).join('; ');
        toast(r.held ? t('compose_held', { id: r.id, reasons: why }) : t('compose_sent', { id: r.id }) + (r.hits ? ' ' + t('compose_hits', { n: r.hits }) : ''));
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
      list.map((c) => h('tr', null, h('td', null, String(c.id)), h('td', null, h('a', { href: '#/cases/' + encodeURIComponent(c.id) }, c.title)), h('td', null, field(c.field)),
        h('td', null, c.owner || c.owner_unit || t('none')), h('td', null, c.status || t('none')), h('td', null, c.review || c.review_date || t('none'))))));
}

export async function hits() {
  const list = await apiList('/hits');
  return h('section', null, h('h1', null, t('hits_title')),
    table([t('hit_entity'), t('hit_msg'), t('hit_other'), t('hit_explain'), t('hit_contact')],
      list.map((x) => h('tr.hit', null,
        h('td', null, entityText(x.mine)),
        h('td', null, x.mine && x.mine.message ? h('a', { href: '#/messages/' + encodeURIComponent(x.mine.message) }, '#' + x.mine.message) : t('none')),
        h('td', null, x.other ? (x.other.kind === 'watchlist' ? t('hit_list', { list: x.other.list || '' }) : (x.other.unit || t('none'))) : t('none')),
        h('td', null, explain(x)),
        h('td', null, (x.other && x.other.how_to_ask) || t('none'))))));
}

export async function caseView(id) {
  const c = await api('GET', '/cases/' + encodeURIComponent(id));
  return h('section', null, h('p', null, h('a', { href: '#/cases' }, '← ' + t('back'))),
    h('h1', null, '#' + c.id + ' ' + c.title),
    h('dl.facts', null,
      h('dt', null, t('compose_field')), h('dd', null, field(c.field)),
      h('dt', null, t('case_owner')), h('dd', null, c.owner_unit + ' (' + c.owner + ')'),
      h('dt', null, t('case_purpose')), h('dd', null, c.purpose),
      h('dt', null, t('case_legal_basis')), h('dd', null, c.legal_basis),
      h('dt', null, t('case_review')), h('dd', null, c.review_date || t('none'))),
    h('h2', null, t('msg_thread')),
    table([t('col_id'), t('msg_subject'), t('msg_from'), t('msg_handling'), t('msg_deadline')],
      (c.messages || []).map((m) => h('tr', null, h('td', null, String(m.id)),
        h('td', null, h('a', { href: '#/messages/' + encodeURIComponent(m.id) }, m.subject || '#' + m.id)),
        h('td', null, m.sender_unit || ''), h('td', null, badge(m.handling || 'H0', 'handling')),
        h('td', null, fmtTime(m.deadline))))),
    h('a.button', { href: '#/compose?case=' + encodeURIComponent(c.id) + '&field=' + encodeURIComponent(c.field) }, t('nav_compose')));
}
