import path from 'node:path';
import { closeAllProfiles, openProfile, outputDir, startDev, type DevFixture, type Profile } from '../helpers/browser';
import { admin, running } from '../helpers/admin';

/**
 * The dashboard's admin view in Chromium against `abtest dev`: state, phase and dates of
 * defined experiments, the lifecycle buttons with their confirmations, weights, the phase
 * selector, archived behind a toggle, adopting an undefined experiment. Screenshots go to
 * test-output/dashboard-admin-*.png.
 */

jest.setTimeout(120_000);

let fx: DevFixture;
let p: Profile;
/** The dialogs the page opened (confirm, prompt), answered with `answers` (prompts) or accepted. */
const dialogs: string[] = [];
const answers: string[] = [];

const visitors = (experiment: string, variant: string, n: number, tag = '') =>
  Array.from({ length: n }, (_, i) => ({
    experiment,
    variant,
    event: 'participate',
    uuid: `${experiment}-${variant}-${tag}${i}`,
  }));

beforeAll(async () => {
  fx = await startDev({ namespace: 'shop' });
  await fx.track([...visitors('hero image', 'a', 120), ...visitors('hero image', 'b', 100)]);
  await running(
    fx,
    'checkout',
    { control: 2, 'one page': 1 },
    { description: 'One-page checkout against the three steps' },
  );
  await fx.track([...visitors('checkout', 'control', 200), ...visitors('checkout', 'one page', 100)]);
  await admin(fx, 'PUT', '/definition', 'new banner', {
    variants: [
      { label: 'old', weight: 1 },
      { label: 'new', weight: 1 },
    ],
  });
  p = await openProfile();
  p.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.accept(d.type() === 'prompt' ? answers.shift() : undefined);
  });
});

afterAll(async () => {
  await closeAllProfiles();
  await fx?.stop();
});

const card = (name: string) => `[data-experiment="${name}"]`;
const state = (name: string) => p.page.getAttribute(`${card(name)} .state-badge`, 'data-state');
const shot = (name: string) =>
  p.page.screenshot({ path: path.join(outputDir(), `dashboard-admin-${name}.png`), fullPage: true });

/** Clicks a button of an experiment's card and waits for its state badge to read `to`. */
async function act(name: string, button: string, to: string) {
  await p.page.click(`${card(name)} .lifecycle button:text-is("${button}")`);
  await p.page.waitForSelector(`${card(name)} .state-badge[data-state="${to}"]`);
}

test('defined experiments show state, phase, dates, description; the declared control and weights; drafts and adoption', async () => {
  await p.page.goto(`${fx.dev.url}/dashboard`);
  await p.page.waitForSelector(`${card('checkout')} .state-badge`);
  expect(await state('checkout')).toBe('running');
  expect(await p.page.textContent(`${card('checkout')} .description`)).toBe(
    'One-page checkout against the three steps',
  );
  expect(await p.page.textContent(`${card('checkout')} .dates`)).toMatch(/^since \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  expect(await p.page.$eval(`${card('checkout')} select.phase`, (s) => (s as HTMLSelectElement).value)).toBe('1');
  expect(await p.page.$eval(`${card('checkout')} select.control`, (s) => (s as HTMLSelectElement).value)).toBe(
    'control',
  );
  // 200/100 is exactly the declared 2:1: no sample-ratio alarm.
  expect(await p.page.$(`${card('checkout')} [data-srm]`)).toBeNull();
  expect(await p.page.textContent(`${card('checkout')} form.weights`)).toContain('saving starts a new phase');
  expect(await state('new banner')).toBe('draft');
  expect(await p.page.$(`${card('hero image')} button.adopt`)).not.toBeNull();
  await shot('1-overview');

  dialogs.length = 0;
  await p.page.click(`${card('hero image')} button.adopt`);
  await p.page.waitForSelector(`${card('hero image')} .state-badge[data-state=draft]`);
  expect(dialogs[0]).toMatch(/variants a, b .*draft; nothing changes for visitors until you start it/);
  await act('hero image', 'Start', 'running');
  expect(dialogs[1]).toBe(
    'Start \u201chero image\u201d? Phase 1 begins: visitors are split a 50%, b 50%; the others see a.',
  );
});

test('pause, resume, roll out, restart and weights, each confirmed with what visitors will see; the phase selector', async () => {
  dialogs.length = 0;
  await act('checkout', 'Pause', 'paused');
  expect(dialogs.pop()).toBe(
    'Pause \u201ccheckout\u201d? Every visitor will see control (the fallback) and nothing is tracked until you resume.',
  );
  expect(await p.page.textContent(`${card('checkout')} .dates`)).toMatch(/\u2013 .* UTC$/);
  await shot('2-paused');
  await act('checkout', 'Resume', 'running');
  expect(dialogs.pop()).toMatch(
    /^Resume \u201ccheckout\u201d\? Phase 1 continues: visitors are split control 67%, one page 33%/,
  );
  answers.push('one page');
  await act('checkout', 'Roll out winner\u2026', 'rolled_out');
  expect(dialogs.pop()).toBe(
    'Roll out one page in \u201ccheckout\u201d? Every visitor will see one page; nothing is tracked any more.',
  );
  expect(await p.page.textContent(`${card('checkout')} .winner`)).toBe('winner one page');
  await shot('3-rolled-out');
  await act('checkout', 'Restart', 'running');
  expect(dialogs.pop()).toMatch(/^Restart \u201ccheckout\u201d\? Phase 2 begins with counts from zero/);
  await p.page.waitForSelector(`${card('checkout')} select.phase option[value="2"]`, { state: 'attached' });
  expect(await p.page.textContent(`${card('checkout')} tr[data-variant=control] td[data-col=participants]`)).toBe('0');

  // Phase 1 still holds its counts.
  await p.page.selectOption(`${card('checkout')} select.phase`, '1');
  await p.page.waitForFunction(
    (sel) => document.querySelector(sel)?.textContent === '200',
    `${card('checkout')} tr[data-variant=control] td[data-col=participants]`,
  );
  await shot('4-phase-1');
  await p.page.selectOption(`${card('checkout')} select.phase`, '2');
  await p.page.waitForFunction(
    (sel) => document.querySelector(sel)?.textContent === '0',
    `${card('checkout')} tr[data-variant=control] td[data-col=participants]`,
  );

  await p.page.fill(`${card('checkout')} input[data-weight="one page"]`, '2');
  await p.page.click(`${card('checkout')} form.weights button[type=submit]`);
  await p.page.waitForSelector(`${card('checkout')} select.phase option[value="3"][selected]`, { state: 'attached' });
  expect(dialogs.pop()).toBe(
    'Change the weights of \u201ccheckout\u201d? This starts phase 3 (counts from zero): visitors are split control 50%, one page 50%. Visitors who already have a variant keep it.',
  );
});

test('archived experiments hide behind a toggle and are read-only', async () => {
  await p.page.click(`${card('new banner')} .lifecycle button:text-is("Archive")`);
  expect(dialogs.pop()).toMatch(/^Archive \u201cnew banner\u201d\? .*Results are kept\.$/);
  await p.page.waitForSelector(card('new banner'), { state: 'detached' });
  await p.page.check('#archived');
  await p.page.waitForSelector(`${card('new banner')} .state-badge[data-state=archived]`);
  expect(await p.page.$(`${card('new banner')} .lifecycle`)).toBeNull();
  await shot('5-archived');
});
