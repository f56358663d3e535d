import path from 'node:path';
import { closeAllProfiles, eventually, openProfile, outputDir, startDev, type DevFixture } from '../helpers/browser';

/**
 * A visitor from an ignored address (`ignored_ips`: this machine's loopback, where Chromium
 * connects from) in Chromium: the demo page works, /track answers `excluded`, the browser
 * client drops the events without retrying or warning, and nothing is counted.
 */

jest.setTimeout(60_000);

let fx: DevFixture;

beforeAll(async () => {
  fx = await startDev({ ignored_ips: ['127.0.0.0/8', '::1'] });
});

afterAll(async () => {
  await closeAllProfiles();
  await fx?.stop();
});

test('an ignored visitor sees the page; its events are answered excluded once each, not resent, not counted', async () => {
  const p = await openProfile();
  const answers: { status: number; body: unknown }[] = [];
  const sent: string[] = [];
  const console: string[] = [];
  p.page.on('console', (m) => console.push(m.text()));
  p.page.on('response', async (r) => {
    if (!r.url().endsWith('/track') || r.request().method() !== 'POST') return;
    sent.push(r.request().postData() ?? '');
    answers.push({ status: r.status(), body: await r.json() });
  });
  await p.page.goto(`${fx.dev.url}/`);
  await p.page.waitForSelector('#banner[data-variant]');
  await p.page.waitForSelector('#book[data-variant]');
  await p.page.click('#book');

  const queued = () => p.page.evaluate(() => JSON.parse(localStorage.getItem('abtest:queue') || '[]').length as number);
  // Both experiments' participation and the goal `booked` (in both): four events.
  const events = () => sent.flatMap((b) => JSON.parse(b) as { uuid: string; event: string }[]);
  await eventually(
    async () => [await queued(), events().length] as const,
    ([q, n]) => q === 0 && n >= 4,
  );
  expect(await queued()).toBe(0);
  expect(answers.length).toBeGreaterThan(0);
  for (const a of answers)
    expect(a).toEqual({ status: 200, body: { status: 'ok', stored: 0, excluded: 'ignored_ip' } });
  const keys = events().map((e) => `${e.event} ${e.uuid}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect(console.filter((t) => t.includes('abtest'))).toEqual([]);

  expect(await fx.results()).toEqual([]);
  await p.page.screenshot({ path: path.join(outputDir(), 'excluded-visitor.png') });
  await p.close();
});
