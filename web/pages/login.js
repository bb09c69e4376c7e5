// The login page.
import { t, h, api, session, ApiError } from '../lib.js';

export async function render() {
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const pw = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p.error', { role: 'alert', hidden: true });
  const button = h('button', { type: 'submit' }, t('login_submit'));
  const form = h('form.card.login', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      msg.hidden = true;
      button.disabled = true;
      try {
        const me = await api('POST', '/session', { user: user.value.trim(), password: pw.value });
        session.user = me.user;
        session.csrf = me.csrf;
        pw.value = '';
        location.hash = '#/';
      } catch (e) {
        msg.textContent = e instanceof ApiError && e.status === 429
          ? t('login_limited', { s: e.retryAfter || '?' })
          : (e instanceof ApiError && e.status === 401 ? t('login_failed') : t('error', { m: e.message }));
        msg.hidden = false;
        pw.select();
      } finally {
        button.disabled = false;
      }
    },
  },
  h('h1', null, t('login_title')),
  h('p.muted', null, t('tagline')),
  h('div.row', null, h('label', { for: 'login-user' }, t('login_user')), Object.assign(user, { id: 'login-user' })),
  h('div.row', null, h('label', { for: 'login-password' }, t('login_password')), Object.assign(pw, { id: 'login-password' })),
  msg,
  button);
  return form;
}
