import path from 'node:path';
import { assign } from '../../src/assign';
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
 * The demo page of `abtest dev` in Chromium: the snippet's client assigns, activates and
 * tracks; the counts arrive once, whatever is resent.
 */

jest.setTimeout(60_000);

let fx: DevFixture;

beforeAll(async () => {
  // An allow-list and a name limit below the client's: the server refuses single events.
  fx = await startDev({ allowed_experiments: ['banner', 'button colour', 'broken', 'checkout'], max_name_length: 40 });
});

afterAll(async () => {
  await closeAllProfiles();
  await fx?.stop();
});

const variants = async (p: Profile) => {
  await p.page.waitForSelector('#banner[data-variant]');
  await p.page.waitForSelector('#book[data-variant]');
  return {
    banner: (await p.page.getAttribute('#banner', 'data-variant'))!,
    button: (await p.page.getAttribute('#book', 'data-variant'))!,
  };
};

const queued = (p: Profile) =>
  p.page.evaluate(() => JSON.parse(localStorage.getItem('abtest:queue') || '[]').length as number);

/** Participants (and goal `booked`) of both experiments, summed over variants. */
async function totals() {
  const sum = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);
  const banner = await fx.counts('banner');
  const button = await fx.counts('button colour');
  return {
    banner: sum(banner?.participants),
    button: sum(button?.participants),
    bannerBooked: sum(banner?.goals.booked),
    buttonBooked: sum(button?.goals.booked),
  };
}

test('variants render, participation and goals arrive once, reloads keep the variant, resends do not count twice', async () => {
  const p = await openProfile();
  const bodies: string[] = [];
  p.page.on('request', (r) => {
    if (r.url().endsWith('/track') && r.method() === 'POST') bodies.push(r.postData() ?? '');
  });
  await p.page.goto(`${fx.dev.url}/`);
  const seen = await variants(p);
  expect(['moon', 'mars']).toContain(seen.banner);
  expect(['green', 'orange']).toContain(seen.button);
  expect(await p.page.textContent('#banner-text')).toBe(seen.banner === 'moon' ? 'Fly to the Moon' : 'Fly to Mars');

  const entered = await eventually(
    () => fx.counts('banner'),
    (c) => c?.participants[seen.banner] === 1,
  );
  expect(entered?.participants).toEqual({ [seen.banner]: 1 });
  expect((await fx.counts('button colour'))?.participants).toEqual({ [seen.button]: 1 });

  await p.page.click('#book');
  const booked = await eventually(
    () => fx.counts('button colour'),
    (c) => c?.goals.booked?.[seen.button] === 1,
  );
  expect(booked?.goals).toEqual({ booked: { [seen.button]: 1 } });
  expect((await fx.counts('banner'))?.goals).toEqual({ booked: { [seen.banner]: 1 } });
  expect(
    await eventually(
      () => queued(p),
      (n) => n === 0,
    ),
  ).toBe(0);

  for (let i = 0; i < 3; i++) {
    await p.page.reload();
    expect(await variants(p)).toEqual(seen);
    await p.page.click('#book');
  }
  // Every body the page ever sent, sent again (twice, as text/plain like sendBeacon).
  expect(bodies.length).toBeGreaterThan(0);
  const statuses = await p.page.evaluate(async (list) => {
    const out: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (const body of list)
        out.push((await fetch('/track', { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } })).status);
    }
    return out;
  }, bodies);
  expect(new Set(statuses)).toEqual(new Set([200]));
  expect(await totals()).toEqual({ banner: 1, button: 1, bannerBooked: 1, buttonBooked: 1 });
  await p.page.screenshot({ path: path.join(outputDir(), 'demo.png') });
  await p.close();
});

test('a visitor with a user id gets the same variants in a fresh browser profile, counted once', async () => {
  const before = await totals();
  const user = 'alice@example.com';
  const a = await openProfile();
  await a.page.goto(`${fx.dev.url}/?user=${encodeURIComponent(user)}`);
  const first = await variants(a);
  await a.close();
  const b = await openProfile();
  await b.page.goto(`${fx.dev.url}/?user=${encodeURIComponent(user)}`);
  expect(await variants(b)).toEqual(first);
  // The same pure function the server will use gives the same answer.
  expect(first.banner).toBe(assign('banner', user, [{ label: 'moon' }, { label: 'mars' }]).variant);
  expect(first.button).toBe(assign('button colour', user, [{ label: 'green' }, { label: 'orange' }]).variant);
  const after = await eventually(totals, (t) => t.banner === before.banner + 1 && t.button === before.button + 1);
  expect(after).toEqual({ ...before, banner: before.banner + 1, button: before.button + 1 });
  await b.page.waitForTimeout(300);
  expect(await totals()).toEqual(after);
  await b.close();
});

test('a forced variant (?abtest_force) shows without tracking', async () => {
  const before = await totals();
  const p = await openProfile();
  await p.page.goto(`${fx.dev.url}/?abtest_force=banner:mars`);
  expect((await variants(p)).banner).toBe('mars');
  expect(await p.page.textContent('#seen')).toContain('banner mars (not tracked)');
  await p.page.click('#book');
  // Only the unforced experiment counts the visitor and the goal.
  const after = await eventually(totals, (t) => t.buttonBooked === before.buttonBooked + 1);
  expect(after).toEqual({ ...before, button: before.button + 1, buttonBooked: before.buttonBooked + 1 });
  await p.close();
});

test('events queued while the endpoint is down arrive later, once', async () => {
  const before = await totals();
  const p = await openProfile();
  let blocked = 0;
  await p.context.route('**/track', (route) => {
    blocked++;
    return route.abort('connectionrefused');
  });
  await p.page.goto(`${fx.dev.url}/`);
  await variants(p);
  await p.page.click('#book');
  expect(
    await eventually(
      () => queued(p),
      (n) => n === 4,
    ),
  ).toBe(4);
  await eventually(
    async () => blocked,
    (n) => n > 0,
  );
  expect(await totals()).toEqual(before);

  await p.context.unroute('**/track');
  await p.page.reload();
  await variants(p);
  const expected = {
    banner: before.banner + 1,
    button: before.button + 1,
    bannerBooked: before.bannerBooked + 1,
    buttonBooked: before.buttonBooked + 1,
  };
  expect(
    await eventually(
      totals,
      (t) => t.buttonBooked === expected.buttonBooked && t.bannerBooked === expected.bannerBooked,
    ),
  ).toEqual(expected);
  expect(
    await eventually(
      () => queued(p),
      (n) => n === 0,
    ),
  ).toBe(0);
  await p.page.reload();
  await variants(p);
  await p.page.waitForTimeout(300);
  expect(await totals()).toEqual(expected);
  await p.close();
});

test('503 and 429 are retried; events the server refuses leave the queue alone, the rest arrives once', async () => {
  const p = await openProfile();
  const posts: { answer: number | 'server'; body: string }[] = [];
  const early = [503, 429];
  await p.context.route('**/track', (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const answer = early.shift() ?? 'server';
    posts.push({ answer, body: route.request().postData() ?? '' });
    if (answer === 'server') return route.continue();
    return route.fulfill({
      status: answer,
      contentType: 'application/json',
      body: '{"status":"failed","message":"later"}',
    });
  });
  await p.page.goto(`${fx.dev.url}/`);
  await variants(p);
  const long = `checkout ${'x'.repeat(40)}`;
  await p.page.evaluate((name) => {
    const w = window as unknown as { abtest: { experiment(o: unknown): unknown; complete(n: string): void } };
    for (const n of ['checkout', 'not allowed', name]) w.abtest.experiment({ name: n, variants: { a: {}, b: {} } });
    w.abtest.complete('paid');
  }, long);
  const c = await eventually(
    () => fx.counts('checkout'),
    (x) => x?.goals.paid !== undefined,
    15_000,
  );
  expect(Object.values(c!.participants)).toEqual([1]);
  expect(Object.values(c!.goals.paid)).toEqual([1]);
  expect(
    await eventually(
      () => queued(p),
      (n) => n === 0,
      15_000,
    ),
  ).toBe(0);
  await p.page.waitForTimeout(500);
  expect(posts.slice(0, 2).map((x) => x.answer)).toEqual([503, 429]);
  // The refused events went to the server once, in a batch that also stored the others.
  const served = posts.filter((x) => x.answer === 'server');
  expect(served.filter((x) => x.body.includes('not allowed'))).toHaveLength(1);
  expect(served.filter((x) => x.body.includes(long))).toHaveLength(1);
  const names = (await fx.results()).map((e) => e.experiment);
  expect(names).toContain('checkout');
  expect(names).not.toContain('not allowed');
  await p.close();
});

test('what is still queued when the page goes away leaves with sendBeacon', async () => {
  const before = await totals();
  const p = await openProfile();
  // Every fetch to /track fails. Playwright neither routes nor reports beacons, so a spy
  // notes each sendBeacon call in localStorage, which outlives the page.
  await p.context.route('**/track', (route) => route.abort('connectionrefused'));
  await p.context.addInitScript(() => {
    const send = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (url, data) => {
      localStorage.setItem('beacon-spy', JSON.stringify({ url: String(url), type: typeof data, body: String(data) }));
      return send(url, data);
    };
  });
  await p.page.goto(`${fx.dev.url}/`);
  const seen = await variants(p);
  expect(
    await eventually(
      () => queued(p),
      (n) => n === 2,
    ),
  ).toBe(2);
  await p.page.goto('about:blank');
  const after = await eventually(totals, (t) => t.banner === before.banner + 1 && t.button === before.button + 1);
  expect(after).toEqual({ ...before, banner: before.banner + 1, button: before.button + 1 });
  await p.context.unroute('**/track');
  await p.page.goto(`${fx.dev.url}/`);
  const spy = JSON.parse((await p.page.evaluate(() => localStorage.getItem('beacon-spy')))!);
  // A string body: the browser sends it as text/plain, a request without CORS preflight.
  expect(spy).toMatchObject({ url: '/track', type: 'string' });
  expect(
    JSON.parse(spy.body)
      .map((e: { variant: string }) => e.variant)
      .sort(),
  ).toEqual([seen.banner, seen.button].sort());
  await p.close();
});

test('the client works without localStorage (private mode) and never throws into the page', async () => {
  const p = await openProfile();
  const errors: string[] = [];
  p.page.on('pageerror', (e) => errors.push(e.message));
  await p.context.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', {
      get() {
        throw new DOMException('denied', 'SecurityError');
      },
    });
  });
  const before = await totals();
  await p.page.goto(`${fx.dev.url}/`);
  await variants(p);
  await p.page.click('#book');
  const after = await eventually(
    totals,
    (t) => t.buttonBooked === before.buttonBooked + 1 && t.bannerBooked === before.bannerBooked + 1,
  );
  expect(after.button).toBe(before.button + 1);
  // Misuse is reported on the console, not thrown.
  const misuse = await p.page.evaluate(() => {
    const w = window as unknown as {
      abtest: {
        experiment(o: unknown): { variant: string | null };
        complete(n: unknown): void;
        init(o: unknown): void;
      };
    };
    w.abtest.init(null);
    const x = w.abtest.experiment({
      name: 'broken',
      variants: {
        a: {
          activate: () => {
            throw new Error('host bug');
          },
        },
      },
    });
    w.abtest.complete(undefined);
    return x.variant;
  });
  expect(misuse).toBe('a');
  expect(errors).toEqual([]);
  await p.close();
});
