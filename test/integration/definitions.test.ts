import Redis from 'ioredis';
import { experiments, track } from '../../src/api';
import { configToEnv, type Config } from '../../src/config';
import { admin as adminRoute } from '../../src/experiments/routes';
import { makeHandler, type Handler } from '../../src/handler';
import type { ProxyResult } from '../../src/http';
import { createRedis, RedisCounterStore } from '../../src/store';
import { proxyEvent } from '../helpers/events';
import { commandCalls, startTestRedis, testConfig, type PrivateRedis } from '../helpers/redis';

let redis: PrivateRedis;
let admin: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});
const opened: Handler[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((h) => h.close()));
});

function container(overrides: Partial<Config> = {}) {
  const config = testConfig(redis.url, overrides);
  const env = configToEnv(config);
  const h = {
    track: makeHandler(track, env),
    experiments: makeHandler(experiments, env),
    admin: makeHandler(adminRoute, env),
  };
  opened.push(...Object.values(h));
  const names = (experiment: string) => ({ namespace: 'alephbet', experiment });
  const call = (
    method: string,
    path: string,
    query: Record<string, string>,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    h.admin(proxyEvent(method, path, { query, body: body === undefined ? undefined : JSON.stringify(body), headers }));
  return {
    config,
    ...h,
    put: (experiment: string, body: unknown) => call('PUT', '/definition', names(experiment), body),
    show: (experiment: string) => call('GET', '/definition', names(experiment)),
    state: (experiment: string, body: unknown) => call('POST', '/definition/state', names(experiment), body),
    weights: (experiment: string, body: unknown) => call('POST', '/definition/weights', names(experiment), body),
    describe: (experiment: string, body: unknown) => call('POST', '/definition/describe', names(experiment), body),
    list: (query: Record<string, string> = {}) => call('GET', '/definitions', query),
    conf: (headers: Record<string, string> = {}) =>
      call('GET', '/config', { namespace: 'alephbet' }, undefined, headers),
    send: (events: object[]) =>
      h.track(
        proxyEvent('POST', '/track', { body: JSON.stringify(events), headers: { 'Content-Type': 'text/plain' } }),
      ),
    results: async (query: Record<string, string> = {}) =>
      JSON.parse((await h.experiments(proxyEvent('GET', '/experiments', { query }))).body),
  };
}
type C = ReturnType<typeof container>;

const body = (r: ProxyResult) => JSON.parse(r.body);
const button = {
  description: 'which colour sells',
  variants: [
    { label: 'red', weight: 1 },
    { label: 'green', weight: 1 },
  ],
};
const ev = (variant: string, uuid: string, event = 'participate') => ({ experiment: 'button', variant, event, uuid });
const visitors = (c: C, variant: string, n: number, from = 0) =>
  c.send(Array.from({ length: n }, (_, i) => ev(variant, `u${from + i}`)));

async function defineRunning(c: C): Promise<void> {
  expect((await c.put('button', button)).statusCode).toBe(201);
  expect((await c.state('button', { state: 'running' })).statusCode).toBe(200);
}

describe('definitions through the admin API', () => {
  it('creates a draft (201), replaces it (200), lists and shows it with an ETag of its version', async () => {
    const c = container();
    const created = await c.put('button', button);
    expect(created.statusCode).toBe(201);
    expect(body(created).definition).toMatchObject({
      namespace: 'alephbet',
      experiment: 'button',
      description: 'which colour sells',
      variants: button.variants,
      sample: 1,
      fallback: 'red',
      state: 'draft',
      winner: null,
      phase: 0,
      phases: [],
      version: 1,
    });
    const replaced = await c.put('button', { ...button, sample: 0.5, fallback: 'green' });
    expect(replaced.statusCode).toBe(200);
    expect(body(replaced).definition).toMatchObject({ sample: 0.5, fallback: 'green', version: 2 });
    const shown = await c.show('button');
    expect(shown.headers).toMatchObject({ ETag: '"2"' });
    expect(body(shown).definition.created_at).toBe(body(created).definition.created_at);
    expect(body(await c.list()).definitions.map((d: { experiment: string }) => d.experiment)).toEqual(['button']);
    expect((await c.show('nothing')).statusCode).toBe(404);
    const stale = await c.admin(
      proxyEvent('POST', '/definition/describe', {
        query: { experiment: 'button' },
        body: JSON.stringify({ description: 'x' }),
        headers: { 'If-Match': '"1"' },
      }),
    );
    expect(stale.statusCode).toBe(412);
  });

  it.each([
    [{ variants: [{ label: 'a' }] }, 'variants'],
    [{ variants: [{ label: 'a' }, { label: 'b', weight: 0 }] }, 'variants[1].weight'],
    [{ variants: [{ label: 'a' }, { label: 'a' }] }, 'variants[1].label'],
    [{ variants: [{ label: 'a' }, { label: '' }] }, 'variants[1].label'],
    [{ ...button, sample: 0 }, 'sample'],
    [{ ...button, sample: 1.5 }, 'sample'],
    [{ ...button, fallback: 'blue' }, 'fallback'],
    [{ ...button, description: 'x'.repeat(1001) }, 'description'],
    [{ ...button, colour: 'x' }, 'colour'],
    [[1], 'body'],
  ])('bad definition %j answers 400 naming %s and stores nothing', async (input, field) => {
    const c = container();
    const r = await c.put('button', input);
    expect(r.statusCode).toBe(400);
    expect(body(r)).toMatchObject({ status: 'failed', field });
    expect(await admin.keys(`${c.config.key_prefix}*`)).toEqual([]);
  });

  it('caps apply: variants per experiment and experiments per namespace', async () => {
    const c = container({ max_variants_per_experiment: 2, max_experiments_per_namespace: 1 });
    const three = { variants: [{ label: 'a' }, { label: 'b' }, { label: 'c' }] };
    expect(body(await c.put('button', three))).toMatchObject({
      field: 'variants',
      message: expect.stringMatching(/max_variants_per_experiment/),
    });
    expect((await c.put('button', button)).statusCode).toBe(201);
    const second = await c.put('other', button);
    expect(second.statusCode).toBe(400);
    expect(body(second)).toMatchObject({
      field: 'experiment',
      message: expect.stringMatching(/max_experiments_per_namespace/),
    });
  });

  // Every (from, to) pair: the legal ones answer 200, the others 409 naming the allowed ones.
  const STATES = ['draft', 'running', 'paused', 'rolled_out', 'archived'] as const;
  const LEGAL: Record<string, string[]> = {
    draft: ['running', 'archived'],
    running: ['paused', 'rolled_out', 'archived'],
    paused: ['running', 'archived'],
    rolled_out: ['archived'],
    archived: [],
  };
  const reach: Record<string, object[]> = {
    draft: [],
    running: [{ state: 'running' }],
    paused: [{ state: 'running' }, { state: 'paused' }],
    rolled_out: [{ state: 'running' }, { state: 'rolled_out', winner: 'green' }],
    archived: [{ state: 'archived' }],
  };
  const cases = STATES.flatMap((from) => STATES.map((to) => [from, to, LEGAL[from].includes(to)] as const));
  it.each(cases)('%s → %s: legal %s', async (from, to, legal) => {
    const c = container();
    await c.put('button', button);
    for (const step of reach[from]) expect((await c.state('button', step)).statusCode).toBe(200);
    const r = await c.state('button', to === 'rolled_out' ? { state: to, winner: 'red' } : { state: to });
    expect(r.statusCode).toBe(legal ? 200 : 409);
    if (legal) expect(body(r).definition.state).toBe(to);
    else
      expect(body(r)).toMatchObject({
        status: 'failed',
        field: 'state',
        message: expect.stringContaining('allowed: '),
      });
  });

  it('phases: start, pause and resume keep phase 1; restart, weights while running and rollout→restart start new ones', async () => {
    const c = container();
    await defineRunning(c);
    let d = body(await c.show('button')).definition;
    expect(d).toMatchObject({
      state: 'running',
      phase: 1,
      phases: [{ phase: 1, ended_at: null, weights: [1, 1], sample: 1 }],
    });
    d = body(await c.state('button', { state: 'paused' })).definition;
    expect(d.phases[0].ended_at).toEqual(expect.any(String));
    d = body(await c.state('button', { state: 'running' })).definition;
    expect(d).toMatchObject({ phase: 1, phases: [{ phase: 1, ended_at: null }] });
    d = body(await c.weights('button', { weights: [3, 1], sample: 0.5 })).definition;
    expect(d).toMatchObject({
      phase: 2,
      variants: [
        { label: 'red', weight: 3 },
        { label: 'green', weight: 1 },
      ],
      sample: 0.5,
    });
    expect(d.phases[1]).toMatchObject({ phase: 2, weights: [3, 1], sample: 0.5, ended_at: null });
    expect(d.phases[0].ended_at).toEqual(expect.any(String));
    expect(body(await c.state('button', { state: 'rolled_out' }))).toMatchObject({ field: 'winner' });
    expect(body(await c.state('button', { state: 'rolled_out', winner: 'green' })).definition).toMatchObject({
      winner: 'green',
      phase: 2,
    });
    expect((await c.state('button', { state: 'running' })).statusCode).toBe(409);
    d = body(await c.state('button', { state: 'running', restart: true })).definition;
    expect(d).toMatchObject({ state: 'running', winner: null, phase: 3 });
    await c.state('button', { state: 'paused' });
    d = body(await c.state('button', { state: 'running', restart: true })).definition;
    expect(d).toMatchObject({ state: 'running', phase: 4 });
    expect(d.phases.map((p: { ended_at: string | null }) => p.ended_at === null)).toEqual([false, false, false, true]);
    expect(body(await c.weights('button', { weights: [1] }))).toMatchObject({ field: 'weights' });
    expect(body(await c.weights('button', { weights: [1, -1] }))).toMatchObject({ field: 'weights[1]' });
  });

  it('archived is read-only and hidden from the default listing; its results are kept', async () => {
    const c = container();
    await defineRunning(c);
    await visitors(c, 'red', 3);
    expect((await c.state('button', { state: 'archived' })).statusCode).toBe(200);
    for (const r of [
      await c.put('button', button),
      await c.state('button', { state: 'running' }),
      await c.weights('button', { weights: [1, 2] }),
      await c.describe('button', { description: 'late' }),
      await c.state('button', { state: 'archived' }),
    ])
      expect(r.statusCode).toBe(409);
    expect(body(await c.list()).definitions).toEqual([]);
    expect(body(await c.list({ archived: '1' })).definitions).toHaveLength(1);
    const [, exp] = await c.results({ scope: 'button' });
    expect(exp.variants).toEqual([
      { label: 'red', participants: 3 },
      { label: 'green', participants: 0 },
    ]);
    expect(exp.definition).toMatchObject({ state: 'archived', phase: 1 });
  });
});

describe('tracking defined experiments', () => {
  it('counts phases apart; results default to the current phase, any phase on request, in declared order', async () => {
    const c = container({ counting: 'exact' });
    await visitors(c, 'red', 2); // before any definition: phase 0
    await defineRunning(c);
    await visitors(c, 'green', 5, 100);
    await c.send([ev('green', 'u100', 'buy')]);
    await c.weights('button', { weights: [2, 1] });
    await visitors(c, 'red', 4, 200);
    const [, now] = await c.results({ scope: 'button' });
    expect(now.variants).toEqual([
      { label: 'red', participants: 4 },
      { label: 'green', participants: 0 },
    ]);
    expect(now.definition).toMatchObject({
      state: 'running',
      phase: 2,
      current_phase: 2,
      variants: [
        { label: 'red', weight: 2 },
        { label: 'green', weight: 1 },
      ],
    });
    const [, first] = await c.results({ scope: 'button', phase: '1' });
    expect(first.variants).toEqual([
      { label: 'red', participants: 0 },
      { label: 'green', participants: 5 },
    ]);
    expect(first.goals).toEqual([
      {
        goal: 'buy',
        results: [
          { label: 'red', successes: 0, trials: 0 },
          { label: 'green', successes: 1, trials: 5 },
        ],
      },
    ]);
    expect(first.definition).toMatchObject({
      phase: 1,
      variants: [
        { label: 'red', weight: 1 },
        { label: 'green', weight: 1 },
      ],
      ended_at: expect.any(String),
    });
    const [, zero] = await c.results({ scope: 'button', phase: '0' });
    expect(zero.variants).toEqual([
      { label: 'red', participants: 2 },
      { label: 'green', participants: 0 },
    ]);
    expect(
      body(await c.experiments(proxyEvent('GET', '/experiments', { query: { scope: 'button', phase: '3' } }))),
    ).toMatchObject({ field: 'phase' });
    const [, summary] = await c.results({ summary: '1' });
    expect(summary).toMatchObject({
      participants: 4,
      variants: [
        { label: 'red', participants: 4 },
        { label: 'green', participants: 0 },
      ],
    });
  });

  it('a batch with events of a paused experiment and an undeclared variant stores the others and says why per event', async () => {
    const c = container();
    await defineRunning(c);
    expect(body(await c.send([ev('red', 'a'), ev('blue', 'a')]))).toEqual({
      status: 'ok',
      stored: 1,
      rejected: [{ index: 1, field: 'variant', message: expect.stringContaining('"blue"') }],
    });
    await c.state('button', { state: 'paused' });
    const r = await c.send([ev('red', 'b'), { experiment: 'other', variant: 'x', event: 'participate', uuid: 'b' }]);
    expect(r.statusCode).toBe(200);
    expect(body(r)).toEqual({
      status: 'ok',
      stored: 1,
      rejected: [{ index: 0, field: 'experiment', message: 'experiment "button" is paused: events are not counted' }],
    });
    const single = await c.track(proxyEvent('GET', '/track', { query: ev('red', 'c') }));
    expect(single.statusCode).toBe(400);
    const [, , other] = await c.results();
    expect(other.experiment).toBe('other');
    const [, button1] = await c.results({ scope: 'button' });
    expect(button1.variants[0]).toEqual({ label: 'red', participants: 1 });
  });

  it('an undefined experiment writes exactly today’s keys; a defined one its phase keys', async () => {
    const c = container();
    await c.send([
      { experiment: 'plain', variant: 'red', event: 'participate', uuid: 'u' },
      { experiment: 'plain', variant: 'red', event: 'buy', uuid: 'u' },
    ]);
    const p = c.config.key_prefix;
    expect((await admin.keys(`${p}*`)).sort()).toEqual([
      `${p}{alephbet:plain}:c:buy:red`,
      `${p}{alephbet:plain}:c:participate:red`,
      `${p}{alephbet:plain}:days`,
      `${p}{alephbet:plain}:goals`,
      `${p}{alephbet:plain}:meta`,
      `${p}{alephbet:plain}:variants`,
      `${p}{index}:namespaces`,
      `${p}{index}:ns:alephbet`,
    ]);
    expect(await admin.hgetall(`${p}{alephbet:plain}:meta`)).toEqual({ mode: 'hll' });
    await defineRunning(c);
    await c.send([ev('red', 'u'), ev('red', 'u', 'buy')]);
    expect((await admin.keys(`${p}{alephbet:button}*`)).sort()).toEqual([
      `${p}{alephbet:button}:def`,
      `${p}{alephbet:button}:meta`,
      `${p}{alephbet:button}:p1:c:buy:red`,
      `${p}{alephbet:button}:p1:c:participate:red`,
      `${p}{alephbet:button}:p1:days`,
      `${p}{alephbet:button}:p1:goals`,
      `${p}{alephbet:button}:p1:variants`,
    ]);
  });

  it('a tracked event of a defined running experiment is one round trip', async () => {
    const c = container();
    await defineRunning(c);
    const client = createRedis(c.config);
    try {
      const store = new RedisCounterStore(client, c.config);
      await store.track([{ namespace: 'alephbet', ...ev('red', 'warm') }]);
      await admin.config('RESETSTAT');
      await store.track([{ namespace: 'alephbet', ...ev('red', 'u2') }]);
      // The day bucket: HGET of the counter's mark (the day's first event also PFCOUNTs and moves it).
      const calls = ['evalsha=1', 'hget=1', 'hmget=1', 'pfadd=1', 'sismember=1'];
      expect(await commandCalls(admin)).toEqual(calls);
    } finally {
      client.disconnect();
    }
  });

  it('delete removes every phase and the definition', async () => {
    const c = container();
    await defineRunning(c);
    await visitors(c, 'red', 2);
    await c.weights('button', { weights: [1, 3] });
    await visitors(c, 'green', 2);
    const store = new RedisCounterStore(admin, c.config);
    expect(await store.deleteExperiment('alephbet', 'button')).toBe(true);
    const left = await admin.keys(`${c.config.key_prefix}*`);
    expect(left.filter((k) => !k.endsWith(':meta') && !k.endsWith(':namespaces'))).toEqual([]);
    expect((await c.show('button')).statusCode).toBe(404);
  });
});

describe('GET /config', () => {
  it('lists live experiments only, public fields only, cacheable, with a strong ETag and 304', async () => {
    const c = container();
    await defineRunning(c);
    await c.put('draft one', button);
    await c.put('gone', button);
    await c.state('gone', { state: 'archived' });
    const r = await c.conf();
    expect(r.statusCode).toBe(200);
    expect(r.headers).toMatchObject({
      'Cache-Control': 'public, max-age=30',
      'Access-Control-Allow-Origin': '*',
      ETag: expect.stringMatching(/^"[^"]+"$/),
    });
    expect(body(r)).toEqual({
      namespace: 'alephbet',
      experiments: [
        {
          experiment: 'button',
          variants: button.variants,
          sample: 1,
          fallback: 'red',
          state: 'running',
          winner: null,
          phase: 1,
        },
      ],
    });
    expect(r.body).not.toMatch(/description|colour sells|version|created_at|phases/);
    const etag = String(r.headers?.ETag);
    const again = await c.conf({ 'If-None-Match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers).toMatchObject({ ETag: etag, 'Cache-Control': 'public, max-age=30' });
    await c.state('button', { state: 'paused' });
    const changed = await c.conf({ 'If-None-Match': etag });
    expect(changed.statusCode).toBe(200);
    expect(body(changed).experiments[0].state).toBe('paused');
    expect((await c.admin(proxyEvent('POST', '/config', { query: {} }))).statusCode).toBe(405);
  });
});

describe('statistics of a defined experiment', () => {
  it('takes the declared control and checks the split against the declared weights', async () => {
    const c = container({ counting: 'exact' });
    await c.put('button', {
      variants: [
        { label: 'z', weight: 3 },
        { label: 'a', weight: 1 },
      ],
    });
    await c.state('button', { state: 'running' });
    await c.send(
      Array.from({ length: 90 }, (_, i) => ({
        experiment: 'button',
        variant: 'z',
        event: 'participate',
        uuid: `z${i}`,
      })),
    );
    await c.send(
      Array.from({ length: 30 }, (_, i) => ({
        experiment: 'button',
        variant: 'a',
        event: 'participate',
        uuid: `a${i}`,
      })),
    );
    await c.send([{ experiment: 'button', variant: 'a', event: 'buy', uuid: 'a1' }]);
    const [, exp] = await c.results({ scope: 'button', stats: '1' });
    expect(exp.srm).toMatchObject({ mismatch: false, expected: 'declared weights', expectedShares: [0.75, 0.25] });
    expect(exp.goals[0].stats.control).toBe('z');
    await c.send([{ experiment: 'plain', variant: 'a', event: 'participate', uuid: 'x' }]);
    const [, plain] = await c.results({ scope: 'plain', stats: '1' });
    expect(plain.srm.expected).toBe('equal split (undefined experiment)');
  });
});
