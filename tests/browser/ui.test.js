// Browser tests of the web interface: playwright-core drives Debian's
// Chromium against a real `attache serve` on a demo node (started by
// tests/integration/browser_ui.sh, which passes ATT_URL). Each test saves a
// screenshot under $ATT_BUILDDIR/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const URL = process.env.ATT_URL;
const SHOTS = join(process.env.ATT_BUILDDIR || '.', 'screenshots');
const PASSWORD = 'demo-pass-2026';
let context, page, profile;

before(async () => {
  assert.ok(URL, 'ATT_URL must name the server under test');
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'attache-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1366, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  page.on('console', (m) => { if (m.type() === 'error') console.error('browser console:', m.text()); });
});

after(async () => {
  if (context) await context.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function shot(name) {
  await page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });
}

async function login(user) {
  await page.goto(URL + '#/login');
  // A previous user's session ends first.
  if (await page.locator('#logout').isVisible()) {
    await page.click('#logout');
    await page.waitForURL(/#\/login$/);
  }
  await page.fill('#login-user', user);
  await page.fill('#login-password', PASSWORD);
  await page.press('#login-password', 'Enter');
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
  await page.waitForSelector('#who:not(:empty)');
}

test('the login page refuses a wrong password and then signs the head in', async () => {
  await page.goto(URL);
  await page.waitForSelector('#login-user');
  await page.fill('#login-user', 'head');
  await page.fill('#login-password', 'wrong password');
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('form.login .error:not([hidden])');
  assert.match(await page.textContent('form.login .error'), /Wrong user or password/);
  await shot('01-login-refused');
  await login('head');
  assert.match(await page.textContent('#who'), /Head of the Service \(head\)/);
});

test('posts show staffing used of approved', async () => {
  await page.goto(URL + '#/posts');
  await page.waitForSelector('main table tbody tr');
  const rows = await page.locator('main table tbody tr').count();
  assert.ok(rows >= 12, `expected the demo's posts, saw ${rows}`);
  const paris = page.locator('main tr', { hasText: 'fr-paris' });
  assert.match(await paris.textContent(), /1 \/ 2/);
  assert.match(await page.textContent('main .lead'), /Service-wide staffing: 5 of 12 in use/);
  await shot('02-posts');
});

test('an appointment walks through every step with the four roles', async () => {
  await login('head');
  await page.goto(URL + '#/appointments');
  await page.click('details.card summary');
  await page.fill('input[name=person]', 'rep-nasirov');
  await page.fill('input[name=post]', 'us-washington');
  await page.selectOption('select[name=field]', 'cybercrime');
  await page.fill('textarea[name=reason]', 'Liaison with the FBI on ransomware <script>alert(1)</script>');
  await page.click('details.card button[type=submit]');
  await page.waitForURL(/#\/appointments\/\d+$/);
  const id = page.url().match(/(\d+)$/)[1];
  await page.waitForSelector('main h1 .badge');
  assert.match(await page.textContent('main h1'), /proposed/);
  // The proposal's reason is shown as text, never as markup.
  assert.match(await page.textContent('ol.timeline'), /<script>alert\(1\)<\/script>/);
  assert.equal(await page.locator('ol.timeline script').count(), 0);
  // The head may not agree to their own proposal: no buttons.
  assert.equal(await page.locator('button[data-step]').count(), 0);
  await shot('03-appointment-proposed');

  await login('mfa');
  await page.goto(URL + '#/appointments/' + id);
  await page.waitForSelector('button[data-step=agree]');
  assert.equal(await page.locator('button[data-step=make]').count(), 0);
  await page.fill('.actions textarea', 'Host state informed');
  await page.click('button[data-step=agree]');
  await page.waitForFunction(() => /agreed by the MFA/.test(document.querySelector('main h1').textContent));

  await login('president');
  await page.goto(URL + '#/appointments/' + id);
  await page.click('button[data-step=agree]');
  await page.waitForFunction(() => /agreed by the President/.test(document.querySelector('main h1').textContent));

  await login('head');
  await page.goto(URL + '#/appointments/' + id);
  await page.click('button[data-step=make]');
  await page.waitForFunction(() => /appointed/.test(document.querySelector('main h1').textContent));
  const steps = await page.locator('ol.timeline li').allTextContents();
  assert.equal(steps.length, 4);
  assert.match(steps[0], /Proposed.*head/);
  assert.match(steps[1], /Agreed by the MFA.*mfa/);
  assert.match(steps[2], /Agreed by the President.*president/);
  assert.match(steps[3], /Appointed.*head/);
  await shot('04-appointment-made');
});

test('the overseer verifies the audit log', async () => {
  await login('overseer');
  await page.goto(URL + '#/audit');
  await page.waitForSelector('main table tbody tr');
  assert.match(await page.textContent('main table tbody'), /appointment\.make/);
  await page.click('#verify');
  await page.waitForSelector('#verify-result .card.good');
  assert.match(await page.textContent('#verify-result'), /The audit log is intact: \d+ entries/);
  await shot('05-audit-verified');
});

test('exchange pages render for a desk officer', async () => {
  await login('desk-ct');
  await page.goto(URL + '#/inbox');
  await page.waitForSelector('main h1, main .notice, main table');
  await page.goto(URL + '#/compose');
  await page.waitForSelector('form.card');
  await page.click('text=Add entity');
  await page.selectOption('.entity select', 'iban');
  await page.fill('.entity input', 'GB82 WEST 1234 5698 7654 31');
  assert.equal(await page.textContent('.entity .field-error'), 'Not a valid IBAN (check digits).');
  await page.fill('.entity input', 'GB82 WEST 1234 5698 7654 32');
  assert.equal(await page.textContent('.entity .field-error'), '');
  await shot('06-compose');
  await page.goto(URL + '#/picture');
  await page.waitForSelector('svg.chart');
  await shot('07-picture');
});

// Fills the compose form (the first open case of the user is selected).
async function compose({ to, subject, purpose, entities, handling }) {
  await page.goto(URL + '#/compose');
  await page.waitForSelector('form.card #compose-case option', { state: 'attached' });
  await page.fill('textarea[name=to]', to);
  await page.selectOption('select[name=handling]', handling || 'H0');
  await page.fill('input[name=purpose]', purpose);
  await page.fill('input[name=subject]', subject);
  await page.fill('textarea[name=body]', 'Please check the entities listed.');
  for (const [i, e] of entities.entries()) {
    await page.click('text=Add entity');
    const row = page.locator('.entity').nth(i);
    await row.locator('select').selectOption(e.type);
    await row.locator('input').first().fill(e.value);
  }
  await page.click('button[type=submit]');
  await page.waitForURL(/#\/messages\/\d+$/);
  return Number(page.url().split('/').pop());
}

test('a representative sends a request with entities; the desk reads it, replies, sees the hit', async () => {
  await login('rep-mammadova');
  const id = await compose({ to: 'hq/organized-crime', subject: 'Browser: accounts of a suspect',
    purpose: 'identify the owner of funds', handling: 'H2',
    entities: [{ type: 'iban', value: 'GB82 WEST 1234 5698 7654 32' }, { type: 'person', value: 'Elchin Mammadov' }] });
  await page.waitForSelector('text=Browser: accounts of a suspect');
  assert.match(await page.textContent('.banner'), /H2/);
  await shot('08-sent-request');
  await login('desk-oc');
  await page.goto(URL + '#/inbox');
  await page.waitForSelector(`tr[data-id="${id}"]`);
  await shot('09-desk-inbox');
  await page.click(`tr[data-id="${id}"] a`);
  await page.waitForSelector('#msg-reply');
  assert.match(await page.textContent('main'), /GB82 WEST 1234 5698 7654 32/);
  await page.click('#msg-ack');
  await page.waitForSelector('#toast.show');
  await page.click('#msg-reply');
  await page.waitForSelector('form.card #compose-case');
  assert.equal(await page.inputValue('textarea[name=to]'), 'post/gb-london');
  await page.fill('input[name=purpose]', 'answer the request');
  await page.fill('input[name=subject]', 'Re: accounts of a suspect');
  await page.fill('textarea[name=body]', 'The account is known to us.');
  await page.click('button[type=submit]');
  await page.waitForURL(/#\/messages\/\d+$/);
  await page.waitForSelector('ol.thread li');
  await shot('10-desk-reply');
  // The same IBAN is held at another post in the demo: the sender sees a hit.
  await login('rep-mammadova');
  await page.goto(URL + '#/messages/' + id);
  await page.waitForSelector('tr.hit');
  assert.match((await page.locator('tr.hit').allTextContents()).join('\n'), /iban: GB82/);
  await shot('11-message-with-hit');
  await page.goto(URL + '#/hits');
  await page.waitForSelector('tr.hit');
  await shot('12-hits');
});

test('the overseer registers a person, a message naming her is held, the overseer releases it', async () => {
  await login('overseer');
  await page.goto(URL + '#/protected');
  await page.click('text=' + (await page.locator('details.card summary').textContent()));
  await page.fill('details.card input >> nth=0', 'Sevda Rahimova');
  await page.selectOption('details.card select', 'journalist');
  await page.fill('details.card textarea', 'investigative journalist abroad');
  await page.click('details.card button[type=submit]');
  await page.waitForSelector('text=Sevda Rahimova');
  await shot('13-protected-register');
  await login('rep-mammadova');
  const id = await compose({ to: 'hq/organized-crime', subject: 'Browser: a contact', purpose: 'check a contact',
    entities: [{ type: 'person', value: 'Севда Рагимова' }] });
  await page.waitForSelector('.banner .badge.warn');
  await shot('14-held-for-sender');
  await login('overseer');
  await page.goto(URL + '#/reviews');
  const card = page.locator(`article.card[data-id="${id}"]`);
  await card.waitFor();
  assert.match(await card.textContent(), /protected person/);
  await shot('15-review-queue');
  await card.locator('textarea').first().fill('the contact is a witness; released');
  await card.locator('button', { hasText: 'Release' }).click();
  await page.waitForSelector(`article.card[data-id="${id}"]`, { state: 'detached' });
  await login('desk-oc');
  await page.goto(URL + '#/messages/' + id);
  await page.waitForSelector('text=Browser: a contact');
  await shot('16-released-delivered');
});

test('a message delivered before its person was registered is back in the review queue', async () => {
  await login('overseer');
  await page.goto(URL + '#/reviews');
  const card = page.locator('article.card', { hasText: 'A second contact of the walk-in' });
  await card.waitFor();
  assert.match(await card.textContent(), /registered as protected after it was delivered/);
  await shot('15b-review-held-again');
  await login('desk-ct');
  await page.goto(URL + '#/inbox');
  await page.waitForSelector('main table tbody tr');
  assert.doesNotMatch(await page.locator('main').textContent(), /A second contact of the walk-in/);
});

test('a message naming her only in its text is held again too, and the register says it was read', async () => {
  await login('overseer');
  await page.goto(URL + '#/reviews');
  const card = page.locator('article.card', { hasText: 'A telephone number of the walk-in' });
  await card.waitFor();
  assert.match(await card.textContent(), /after it was delivered, in its body/);
  await shot('15c-review-held-again-text');
  await page.goto(URL + '#/protected');
  const row = page.locator('tr', { hasText: 'Айтан Маммадли' });
  await row.waitFor();
  assert.match(await row.locator('td.rescan').textContent(), /read for this person; 1 held again/);
  await shot('15d-register-rescan');
});
