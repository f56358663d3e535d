import fs from 'node:fs';
import path from 'node:path';
import { seriesCsv, type SeriesResults } from '../../src/csv';
import { validateConfig } from '../../src/config';
import { MODE_NOTES } from '../../src/dashboard/goal';
import { csvFilename, percent } from '../../src/dashboard/model';
import { createRedis, RedisCounterStore, type RedisClient, type TrackEvent } from '../../src/store';
import { goalStats, sequentialVerdict, wilsonInterval, Z95 } from '../../src/stats';
import { closeAllProfiles, openProfile, outputDir, startDev, type DevFixture, type Profile } from '../helpers/browser';
import { startTestRedis, type PrivateRedis } from '../helpers/redis';

/**
 * The dashboard's counts over time in Chromium against `abtest dev`: 14 days of events written
 * through the store with their day (the server's Redis), the trend per goal and period, the
 * always-valid / fixed-horizon toggle, the CSV download, and a phone-sized screen.
 * Screenshots go to test-output/dashboard-trend-*.png.
 */

jest.setTimeout(120_000);

const DAYS = 14;
const EXPERIMENT = 'checkout flow';
const card = `[data-experiment="${EXPERIMENT}"]`;

let redis: PrivateRedis;
let client: RedisClient;
let fx: DevFixture;
let p: Profile;

/** `YYYY-MM-DD` of `d` days before today (UTC). */
const dayBefore = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 10);
const days = Array.from({ length: DAYS }, (_, i) => dayBefore(DAYS - 1 - i));

/** Day i's visitors and buyers per variant: a varying daily volume, "one page" converting better. */
function day(i: number) {
  const control = 40 + ((i * 7) % 25);
  const onePage = 38 + ((i * 11) % 27);
  return {
    control: { n: control, purchase: Math.round(control * 0.1), signup: Math.round(control * 0.3) },
    'one page': { n: onePage, purchase: Math.round(onePage * 0.16), signup: Math.round(onePage * 0.3) },
  };
}

/** The totals up to and including day `last`. */
function totals(last: number) {
  const t = { control: { n: 0, purchase: 0, signup: 0 }, 'one page': { n: 0, purchase: 0, signup: 0 } };
  for (let i = 0; i <= last; i++)
    for (const [v, c] of Object.entries(day(i)) as [keyof typeof t, (typeof t)['control']][]) {
      t[v].n += c.n;
      t[v].purchase += c.purchase;
      t[v].signup += c.signup;
    }
  return t;
}

beforeAll(async () => {
  redis = await startTestRedis();
  fx = await startDev({ namespace: 'shop', redis_url: redis.url });
  // The dev server's store, on its Redis, with each day's events dated that day.
  // A generous deadline: a busy CI box must not turn a slow answer into a failed fixture.
  const settings = { counting: 'exact', namespace: 'shop', redis_url: redis.url, redis_command_timeout_ms: 10_000 };
  const config = validateConfig(settings, 'test');
  client = createRedis(config);
  const store = new RedisCounterStore(client, config);
  /** Tracks `events` on `day` (noon UTC), in batches as a client sends them. */
  const track = async (events: TrackEvent[], day: string) => {
    for (let i = 0; i < events.length; i += 500)
      expect((await store.track(events.slice(i, i + 500), new Date(`${day}T12:00:00Z`))).rejected).toEqual([]);
  };
  for (let i = 0; i < DAYS; i++) {
    const events: TrackEvent[] = [];
    for (const [variant, c] of Object.entries(day(i)))
      for (let k = 0; k < c.n; k++) {
        const uuid = `${variant}-${i}-${k}`;
        const base = { namespace: 'shop', experiment: EXPERIMENT, variant, uuid };
        events.push({ ...base, event: 'participate' });
        if (k < c.purchase) events.push({ ...base, event: 'purchase' });
        if (k < c.signup) events.push({ ...base, event: 'signup' });
      }
    await track(events, days[i]);
  }
  // A clear winner over the last three days: 1,000 a day per arm, 10% against 15%.
  for (let i = 0; i < 3; i++) {
    const events: TrackEvent[] = [];
    for (const [variant, rate] of [
      ['a', 0.1],
      ['b', 0.15],
    ] as const)
      for (let k = 0; k < 1000; k++) {
        const base = { namespace: 'shop', experiment: 'banner', variant, uuid: `${variant}-${i}-${k}` };
        events.push({ ...base, event: 'participate' });
        if (k < 1000 * rate) events.push({ ...base, event: 'click' });
      }
    await track(events, days[DAYS - 3 + i]);
  }
  p = await openProfile({ timeoutMs: 20_000 });
});

afterAll(async () => {
  await closeAllProfiles();
  await fx?.stop();
  client?.disconnect();
  await redis?.stop();
});

const shot = (name: string) =>
  p.page.screenshot({ path: path.join(outputDir(), `dashboard-trend-${name}.png`), fullPage: true });
const goal = (g: string) => `${card} [data-goal="${g}"]`;
const rows = (g: string) => p.page.$$eval(`${goal(g)} .trend-data tbody tr`, (trs) => trs.length);

test('per goal, the cumulative rate of each variant per day with its interval and the new participants; per week and month', async () => {
  await p.page.setViewportSize({ width: 1200, height: 900 });
  await p.page.goto(`${fx.dev.url}/dashboard`);
  await p.page.waitForSelector(`${goal('purchase')} .trend-block[data-period=day]`);
  expect(await p.page.$$(`${goal('purchase')} svg.trend g.variant`)).toHaveLength(2);
  expect(await p.page.$$(`${goal('purchase')} svg.trend g[data-variant="one page"] rect.bar`)).toHaveLength(DAYS);
  expect(await rows('purchase')).toBe(DAYS * 2);
  // The table holds the chart's numbers: the last day's cumulative rate of "one page", with its Wilson interval.
  const t = totals(DAYS - 1)['one page'];
  const [lo, hi] = wilsonInterval(t.purchase, t.n, Z95, 0);
  const last = `${goal('purchase')} .trend-data tr[data-start="${days[DAYS - 1]}"][data-variant="one page"]`;
  expect(await p.page.textContent(`${last} td[data-col=rate]`)).toBe(
    `${percent(t.purchase / t.n, 2)} (${percent(lo, 1)}\u2013${percent(hi, 1)})`,
  );
  const first = `${goal('purchase')} .trend-data tr[data-start="${days[0]}"][data-variant="control"] td`;
  expect(await p.page.$$eval(first, (tds) => tds.map((td) => td.textContent))).toEqual([
    days[0],
    String(day(0).control.n),
    String(day(0).control.n),
    String(day(0).control.purchase),
    expect.stringMatching(/^\d+\.\d\d% \(/),
  ]);
  await p.page.click(`${goal('purchase')} .trend-data summary`);
  await shot('desktop');
  await p.page
    .locator(`${goal('purchase')} .trend-block`)
    .screenshot({ path: path.join(outputDir(), 'dashboard-trend-chart.png') });

  const weeks = new Set(
    days.map((d) => {
      const t0 = new Date(`${d}T00:00:00Z`);
      return new Date(t0.getTime() - ((t0.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
    }),
  );
  await p.page.selectOption(`${card} select.period`, 'week');
  await p.page.waitForSelector(`${goal('purchase')} .trend-block[data-period=week]`);
  expect(await rows('purchase')).toBe(weeks.size * 2);
  // A redraw keeps the table that was opened open, and the others closed.
  expect(await p.page.$(`${goal('purchase')} details.trend-data[open]`)).not.toBeNull();
  expect(await p.page.$(`${goal('signup')} details.trend-data[open]`)).toBeNull();
  expect(await p.page.$eval(`${goal('signup')} .trend-data tbody tr`, (tr) => tr.getAttribute('data-start'))).toBe(
    [...weeks][0],
  );
  await p.page.selectOption(`${card} select.period`, 'month');
  await p.page.waitForSelector(`${goal('purchase')} .trend-block[data-period=month]`);
  expect(await rows('purchase')).toBe(new Set(days.map((d) => d.slice(0, 7))).size * 2);
  await shot('month');
  await p.page.selectOption(`${card} select.period`, 'day');
  await p.page.waitForSelector(`${goal('purchase')} .trend-block[data-period=day]`);
});

test('always-valid results while auto-refresh is on, fixed-horizon otherwise; either can be picked', async () => {
  const mode = () => p.page.getAttribute(goal('purchase'), 'data-mode');
  const wait = (m: string) => p.page.waitForSelector(`${goal('purchase')}[data-mode=${m}]`);
  expect(await mode()).toBe('fixed');
  expect(await p.page.textContent(`${goal('purchase')} .mode-note`)).toBe(MODE_NOTES.fixed);
  expect(await p.page.isChecked('input[name=mode][value=fixed]')).toBe(true);

  await p.page.check('#auto');
  await wait('sequential');
  expect(await p.page.textContent(`${goal('purchase')} .mode-note`)).toBe(
    'Always-valid results (mSPRT) \u2014 safe to check often',
  );
  const all = totals(DAYS - 1);
  const stats = goalStats([
    { label: 'control', successes: all.control.purchase, trials: all.control.n },
    { label: 'one page', successes: all['one page'].purchase, trials: all['one page'].n },
  ]);
  const sentence = sequentialVerdict(stats);
  expect(await p.page.textContent(`${goal('purchase')} [data-verdict]`)).toBe(sentence);
  expect(await p.page.$(`${goal('purchase')} td[data-col=seq-p]`)).not.toBeNull();
  expect(await p.page.$(`${goal('purchase')} td[data-col=beat]`)).toBeNull();
  const click = '[data-experiment="banner"] [data-goal="click"]';
  expect(await p.page.textContent(`${click} [data-verdict]`)).toBe('variant b is better (valid at any time)');
  expect(await p.page.getAttribute(`${click} tr[data-variant="b"]`, 'class')).toBe('better');
  await shot('sequential');

  await p.page.check('input[name=mode][value=fixed]');
  await wait('fixed');
  expect(await p.page.$(`${goal('purchase')} [data-verdict]`)).toBeNull();
  // Turning auto-refresh off and on again forgets the pick: off is fixed-horizon, on is always-valid.
  await p.page.uncheck('#auto');
  await wait('fixed');
  await p.page.check('#auto');
  await wait('sequential');
  await p.page.check('input[name=mode][value=fixed]');
  await wait('fixed');
  await p.page.check('input[name=mode][value=sequential]');
  await wait('sequential');
  await p.page.uncheck('#auto');
  await wait('fixed');
});

test('the CSV download is the per-day export of src/csv.ts, named after namespace, experiment and phase', async () => {
  const [download] = await Promise.all([p.page.waitForEvent('download'), p.page.click(`${card} button.csv`)]);
  expect(download.suggestedFilename()).toBe(csvFilename('shop', EXPERIMENT, 0));
  expect(download.suggestedFilename()).toBe('shop-checkout_flow-phase0.csv');
  const text = fs.readFileSync((await download.path())!, 'utf8');
  const res = await fetch(
    `${fx.dev.url}/experiments?namespace=shop&scope=${encodeURIComponent(EXPERIMENT)}&series=day&phase=0`,
    { headers: { 'x-api-key': fx.apiKey } },
  );
  const e = ((await res.json()) as unknown[])[1] as SeriesResults;
  expect(text).toBe(seriesCsv([e]));
  const lines = text.trimEnd().split('\r\n');
  expect(lines).toHaveLength(1 + DAYS * 2 * 2);
  expect(lines).toContain(
    `${EXPERIMENT},0,day,${days[1]},one page,purchase,${day(1)['one page'].n},${totals(1)['one page'].n},${day(1)['one page'].purchase},${totals(1)['one page'].purchase}`,
  );
});

test('on a phone (390×844) the charts fit the screen and keep their text size', async () => {
  await p.page.setViewportSize({ width: 390, height: 844 });
  await p.page.reload();
  await p.page.waitForSelector(`${goal('purchase')} svg.trend`);
  for (const chart of ['svg.trend', 'svg.chart']) {
    const fit = await p.page.$eval(`${goal('purchase')} ${chart}`, (svg) => {
      const box = svg.getBoundingClientRect();
      return { right: box.right, scale: box.width / (svg as SVGSVGElement).viewBox.baseVal.width };
    });
    expect(fit.right).toBeLessThanOrEqual(390);
    expect(fit.scale).toBeGreaterThan(0.9);
  }
  expect(await p.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await shot('phone');
  await p.page
    .locator(`${goal('purchase')}`)
    .screenshot({ path: path.join(outputDir(), 'dashboard-trend-phone-goal.png') });
});
