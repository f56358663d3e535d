import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dashboardFile } from '../../cli/build/dashboard';
import { run as dashboard } from '../../cli/commands/dashboard';
import { freePort } from '../../cli/dev/redis-server';
import { chance, formatP, percent, signedPercent } from '../../src/dashboard/model';
import { goalStats } from '../../src/stats';
import {
  closeAllProfiles,
  eventually,
  openProfile,
  outputDir,
  startDev,
  type DevFixture,
  type Profile,
} from '../helpers/browser';

/**
 * The dashboard in Chromium against `abtest dev`, with data this test writes: the numbers it
 * shows, its states (empty, wrong key, unreachable), delete, and the page `abtest dashboard`
 * writes. Screenshots go to test-output/.
 */

jest.setTimeout(60_000);

let fx: DevFixture;
let p: Profile;

/** `n` participants of `variant`, the first `goals[goal]` of them completing `goal`. */
function visitors(experiment: string, variant: string, n: number, goals: Record<string, number> = {}) {
  const events = [];
  for (let i = 0; i < n; i++) {
    const uuid = `${experiment}-${variant}-${i}`;
    events.push({ experiment, variant, event: 'participate', uuid });
    for (const [goal, k] of Object.entries(goals)) if (i < k) events.push({ experiment, variant, event: goal, uuid });
  }
  return events;
}

beforeAll(async () => {
  fx = await startDev({ namespace: 'shop' });
  await fx.track([
    ...visitors('checkout flow', 'control', 1000, { purchase: 100, signup: 300 }),
    ...visitors('checkout flow', 'one page', 1000, { purchase: 135, signup: 290 }),
    ...visitors('pricing copy', 'old', 500),
    ...visitors('pricing copy', 'new', 520),
    ...visitors('hero image', 'a', 1000, { click: 50 }),
    ...visitors('hero image', 'b', 800, { click: 41 }),
  ]);
  p = await openProfile();
  await p.page.setViewportSize({ width: 1200, height: 900 });
});

afterAll(async () => {
  await closeAllProfiles();
  await fx?.stop();
});

const cell = (experiment: string, goal: string, variant: string, col: string) =>
  p.page.textContent(
    `[data-experiment="${experiment}"] [data-goal="${goal}"] tr[data-variant="${variant}"] td[data-col="${col}"]`,
  );

test('shows the numbers of the data written, with the statistics of src/stats', async () => {
  await p.page.goto(`${fx.dev.url}/dashboard`);
  await p.page.waitForSelector('[data-experiment="checkout flow"]');
  expect(await p.page.textContent('#namespace-shown')).toBe('shop');
  const names = await p.page.$$eval('section.experiment', (els) => els.map((e) => e.getAttribute('data-experiment')));
  expect(names.sort()).toEqual(['checkout flow', 'hero image', 'pricing copy']);

  const stats = goalStats([
    { label: 'control', successes: 100, trials: 1000 },
    { label: 'one page', successes: 135, trials: 1000 },
  ]);
  const v = stats.variants[1];
  expect(await cell('checkout flow', 'purchase', 'one page', 'conversions')).toBe('135');
  expect(await cell('checkout flow', 'purchase', 'one page', 'trials')).toBe('1,000');
  expect(await cell('checkout flow', 'purchase', 'one page', 'rate')).toBe(
    `13.50% ${percent(v.interval[0])}\u2013${percent(v.interval[1])}`,
  );
  expect(await cell('checkout flow', 'purchase', 'one page', 'uplift')).toBe(
    `${signedPercent(v.uplift!.value)} (${signedPercent(v.uplift!.interval[0])} to ${signedPercent(v.uplift!.interval[1])})`,
  );
  expect(await cell('checkout flow', 'purchase', 'one page', 'p')).toBe(formatP(v.pValue!));
  expect(await cell('checkout flow', 'purchase', 'one page', 'beat')).toBe(chance(v.probBeatControl!));
  expect(await cell('checkout flow', 'purchase', 'control', 'uplift')).toBe('control');
  expect(
    await p.page.getAttribute(
      '[data-experiment="checkout flow"] [data-goal="purchase"] tr[data-variant="one page"]',
      'class',
    ),
  ).toBe('better');
  expect(await p.page.textContent('[data-experiment="checkout flow"] .badge')).toBe('exact counts');
  expect(await p.page.$$('[data-experiment="checkout flow"] [data-goal] svg.chart')).toHaveLength(2);

  // Participants only: still shown, with no goal table.
  expect(
    await p.page.textContent('[data-experiment="pricing copy"] tr[data-variant="new"] td[data-col="participants"]'),
  ).toBe('520');
  expect(await p.page.textContent('[data-experiment="pricing copy"] .no-goals')).toContain('participants only');

  // 1000 vs 800 where an even split is expected: a sample-ratio mismatch; 500 vs 520 is not.
  expect(await p.page.textContent('[data-experiment="hero image"] [data-srm]')).toContain('Sample ratio mismatch');
  expect(await p.page.$('[data-experiment="pricing copy"] [data-srm]')).toBeNull();
  expect(await p.page.$('[data-experiment="checkout flow"] [data-srm]')).toBeNull();

  await p.page.screenshot({ path: path.join(outputDir(), 'dashboard.png'), fullPage: true });
});

test('the control can be switched', async () => {
  await p.page.selectOption('[data-experiment="checkout flow"] select.control', 'one page');
  await p.page.waitForSelector(
    '[data-experiment="checkout flow"] [data-goal="purchase"] th:has-text("uplift vs one page")',
  );
  expect(await cell('checkout flow', 'purchase', 'one page', 'uplift')).toBe('control');
  expect(
    await p.page.getAttribute(
      '[data-experiment="checkout flow"] [data-goal="purchase"] tr[data-variant="control"]',
      'class',
    ),
  ).toBe('worse');
  await p.page.click('#refresh');
  await p.page.waitForTimeout(300);
  expect(await cell('checkout flow', 'purchase', 'one page', 'uplift')).toBe('control');
});

test('a wrong URL (403 Missing Authentication Token) is told apart from a wrong key', async () => {
  const wrong = encodeURIComponent(`${fx.dev.url}/nope`);
  await p.page.goto(`${fx.dev.url}/dashboard?url=${wrong}&key=${fx.apiKey}&namespace=shop`);
  await p.page.waitForSelector('[data-state="wrong-url"]');
  expect(await p.page.textContent('[data-state="wrong-url"] h2')).toBe('No abtest API at this URL');
  expect(await p.page.locator('[data-state="forbidden"]').count()).toBe(0);
  await p.page.screenshot({ path: path.join(outputDir(), 'dashboard-wrong-url.png') });
  await p.page.evaluate(() => sessionStorage.clear()); // the next tests start from the embedded API
});

test('a wrong key shows the refused-key state, and the key leaves the URL', async () => {
  await p.page.goto(`${fx.dev.url}/dashboard?key=wrong-key-123&namespace=shop`);
  await p.page.waitForSelector('[data-state="forbidden"]');
  expect(await p.page.textContent('[data-state="forbidden"] h2')).toBe('The API key was refused');
  expect(p.page.url()).not.toContain('wrong-key');
  expect(p.page.url()).toContain('namespace=shop');
  expect(await p.page.evaluate(() => Object.values(sessionStorage).join())).toContain('wrong-key-123');
  await p.page.screenshot({ path: path.join(outputDir(), 'dashboard-forbidden.png') });
  // Fixing the key in the form loads the results.
  await p.page.fill('#key', fx.apiKey);
  await p.page.click('button[type=submit]');
  await p.page.waitForSelector('[data-experiment="checkout flow"]');
});

test('an unreachable endpoint and an empty namespace have their own states', async () => {
  const closed = await freePort();
  await p.page.goto(`${fx.dev.url}/dashboard?url=${encodeURIComponent(`http://127.0.0.1:${closed}`)}`);
  await p.page.waitForSelector('[data-state="unreachable"]');
  expect(await p.page.textContent('[data-state="unreachable"]')).toContain(`http://127.0.0.1:${closed}/experiments`);
  await p.page.screenshot({ path: path.join(outputDir(), 'dashboard-unreachable.png') });

  await p.page.fill('#api', fx.dev.url);
  await p.page.fill('#namespace', 'nothing-here');
  await p.page.click('button[type=submit]');
  await p.page.waitForSelector('[data-state="empty"]');
  expect(await p.page.textContent('[data-state="empty"] h2')).toContain('nothing-here');
  expect(p.page.url()).toContain('namespace=nothing-here');
  // Namespaces loaded before are offered by the field.
  expect(await p.page.$$eval('#namespaces option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([
    'nothing-here',
    'shop',
  ]);
  await p.page.screenshot({ path: path.join(outputDir(), 'dashboard-empty.png') });
});

test('the bare built page (no settings) asks where the API is', async () => {
  const q = await openProfile();
  await q.page.goto(pathToFileURL(dashboardFile()).href);
  await q.page.waitForSelector('[data-state="setup"]');
  expect(await q.page.inputValue('#api')).toBe('');
  await q.page.fill('#api', fx.dev.url);
  await q.page.fill('#key', fx.apiKey);
  await q.page.fill('#namespace', 'shop');
  await q.page.click('button[type=submit]');
  await q.page.waitForSelector('[data-experiment="checkout flow"]');
  await q.close();
});

test('delete asks first, then removes the experiment', async () => {
  await p.page.goto(`${fx.dev.url}/dashboard?namespace=shop`);
  await p.page.waitForSelector('[data-experiment="pricing copy"]');
  p.page.once('dialog', (d) => void d.dismiss());
  await p.page.click('[data-experiment="pricing copy"] button.delete');
  await p.page.waitForTimeout(200);
  expect(await fx.counts('pricing copy')).not.toBeNull();

  let asked = '';
  p.page.once('dialog', (d) => {
    asked = d.message();
    void d.accept();
  });
  await p.page.click('[data-experiment="pricing copy"] button.delete');
  await p.page.waitForSelector('[data-experiment="pricing copy"]', { state: 'detached' });
  expect(asked).toContain('pricing copy');
  expect(await fx.counts('pricing copy')).toBeNull();
  expect(await p.page.$('[data-experiment="checkout flow"]')).not.toBeNull();
});

test('a delete the API refuses (404: already gone) is shown as failed, not as success', async () => {
  await fx.track(visitors('short lived', 'a', 3));
  await p.page.goto(`${fx.dev.url}/dashboard?namespace=shop`);
  await p.page.waitForSelector('[data-experiment="short lived"]');
  // Someone else deletes it first.
  const gone = await fetch(`${fx.dev.url}/delete?namespace=shop&experiment=short%20lived`, {
    method: 'DELETE',
    headers: { 'x-api-key': fx.apiKey },
  });
  expect(gone.status).toBe(200);
  const messages: string[] = [];
  const answer = (d: import('playwright-core').Dialog) => {
    messages.push(d.message());
    void d.accept();
  };
  p.page.on('dialog', answer);
  await p.page.click('[data-experiment="short lived"] button.delete');
  await eventually(
    async () => messages.length,
    (n) => n >= 2,
  );
  p.page.off('dialog', answer);
  expect(messages[1]).toMatch(/Could not delete \u201cshort lived\u201d: experiment "short lived" does not exist/);
  await p.page.waitForSelector('[data-experiment="short lived"]', { state: 'detached' });
});

test('names with spaces, %, + and unicode are percent-encoded on the wire and deleted', async () => {
  const names = ['50% off \u00fcber \u{1F600}', 'c++ pricing'];
  await fx.track(names.flatMap((n) => visitors(n, 'a', 2)));
  await p.page.goto(`${fx.dev.url}/dashboard?namespace=shop`);
  await p.page.waitForSelector(`[data-experiment="${names[0]}"]`);
  const urls: string[] = [];
  p.page.on('request', (r) => void (r.method() === 'DELETE' && urls.push(r.url())));
  p.page.on('dialog', (d) => void d.accept());
  await p.page.click(`[data-experiment="${names[0]}"] button.delete`);
  await p.page.waitForSelector(`[data-experiment="${names[0]}"]`, { state: 'detached' });
  expect(await fx.counts(names[0])).toBeNull();
  await p.page.click(`[data-experiment="${names[1]}"] button.delete`);
  await eventually(
    async () => urls.length,
    (n) => n >= 2,
  );
  p.page.removeAllListeners('dialog');
  expect(urls[0]).toContain(`experiment=${encodeURIComponent(names[0])}`);
  // `+` goes as %2B (never `+`, which admin query strings read as a space).
  expect(urls[1]).toContain('experiment=c%2B%2B%20pricing');
});

test('a namespace bigger than a page is shown a page at a time', async () => {
  await fx.track(
    Array.from({ length: 13 }, (_, i) =>
      visitors(`exp ${i}`, 'a', 1, {}).map((e) => ({ ...e, namespace: 'paged' })),
    ).flat(),
  );
  await p.page.goto(`${fx.dev.url}/dashboard?namespace=paged`);
  await p.page.waitForSelector('[data-pages]');
  expect(await p.page.$$('section.experiment')).toHaveLength(10);
  expect(await p.page.textContent('[data-pages]')).toContain('1\u201310 of 13');
  await p.page.click('.pager button.next');
  await p.page.waitForSelector('[data-experiment="exp 12"]');
  expect(await p.page.$$('section.experiment')).toHaveLength(3);
  expect(await p.page.textContent('[data-pages]')).toContain('11\u201313 of 13');
});

test('auto-refresh picks up new data', async () => {
  await p.page.goto(`${fx.dev.url}/dashboard?namespace=shop`);
  await p.page.waitForSelector('[data-experiment="checkout flow"]');
  await p.page.clock.install();
  await p.page.check('#auto');
  await fx.track(visitors('late arrival', 'x', 3));
  await p.page.clock.runFor(10_500);
  await p.page.waitForSelector('[data-experiment="late arrival"]');
});

test('abtest dashboard writes a page that works from file://, holding the key', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-dash-'));
  const out = path.join(dir, 'dashboard.html');
  const opened: string[] = [];
  const r = await dashboard(
    { config: fx.dev.configPath!, url: `${fx.dev.url}/experiments`, key: fx.apiKey, namespace: 'shop', out },
    {
      env: {},
      open: async (u) => {
        opened.push(u);
        return true;
      },
    },
  );
  expect(r.api).toBe(fx.dev.url);
  expect(r.keyIncluded).toBe(true);
  expect(opened).toEqual([r.pageUrl]);
  expect(r.pageUrl.startsWith('file://')).toBe(true);
  expect(fs.statSync(out).mode & 0o777).toBe(0o600);
  const html = fs.readFileSync(out, 'utf8');
  expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  const q = await openProfile();
  await q.page.goto(r.pageUrl);
  await q.page.waitForSelector('[data-experiment="checkout flow"]');
  await q.close();

  // The key the deployment reports, when none is passed.
  const served = await dashboard(
    { config: fx.dev.configPath!, out, serve: true, open: false },
    { env: {}, describe: async () => ({ baseUrl: fx.dev.url, apiKey: fx.apiKey }) },
  );
  try {
    expect(served).toMatchObject({ opened: false, source: 'deployed', keyIncluded: true });
    const s = await openProfile();
    await s.page.goto(served.pageUrl);
    await s.page.waitForSelector('[data-experiment="checkout flow"]');
    await s.close();
  } finally {
    await served.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(
    await eventually(
      async () => fs.existsSync(dir),
      (x) => !x,
    ),
  ).toBe(false);
});
