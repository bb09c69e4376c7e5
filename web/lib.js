// Shared helpers of the web interface: strings, DOM building (text only,
// never HTML from data), the API client with the session's CSRF token.
import en from './i18n/en.js';

const strings = en;

// t('key', {a: 1}) -> the string with {a} replaced.
export function t(key, vars) {
  let s = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  if (vars) {
    for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
  }
  return s;
}

// h('tag.class', {attr: value, onclick: fn}, child, ...): children are nodes
// or strings (set as text). Attributes are set with setAttribute, so data
// can never become markup.
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = String(v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// SVG elements for the charts.
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export const session = { user: null, csrf: null };

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// Calls the API; resolves to the parsed JSON (null for 204) or rejects with
// an ApiError. A 401 sends the user back to the login page.
export async function api(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  if (method !== 'GET' && session.csrf) opts.headers['X-CSRF-Token'] = session.csrf;
  const res = await fetch('/api/v1' + path, opts);
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const err = data && data.error ? data.error : { code: 'http', message: res.statusText };
    if (res.status === 401 && path !== '/session') {
      session.user = null;
      session.csrf = null;
      if (location.hash !== '#/login') location.hash = '#/login';
    }
    throw new ApiError(res.status, err.code, err.message, res.headers.get('Retry-After'));
  }
  return data;
}

// Fetches every page of a list route (up to max items).
export async function apiList(path, max = 500) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', path + sep + 'limit=100' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

// A message for an error, or the "not yet available" notice for a route
// whose module does not exist on this node.
export function errorBox(e) {
  if (e instanceof ApiError && e.status === 501) return h('p.notice', null, t('not_available'));
  return h('p.error', { role: 'alert' }, t('error', { m: e.message }));
}

export function toast(msg) {
  const el = document.getElementById('toast');
  el.textContent = msg;
  el.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove('show'), 4000);
}

export function fmtTime(s) {
  if (!s) return t('none');
  return s.replace('T', ' ').replace('Z', ' UTC');
}

export function field(name) {
  return t('field_' + name);
}

export function badge(text, kind) {
  return h('span.badge' + (kind ? '.' + kind : ''), null, text);
}

// A labelled form control; returns [label, control].
export function labelled(labelText, control, hint) {
  const id = control.id || ('f' + Math.random().toString(36).slice(2, 9));
  control.id = id;
  const lab = h('label', { for: id }, labelText);
  const err = h('span.field-error', { 'aria-live': 'polite' });
  return h('div.row', null, lab, control, hint ? h('small', null, hint) : null, err);
}

export function table(headers, rows, opts = {}) {
  if (!rows.length) return h('p.muted', null, t('empty'));
  return h('table' + (opts.cls ? '.' + opts.cls : ''), null,
    h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, rows));
}
