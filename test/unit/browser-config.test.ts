import { createClient, type ClientEnv } from '../../src/browser/client';
import { configUrl } from '../../src/browser/definitions';
import type { ServerDefinition } from '../../src/browser/types';
import type { WireEvent } from '../../src/protocol';

/**
 * The browser client with server definitions (`GET /config`): a fake browser whose GET
 * answers when the test says so. Chromium runs the real thing in test/browser/.
 */

const def = (over: Partial<ServerDefinition> = {}): ServerDefinition => ({
  experiment: 'color',
  variants: [
    { label: 'red', weight: 9 },
    { label: 'green', weight: 1 },
  ],
  sample: 1,
  fallback: 'red',
  state: 'running',
  winner: null,
  phase: 1,
  ...over,
});

function fake(random = 0.95) {
  const store = new Map<string, string>();
  const posts: WireEvent[][] = [];
  const gets: string[] = [];
  let answer: (v: { status: number; text: string }) => void = () => undefined;
  const timers: (() => void)[] = [];
  const warnings: string[] = [];
  const env: ClientEnv = {
    storage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) },
    get: (url) => {
      gets.push(url);
      return new Promise((resolve) => (answer = resolve));
    },
    post: async (_url, body) => {
      posts.push(JSON.parse(body));
      return { status: 200, text: '{"status":"ok"}' };
    },
    beacon: () => false,
    random: () => random,
    randomId: () => 'f'.repeat(32),
    search: '',
    setTimeout: (fn) => timers.push(fn),
    warn: (m) => warnings.push(m),
  };
  const flush = async () => {
    await new Promise((r) => setImmediate(r));
    while (timers.length) {
      timers.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  const serve = async (experiments: ServerDefinition[]) => {
    answer({ status: 200, text: JSON.stringify({ namespace: 'ns', experiments }) });
    await flush();
  };
  return { env, store, posts, gets, warnings, flush, serve, events: () => posts.flat() };
}

const variants = (seen: string[]) => ({
  red: { activate: (v: string) => seen.push(v) },
  green: { activate: (v: string) => seen.push(v) },
});

test('the definitions URL sits next to the track URL, with the namespace; false turns it off', () => {
  expect(configUrl('https://x.test/prod/track', 'my ns')).toBe('https://x.test/prod/config?namespace=my%20ns');
  expect(configUrl('/track', undefined)).toBe('/config');
  expect(configUrl('https://x.test/collect', 'a')).toBeNull();
  expect(configUrl('/track', 'a', false)).toBeNull();
  expect(configUrl('/track', 'a', '/defs?v=1')).toBe('/defs?v=1&namespace=a');
});

test('a first visit waits for the definitions, then uses their weights and phase, and caches them', async () => {
  const b = fake(0.8);
  const c = createClient(b.env);
  c.init({ url: '/track', namespace: 'ns' });
  const seen: string[] = [];
  const h = c.experiment({ name: 'color', variants: variants(seen) });
  let ready = false;
  c.ready(() => (ready = true));
  expect(h.variant).toBeNull();
  expect(ready).toBe(false);
  expect(b.gets).toEqual(['/config?namespace=ns']);
  // Code weights are equal: 0.8 would be green; the server's 9:1 makes it red.
  await b.serve([def()]);
  expect(ready).toBe(true);
  expect(h).toMatchObject({ variant: 'red', tracked: true });
  expect(seen).toEqual(['red']);
  expect(b.events().map((e) => [e.experiment, e.variant, e.event])).toEqual([['color', 'red', 'participate']]);
  expect(JSON.parse(b.store.get('abtest:config:ns')!).color.phase).toBe(1);
});

test('a visitor with a user id keeps the variant first given when the weights change', async () => {
  const b = fake();
  const c = createClient(b.env);
  c.init({ url: '/track', namespace: 'ns', userId: 'user-7' });
  const h = c.experiment({ name: 'color', variants: variants([]) });
  await b.serve([
    def({
      variants: [
        { label: 'red', weight: 1 },
        { label: 'green', weight: 0.000001 },
      ],
    }),
  ]);
  expect(h.variant).toBe('red');
  // The weights now send (almost) everyone to green, a new phase: the next page keeps red.
  const next = createClient(b.env);
  next.init({ url: '/track', namespace: 'ns', userId: 'user-7' });
  const again = next.experiment({ name: 'color', variants: variants([]) });
  await b.serve([
    def({
      phase: 2,
      variants: [
        { label: 'red', weight: 0.000001 },
        { label: 'green', weight: 1 },
      ],
    }),
  ]);
  expect(again.variant).toBe('red');
});

test('a first visit whose definitions do not come within the wait uses the code', async () => {
  const b = fake(0.95);
  const c = createClient(b.env);
  c.init({ url: '/track', namespace: 'ns', wait: 50 });
  const h = c.experiment({ name: 'color', variants: variants([]) });
  expect(h.variant).toBeNull();
  await b.flush(); // the wait's timer fires, the GET has not answered
  expect(h).toMatchObject({ variant: 'green', tracked: true });
});

test('definitions that come after the wait keep the variant shown and do not count the visitor twice', async () => {
  const b = fake(0.95);
  const c = createClient(b.env);
  c.init({ url: '/track', namespace: 'ns', wait: 50 });
  const h = c.experiment({ name: 'color', variants: variants([]) });
  await b.flush(); // the wait runs out: the code's equal weights give green
  expect(h.variant).toBe('green');
  await b.serve([def()]); // phase 1, weights 9:1
  expect(h).toMatchObject({ variant: 'green', tracked: true });
  c.complete('bought');
  await b.flush();
  const events = b.events().map((e) => [e.variant, e.event]);
  expect(events).toEqual([
    ['green', 'participate'],
    ['green', 'bought'],
  ]);
});

test('cached definitions decide at once: paused shows the fallback, rolled out the winner, neither tracks', async () => {
  const b = fake(0.95);
  b.store.set(
    'abtest:config:ns',
    JSON.stringify({
      color: def({ state: 'paused', fallback: 'green' }),
      size: def({ experiment: 'size', state: 'rolled_out', winner: 'green' }),
    }),
  );
  const c = createClient(b.env);
  c.init({ url: '/track', namespace: 'ns' });
  const seen: string[] = [];
  expect(c.experiment({ name: 'color', variants: variants(seen) })).toMatchObject({ variant: 'green', tracked: false });
  expect(c.experiment({ name: 'size', variants: variants(seen) })).toMatchObject({ variant: 'green', tracked: false });
  c.complete('bought');
  await b.flush();
  expect(b.events()).toEqual([]);
});

test('a fresh answer that pauses an experiment the page showed switches it to the fallback and stops its goals', async () => {
  const b = fake(0.01);
  b.store.set('abtest:config:ns', JSON.stringify({ color: def({ fallback: 'green' }) }));
  const c = createClient(b.env);
  c.init({ url: '/track', namespace: 'ns' });
  const seen: string[] = [];
  const h = c.experiment({ name: 'color', variants: variants(seen) });
  expect(h).toMatchObject({ variant: 'red', tracked: true });
  await b.serve([def({ state: 'paused', fallback: 'green' })]);
  expect(h).toMatchObject({ variant: 'green', tracked: false });
  expect(seen).toEqual(['red', 'green']);
  c.complete('bought');
  await b.flush();
  expect(b.events().map((e) => e.event)).toEqual(['participate']);
});

test('a new phase counts the visitor again, with other uuids; a definition naming unknown variants is ignored', async () => {
  const b = fake(0.01);
  b.store.set(
    'abtest:config:ns',
    JSON.stringify({ color: def(), other: def({ experiment: 'other', fallback: 'blue' }) }),
  );
  const c = createClient(b.env);
  c.init({ url: '/track', namespace: 'ns' });
  c.experiment({ name: 'color', variants: variants([]) });
  c.complete('bought');
  await b.serve([def({ phase: 2 }), def({ experiment: 'other', fallback: 'blue' })]);
  c.complete('bought');
  expect(c.experiment({ name: 'other', variants: variants([]) }).variant).toBe('red');
  expect(b.warnings.join()).toMatch(/"other" names variants this page lacks/);
  await b.flush();
  const color = b.events().filter((e) => e.experiment === 'color');
  expect(color.map((e) => e.event)).toEqual(['participate', 'bought', 'participate', 'bought']);
  expect(new Set(color.map((e) => e.uuid)).size).toBe(4);
});
