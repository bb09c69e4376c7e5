// The web interface's entry: session, navigation and hash routing. Pages
// live in pages/; every string is in i18n/en.js.
import { t, h, clear, api, session, errorBox } from './lib.js';
import * as registry from './pages/registry.js';
import * as oversight from './pages/oversight.js';
import * as exchange from './pages/exchange.js';
import * as picture from './pages/picture.js';
import * as login from './pages/login.js';

// Which pages each role sees in the menu (presentation only: the server
// decides what every request may do).
const NAV = [
  ['#/inbox', 'nav_inbox', ['desk', 'rep', 'partner']],
  ['#/compose', 'nav_compose', ['desk', 'rep', 'partner']],
  ['#/cases', 'nav_cases', ['desk', 'rep', 'partner']],
  ['#/hits', 'nav_hits', ['desk', 'rep', 'partner']],
  ['#/posts', 'nav_posts', ['head', 'mfa', 'president', 'desk', 'rep', 'overseer', 'finance', 'admin']],
  ['#/appointments', 'nav_appointments', ['head', 'mfa', 'president', 'desk', 'rep', 'overseer', 'finance', 'admin']],
  ['#/reviews', 'nav_reviews', ['overseer']],
  ['#/protected', 'nav_protected', ['overseer']],
  ['#/audit', 'nav_audit', ['overseer', 'admin']],
  ['#/picture', 'nav_picture', ['head', 'desk', 'overseer']],
];

const ROUTES = [
  [/^#\/login$/, login.render],
  [/^#\/posts$/, registry.posts],
  [/^#\/posts\/([^/]+)$/, registry.post],
  [/^#\/appointments$/, registry.appointments],
  [/^#\/appointments\/(\d+)$/, registry.appointment],
  [/^#\/audit$/, oversight.audit],
  [/^#\/reviews$/, oversight.reviews],
  [/^#\/protected$/, oversight.protectedPersons],
  [/^#\/inbox$/, exchange.inbox],
  [/^#\/messages\/([^/]+)$/, exchange.message],
  [/^#\/compose(?:\?.*)?$/, exchange.compose],
  [/^#\/cases$/, exchange.cases],
  [/^#\/cases\/(\d+)$/, exchange.caseView],
  [/^#\/hits$/, exchange.hits],
  [/^#\/picture$/, picture.render],
];

function home() {
  const role = session.user ? session.user.role : '';
  const first = NAV.find((n) => n[2].includes(role));
  return first ? first[0] : '#/posts';
}

function renderChrome() {
  document.getElementById('brand').textContent = t('app');
  document.getElementById('skip').textContent = t('skip');
  const nav = clear(document.getElementById('nav'));
  const who = document.getElementById('who');
  const out = document.getElementById('logout');
  out.textContent = t('logout');
  if (!session.user) {
    who.textContent = '';
    out.hidden = true;
    return;
  }
  const ul = h('ul');
  for (const [href, key, roles] of NAV) {
    if (!roles.includes(session.user.role)) continue;
    const current = location.hash.startsWith(href);
    ul.appendChild(h('li', null, h('a', { href, 'aria-current': current ? 'page' : null }, t(key))));
  }
  nav.appendChild(ul);
  who.textContent = t('signed_in_as', { name: session.user.name, role: session.user.role });
  out.hidden = false;
}

// Each route() is one navigation; a page that finishes loading after a
// later navigation began is dropped (a slow home page must not replace the
// page navigated to next).
let navigation = 0;

async function route() {
  const main = document.getElementById('main');
  const mine = ++navigation;
  if (!session.user && location.hash !== '#/login') {
    location.hash = '#/login';
    return;
  }
  if (session.user && (location.hash === '' || location.hash === '#/' || location.hash === '#/login')) {
    location.hash = home();
    return;
  }
  renderChrome();
  for (const [re, page] of ROUTES) {
    const m = location.hash.match(re);
    if (!m) continue;
    clear(main).appendChild(h('p.muted', null, t('loading')));
    try {
      const view = await page(...m.slice(1).map(decodeURIComponent));
      if (mine !== navigation) return;
      clear(main).appendChild(view);
    } catch (e) {
      if (mine !== navigation) return;
      clear(main).appendChild(errorBox(e));
    }
    main.focus({ preventScroll: true });
    return;
  }
  location.hash = home();
}

export async function start() {
  try {
    const me = await api('GET', '/session');
    session.user = me.user;
    session.csrf = me.csrf;
  } catch (e) {
    session.user = null;
  }
  document.getElementById('logout').addEventListener('click', async () => {
    try { await api('DELETE', '/session'); } catch (e) { /* gone already */ }
    session.user = null;
    session.csrf = null;
    location.hash = '#/login';
  });
  window.addEventListener('hashchange', route);
  route();
}

start();
