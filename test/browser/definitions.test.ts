import { closeAllProfiles, eventually, openProfile, startDev, type DevFixture, type Profile } from '../helpers/browser';
import { admin, running } from '../helpers/admin';

/**
 * The browser client with server definitions, in Chromium on the demo page of `abtest dev`:
 * pause, roll out and weights set through the admin API reach visitors on their next page view.
 */

jest.setTimeout(120_000);

let fx: DevFixture;

beforeAll(async () => {
  fx = await startDev();
});

afterAll(async () => {
  await closeAllProfiles();
  await fx?.stop();
});

/** Records the POSTs to /track of a page. */
function trackPosts(p: Profile): string[] {
  const bodies: string[] = [];
  p.page.on('request', (r) => {
    if (r.url().endsWith('/track') && r.method() === 'POST') bodies.push(r.postData() ?? '');
  });
  return bodies;
}

const attr = (p: Profile, sel: string) => p.page.getAttribute(sel, 'data-variant');
const queued = (p: Profile) =>
  p.page.evaluate(() => JSON.parse(localStorage.getItem('abtest:queue') || '[]').length as number);

test('running, then paused: the next page view shows the fallback and sends nothing; rolled out shows the winner', async () => {
  // mars nearly always; the fallback (and control) is moon. A user id: the server's weights decide
  // even when a slow first answer came after the wait (an anonymous visitor keeps what the code gave).
  await running(fx, 'banner', { moon: 1, mars: 1e6 });
  const p = await openProfile();
  await p.page.goto(`${fx.dev.url}/?user=pat`);
  await p.page.waitForSelector('#banner[data-variant=mars]');
  await p.page.waitForSelector('#book[data-variant]');
  const button = await attr(p, '#book');
  await eventually(
    () => fx.counts('banner'),
    (c) => c?.participants.mars === 1,
  );
  await p.page.goto(`${fx.dev.url}/?user=pat`);
  await p.page.waitForSelector('#banner[data-variant=mars]');
  expect(
    await eventually(
      () => queued(p),
      (n) => n === 0,
    ),
  ).toBe(0);

  await admin(fx, 'POST', '/definition/state', 'banner', { state: 'paused' });
  const posts = trackPosts(p);
  await p.page.reload();
  await p.page.waitForSelector('#banner[data-variant=moon]');
  await p.page.click('#book'); // the goal: counted for the undefined button experiment only
  await eventually(
    () => fx.counts('button colour'),
    (c) => c?.goals.booked?.[button!] === 1,
  );
  expect(posts.join('')).not.toContain('"banner"');
  expect(await p.page.textContent('#banner-text')).toBe('Fly to the Moon');
  expect((await fx.counts('banner'))?.goals).toEqual({});

  // The button experiment gets a definition, runs, and is rolled out to the variant the visitor did not see.
  const winner = button === 'green' ? 'orange' : 'green';
  await running(fx, 'button colour', { green: 1, orange: 1 });
  await admin(fx, 'POST', '/definition/state', 'button colour', { state: 'rolled_out', winner });
  const before = posts.length;
  await p.page.reload();
  await p.page.waitForSelector(`#book[data-variant=${winner}]`);
  await p.page.click('#book');
  await new Promise((r) => setTimeout(r, 1000));
  expect(posts.slice(before).join('')).not.toContain('"button colour"');
  expect(await queued(p)).toBe(0);
});

test('weights come from the server: a 90/10 definition splits 2,000 visitors with user ids 90/10 ± 3σ', async () => {
  await running(fx, 'weighted', { big: 9, small: 1 });
  const p = await openProfile();
  await p.page.goto(`${fx.dev.url}/`);
  await p.page.waitForFunction((ns) => !!localStorage.getItem(`abtest:config:${ns}`), fx.namespace);
  const n = 2000;
  const split = await p.page.evaluate(
    async ({ n, ns }) => {
      type Client = { init(o: object): void; experiment(o: object): { variant: string } };
      const w = window as unknown as { abtest: Client }; // the page's global client
      const out: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        w.abtest.init({ url: '/track', namespace: ns, userId: `user-${i}` });
        const v = w.abtest.experiment({ name: 'weighted', variants: { big: {}, small: {} } }).variant;
        out[v] = (out[v] ?? 0) + 1;
        // The queue keeps 500 events at most: let it drain now and then.
        while (i % 200 === 199 && JSON.parse(localStorage.getItem('abtest:queue') || '[]').length) {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      return out;
    },
    { n, ns: fx.namespace },
  );
  const sigma = Math.sqrt(n * 0.9 * 0.1);
  expect(split.big + split.small).toBe(n);
  expect(Math.abs(split.big - 0.9 * n)).toBeLessThanOrEqual(3 * sigma);
  // The server counted them in phase 1 of the definition, as the page split them.
  const counted = await eventually(
    () => fx.counts('weighted'),
    (c) => (c?.participants.big ?? 0) + (c?.participants.small ?? 0) === n,
    60_000,
    500,
  );
  expect(counted?.participants).toEqual(split);
});
