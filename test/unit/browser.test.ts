import { assign, eventUuid } from '../../src/assign';
import { createClient, forcedVariants, QUEUE_MAX, RETRIES, type ClientEnv } from '../../src/browser/client';
import { MAX_BATCH as BATCH, type WireEvent as TrackEvent } from '../../src/protocol';

/**
 * The browser client's queue, uuids and assignment with a fake browser: storage, network and
 * timers under the test's control. Chromium runs the real thing in test/browser/.
 */

class FakeBrowser {
  store = new Map<string, string>();
  /** Statuses (or status and JSON body) the next POSTs answer (then `respond`). */
  answers: (number | { status: number; body: unknown })[] = [];
  /** The answer once `answers` is used up. */
  respond: (events: TrackEvent[]) => { status: number; body: unknown } = (events) => ({
    status: 200,
    body: { status: 'ok', stored: events.length },
  });
  posts: TrackEvent[][] = [];
  beacons: TrackEvent[][] = [];
  beaconWorks = true;
  timers: { fn: () => void; ms: number }[] = [];
  warnings: string[] = [];
  search = '';
  storageThrows = false;
  private ids = 0;

  env(): ClientEnv {
    const storage = {
      getItem: (k: string) => {
        if (this.storageThrows) throw new Error('denied');
        return this.store.get(k) ?? null;
      },
      setItem: (k: string, v: string) => {
        if (this.storageThrows) throw new Error('QuotaExceededError');
        this.store.set(k, v);
      },
    };
    return {
      storage,
      post: async (_url, body) => {
        const events = JSON.parse(body);
        this.posts.push(events);
        const next = this.answers.length ? this.answers.shift()! : this.respond(events);
        return typeof next === 'number'
          ? { status: next, text: '' }
          : { status: next.status, text: JSON.stringify(next.body) };
      },
      beacon: (_url, body) => {
        if (!this.beaconWorks) return false;
        this.beacons.push(JSON.parse(body));
        return true;
      },
      random: () => 0.3,
      randomId: () => String(++this.ids).padStart(32, '0'),
      search: this.search,
      setTimeout: (fn, ms) => this.timers.push({ fn, ms }),
      warn: (m) => this.warnings.push(m),
    };
  }

  /** Runs due timers (and what they schedule) until none is left; returns their delays. */
  async runTimers(): Promise<number[]> {
    const delays: number[] = [];
    while (this.timers.length) {
      const t = this.timers.shift()!;
      delays.push(t.ms);
      t.fn();
      await new Promise((r) => setImmediate(r));
    }
    return delays;
  }

  queue(): TrackEvent[] {
    return JSON.parse(this.store.get('abtest:queue') ?? '[]');
  }

  sent(): TrackEvent[] {
    return this.posts.flat();
  }
}

const URL_ = 'https://api.example/prod/track';
const variants = { red: {}, blue: {} };

function page(b: FakeBrowser, init: { namespace?: string; userId?: string } = { namespace: 'ns' }) {
  const c = createClient(b.env());
  c.init({ url: URL_, ...init });
  return c;
}

test('participation of the experiments on a page goes in one batch, with stable uuids', async () => {
  const b = new FakeBrowser();
  const c = page(b);
  const one = c.experiment({ name: 'one', variants });
  const two = c.experiment({ name: 'two', variants });
  await b.runTimers();
  expect(b.posts).toHaveLength(1);
  const visitor = JSON.parse(b.store.get('abtest:visitor')!);
  expect(b.posts[0]).toEqual([
    {
      namespace: 'ns',
      experiment: 'one',
      variant: one.variant,
      event: 'participate',
      uuid: eventUuid('ns', 'one', 'participate', visitor),
    },
    {
      namespace: 'ns',
      experiment: 'two',
      variant: two.variant,
      event: 'participate',
      uuid: eventUuid('ns', 'two', 'participate', visitor),
    },
  ]);
  expect(b.queue()).toEqual([]);
});

test('the next page keeps the variant and does not send participation again', async () => {
  const b = new FakeBrowser();
  const first = page(b).experiment({ name: 'one', variants }).variant;
  await b.runTimers();
  const again = page(b).experiment({ name: 'one', variants: { red: {}, blue: {} } });
  await b.runTimers();
  expect(again).toEqual({ name: 'one', variant: first, tracked: true });
  expect(b.sent()).toHaveLength(1);
});

test('activate gets the variant; a throwing activate or trigger is reported, not thrown', async () => {
  const b = new FakeBrowser();
  const c = page(b);
  const seen: string[] = [];
  c.experiment({
    name: 'one',
    variants: { red: { activate: (v) => seen.push(v) }, blue: { activate: (v) => seen.push(v) } },
  });
  expect(seen).toHaveLength(1);
  expect(() =>
    c.experiment({
      name: 'boom',
      variants: {
        a: {
          activate: () => {
            throw new Error('host bug');
          },
        },
      },
    }),
  ).not.toThrow();
  expect(
    c.experiment({
      name: 'trig',
      variants,
      trigger: () => {
        throw new Error('x');
      },
    }).variant,
  ).toBeNull();
  expect(b.warnings.filter((w) => w.includes('threw'))).toHaveLength(2);
});

test('unique goals are sent once per experiment; non-unique goals every time, each with its own uuid', async () => {
  const b = new FakeBrowser();
  const c = page(b);
  c.experiment({ name: 'one', variants });
  c.experiment({ name: 'two', variants });
  await b.runTimers();
  c.complete('signup');
  c.complete('signup');
  c.complete('view', { unique: false });
  c.complete('view', { unique: false });
  await b.runTimers();
  const goals = b.sent().filter((e) => e.event !== 'participate');
  expect(
    goals
      .filter((e) => e.event === 'signup')
      .map((e) => e.experiment)
      .sort(),
  ).toEqual(['one', 'two']);
  const views = goals.filter((e) => e.event === 'view');
  expect(views).toHaveLength(4);
  expect(new Set(views.map((e) => e.uuid)).size).toBe(4);
  // A later page remembers the unique goal.
  page(b).complete('signup');
  await b.runTimers();
  expect(b.sent().filter((e) => e.event === 'signup')).toHaveLength(2);
});

test('goals count in experiments entered on earlier pages', async () => {
  const b = new FakeBrowser();
  const v = page(b).experiment({ name: 'landing', variants }).variant;
  await b.runTimers();
  page(b).complete('bought');
  await b.runTimers();
  expect(b.sent().at(-1)).toMatchObject({ experiment: 'landing', variant: v, event: 'bought' });
});

test('5xx and network errors are retried with backoff, and the queue survives to the next page', async () => {
  const b = new FakeBrowser();
  b.answers = new Array(RETRIES).fill(0).map((_, i) => (i % 2 ? 503 : 0));
  page(b).experiment({ name: 'one', variants });
  const delays = await b.runTimers();
  expect(delays).toEqual([0, 1000, 2000, 4000, 8000]);
  expect(b.posts).toHaveLength(RETRIES);
  expect(b.queue()).toHaveLength(1);
  // The next page sends it; it leaves the queue once answered 200.
  page(b);
  await b.runTimers();
  expect(b.posts).toHaveLength(RETRIES + 1);
  expect(b.posts.at(-1)).toEqual(b.posts[0]);
  expect(b.queue()).toEqual([]);
});

test('408 and 429 are retried like 5xx; another 4xx is final and warned about', async () => {
  const b = new FakeBrowser();
  b.answers = [408, 429, 502, 404];
  page(b).experiment({ name: 'one', variants });
  expect(await b.runTimers()).toEqual([0, 1000, 2000, 4000]);
  expect(b.posts).toHaveLength(4);
  expect(b.queue()).toEqual([]);
  expect(b.warnings.join()).toContain('refused 1 event(s) (HTTP 404)');
});

test('a 200 that lists rejected events confirms the batch; the refused are warned about, not resent', async () => {
  const b = new FakeBrowser();
  b.answers = [
    { status: 200, body: { status: 'ok', stored: 1, rejected: [{ index: 1, field: 'experiment', message: 'no' }] } },
  ];
  const c = page(b);
  c.experiment({ name: 'allowed', variants });
  c.experiment({ name: 'not allowed', variants });
  await b.runTimers();
  expect(b.posts.map((p) => p.length)).toEqual([2]);
  expect(b.queue()).toEqual([]);
  expect(b.warnings.join()).toContain('refused 1 event(s) (HTTP 200)');
});

test('a 200 that says the visitor is excluded (a bot, an ignored address) confirms the batch: not resent, no warning', async () => {
  const b = new FakeBrowser();
  b.respond = () => ({ status: 200, body: { status: 'ok', stored: 0, excluded: 'ignored_ip' } });
  const c = page(b);
  c.experiment({ name: 'one', variants });
  c.experiment({ name: 'two', variants });
  expect(await b.runTimers()).toEqual([0]);
  expect(b.posts.map((p) => p.length)).toEqual([2]);
  expect(b.queue()).toEqual([]);
  expect(b.warnings).toEqual([]);
});

test('a batch refused as a whole (400, 413) is halved until the event at fault is alone; the rest arrives', async () => {
  const b = new FakeBrowser();
  // A server that refuses a whole batch for one bad name (as abtest before per-event answers did).
  b.respond = (events) =>
    events.some((e) => e.experiment === 'bad')
      ? { status: 400, body: { status: 'failed', field: 'experiment', message: 'no' } }
      : { status: 200, body: { status: 'ok', stored: events.length } };
  const c = page(b);
  for (const name of ['a', 'b', 'bad', 'c', 'd']) c.experiment({ name, variants });
  await b.runTimers();
  const stored = b.posts
    .filter((p) => !p.some((e) => e.experiment === 'bad'))
    .flat()
    .map((e) => e.experiment);
  expect(stored.sort()).toEqual(['a', 'b', 'c', 'd']);
  expect(b.posts.filter((p) => p.length === 1 && p[0].experiment === 'bad')).toHaveLength(1);
  expect(b.queue()).toEqual([]);
  // The batch size comes back once the queue is empty.
  b.respond = (events) => ({ status: 200, body: { status: 'ok', stored: events.length } });
  for (let i = 0; i < 3; i++) c.complete(`goal ${i}`);
  b.posts = [];
  await b.runTimers();
  expect(b.posts.map((p) => p.length)).toEqual([3 * 5]);
});

test('the queue sends in batches of 100, keeps each event once, and holds at most QUEUE_MAX', async () => {
  const b = new FakeBrowser();
  b.answers = [0, 0, 0, 0, 0];
  const c = page(b);
  c.experiment({ name: 'one', variants });
  for (let i = 0; i < QUEUE_MAX + 50; i++) c.complete('tick', { unique: false });
  c.complete('once');
  c.complete('once');
  await b.runTimers();
  expect(b.queue()).toHaveLength(QUEUE_MAX);
  expect(b.queue().filter((e) => e.event === 'once')).toHaveLength(1);
  page(b);
  await b.runTimers();
  expect(b.posts.slice(5).map((p) => p.length)).toEqual([BATCH, BATCH, BATCH, BATCH, BATCH]);
  expect(b.queue()).toEqual([]);
});

test('on page hide the queue goes to sendBeacon (fetch when it refuses) and stays queued until confirmed', async () => {
  const b = new FakeBrowser();
  b.answers = [0, 0, 0, 0, 0];
  const c = page(b);
  c.experiment({ name: 'one', variants });
  await b.runTimers();
  c.pageHidden();
  expect(b.beacons).toEqual([b.queue()]);
  b.beaconWorks = false;
  const before = b.posts.length;
  c.pageHidden();
  expect(b.posts).toHaveLength(before + 1);
  expect(b.queue()).toHaveLength(1);
});

test('without a working localStorage everything still runs, in memory', async () => {
  const b = new FakeBrowser();
  b.storageThrows = true;
  const c = page(b);
  const e = c.experiment({ name: 'one', variants });
  c.complete('goal');
  await b.runTimers();
  expect(e.tracked).toBe(true);
  expect(b.sent().map((x) => x.event)).toEqual(['participate', 'goal']);
  const noStorage = createClient({ ...b.env(), storage: null });
  noStorage.init({ url: URL_ });
  expect(noStorage.experiment({ name: 'two', variants }).tracked).toBe(true);
});

test('a user id gives the variant of src/assign, and the same uuids on every device', async () => {
  const a = new FakeBrowser();
  const b = new FakeBrowser();
  const va = page(a, { namespace: 'ns', userId: 'u-17' }).experiment({ name: 'exp', variants });
  const vb = page(b, { namespace: 'ns', userId: 'u-17' }).experiment({ name: 'exp', variants });
  await a.runTimers();
  await b.runTimers();
  expect(va.variant).toBe(assign('exp', 'u-17', [{ label: 'red' }, { label: 'blue' }]).variant);
  expect(vb.variant).toBe(va.variant);
  expect(a.sent()).toEqual(b.sent());
  expect(a.sent()[0].uuid).toBe(eventUuid('ns', 'exp', 'participate', 'u-17'));
});

test('outside the sample: the first variant, nothing sent; a false trigger leaves the page alone', async () => {
  const b = new FakeBrowser();
  const c = page(b);
  expect(c.experiment({ name: 'tiny', variants, sample: 0 })).toEqual({ name: 'tiny', variant: 'red', tracked: false });
  let activated = false;
  expect(
    c.experiment({ name: 'later', variants: { a: { activate: () => (activated = true) } }, trigger: () => false })
      .variant,
  ).toBeNull();
  c.complete('goal');
  await b.runTimers();
  expect(activated).toBe(false);
  expect(b.sent()).toEqual([]);
});

test('?abtest_force shows a variant without tracking it', async () => {
  expect(forcedVariants('?abtest_force=banner:mars,a:b:c&abtest_force=button+colour:orange')).toEqual({
    banner: 'mars',
    'a:b': 'c',
    'button colour': 'orange',
  });
  const b = new FakeBrowser();
  b.search = '?abtest_force=one:blue';
  const c = page(b);
  expect(c.experiment({ name: 'one', variants })).toEqual({ name: 'one', variant: 'blue', tracked: false });
  c.complete('goal');
  await b.runTimers();
  expect(b.sent()).toEqual([]);
});

test('names the server would refuse are not queued; misuse is warned about', async () => {
  const b = new FakeBrowser();
  const c = page(b);
  c.experiment({ name: 'x'.repeat(1025), variants });
  c.experiment({ name: 'lone \ud800', variants });
  await b.runTimers();
  expect(b.sent()).toEqual([]);
  // Longer than the default max_name_length, but a server may take it: sent, and refused there alone.
  c.experiment({ name: 'x'.repeat(200), variants });
  await b.runTimers();
  expect(b.sent()).toHaveLength(1);
  const bare = createClient(b.env());
  expect(bare.experiment({ name: 'early', variants })).toEqual({ name: 'early', variant: 'red', tracked: false });
  expect(() => bare.complete('goal')).not.toThrow();
  expect(() => bare.init(undefined as never)).not.toThrow();
  expect(b.warnings.length).toBeGreaterThanOrEqual(3);
});

test('each namespace keeps its own experiments; a broken saved state starts afresh', async () => {
  const b = new FakeBrowser();
  page(b, { namespace: 'one' }).experiment({ name: 'exp', variants });
  await b.runTimers();
  const other = page(b, { namespace: 'two' });
  other.complete('goal');
  await b.runTimers();
  expect(b.sent().map((e) => [e.namespace, e.event])).toEqual([['one', 'participate']]);
  b.store.set('abtest:three', JSON.stringify({ id: JSON.parse(b.store.get('abtest:visitor')!) }));
  b.store.set('abtest:four', 'not json');
  for (const namespace of ['three', 'four'])
    expect(page(b, { namespace }).experiment({ name: 'exp', variants }).tracked).toBe(true);
  expect(b.warnings).toEqual([]);
});
