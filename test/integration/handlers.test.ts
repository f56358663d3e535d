import Redis from 'ioredis';
import { experiments, remove, track } from '../../src/api';
import { configToEnv, type Config } from '../../src/config';
import { makeHandler, type Handler } from '../../src/handler';
import type { ProxyResult } from '../../src/http';
import { HLL_STANDARD_ERROR } from '../../src/store';
import { proxyEvent } from '../helpers/events';
import { startTestRedis, testConfig, type PrivateRedis } from '../helpers/redis';

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

/** The three handlers of one "Lambda container" with this config. */
function container(config: Config) {
  const env = configToEnv(config);
  const handlers = {
    track: makeHandler(track, env),
    experiments: makeHandler(experiments, env),
    remove: makeHandler(remove, env),
  };
  opened.push(...Object.values(handlers));
  return { ...handlers, config };
}

const body = (r: ProxyResult) => JSON.parse(r.body);
const get = (query: Record<string, string>) => proxyEvent('GET', '/track', { query });
const post = (events: unknown) =>
  proxyEvent('POST', '/track', { body: JSON.stringify(events), headers: { 'Content-Type': 'text/plain' } });
const results = async (c: ReturnType<typeof container>, query: Record<string, string> = {}) =>
  body(await c.experiments(proxyEvent('GET', '/experiments', { query })));
const keysOf = (config: Config) => admin.keys(`${config.key_prefix}*`);
/** Keys that hold data: every key but the expiring markers a delete leaves (a meta without mode). */
async function dataKeysOf(config: Config): Promise<string[]> {
  const keys = await keysOf(config);
  const marker = await Promise.all(keys.map(async (k) => k.endsWith(':meta') && !(await admin.hexists(k, 'mode'))));
  return keys.filter((_, i) => !marker[i]);
}

describe('track, experiments, delete against a real Redis', () => {
  it('counts participate and goals, de-duplicated, in a superset of Gimel’s shape', async () => {
    const c = container(testConfig(redis.url));
    const r = await c.track(get({ experiment: 'my+test', variant: 'red', event: 'participate', uuid: 'u1' }));
    expect(r.statusCode).toBe(200);
    expect(body(r)).toEqual({ status: 'ok', stored: 1 });
    expect(r.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' });
    await c.track(get({ experiment: 'my test', variant: 'red', event: 'participate', uuid: 'u1' }));
    await c.track(
      post([
        { experiment: 'my test', variant: 'blue', event: 'participate', uuid: 'u2' },
        { experiment: 'my test', variant: 'blue', event: 'buy', uuid: 'u2' },
        { experiment: 'my test', variant: 'blue', event: 'buy', uuid: 'u2' },
        { experiment: 'only participants', variant: 'a', event: 'participate', uuid: 'u3' },
      ]),
    );
    const out = await results(c);
    expect(out[0].meta).toMatchObject({ namespace: 'alephbet', counting: 'hll', standard_error: HLL_STANDARD_ERROR });
    expect(out.slice(1)).toEqual([
      {
        experiment: 'my test',
        counting: 'hll',
        standard_error: HLL_STANDARD_ERROR,
        variants: [
          { label: 'blue', participants: 1 },
          { label: 'red', participants: 1 },
        ],
        goals: [
          {
            goal: 'buy',
            results: [
              { label: 'blue', successes: 1, trials: 1 },
              { label: 'red', successes: 0, trials: 1 },
            ],
          },
        ],
      },
      expect.objectContaining({
        experiment: 'only participants',
        variants: [{ label: 'a', participants: 1 }],
        goals: [],
      }),
    ]);
    const scoped = await results(c, { scope: 'only participants,missing' });
    expect(scoped.slice(1).map((e: { experiment: string }) => e.experiment)).toEqual(['only participants']);
  });

  it('exact mode: 10,000 distinct uuids sent twice across 2 variants count exactly', async () => {
    const c = container(testConfig(redis.url, { counting: 'exact' }));
    await sendVisitors(c, 10_000);
    const [, exp] = await results(c);
    expect(exp.counting).toBe('exact');
    expect(exp.standard_error).toBe(0);
    expect(exp.variants).toEqual([
      { label: 'a', participants: 5000 },
      { label: 'b', participants: 5000 },
    ]);
    expect(exp.goals[0].results).toEqual([
      { label: 'a', successes: 1000, trials: 5000 },
      { label: 'b', successes: 1000, trials: 5000 },
    ]);
  });

  it('HLL mode: the same traffic lands within 2% per counter', async () => {
    const c = container(testConfig(redis.url));
    await sendVisitors(c, 10_000);
    const [, exp] = await results(c);
    for (const v of exp.variants) expect(Math.abs(v.participants - 5000) / 5000).toBeLessThan(0.02);
    for (const g of exp.goals[0].results) expect(Math.abs(g.successes - 1000) / 1000).toBeLessThan(0.02);
  });

  it('keeps an experiment’s counting mode when the config changes later', async () => {
    const first = container(testConfig(redis.url, { counting: 'exact' }));
    await first.track(get({ experiment: 'e', variant: 'a', event: 'participate', uuid: 'x' }));
    const later = container({ ...first.config, counting: 'hll' });
    expect(
      (await later.track(get({ experiment: 'e', variant: 'a', event: 'participate', uuid: 'y' }))).statusCode,
    ).toBe(200);
    expect((await results(later))[1]).toMatchObject({ counting: 'exact', variants: [{ label: 'a', participants: 2 }] });
  });

  it('bad input answers 4xx naming the field and stores nothing', async () => {
    const c = container(testConfig(redis.url, { max_name_length: 16 }));
    const cases: [ReturnType<typeof get>, number, string][] = [
      [get({ experiment: 'e', variant: 'a', event: 'participate' }), 400, 'uuid'],
      [get({ experiment: 'e', variant: 'a'.repeat(17), event: 'participate', uuid: 'u' }), 400, 'variant'],
      [get({ experiment: 'e\u0007', variant: 'a', event: 'participate', uuid: 'u' }), 400, 'experiment'],
      [proxyEvent('POST', '/track', { body: '[{"experiment":"e"' }), 400, 'body'],
      [post({ experiment: 'e', variant: 'a', event: 'participate' }), 400, 'uuid'],
      [post(Array(101).fill({ experiment: 'e', variant: 'a', event: 'participate', uuid: 'u' })), 400, 'body'],
      [proxyEvent('POST', '/track', { body: 'x'.repeat(300_000) }), 413, 'body'],
    ];
    for (const [event, status, field] of cases) {
      const r = await c.track(event);
      expect({ status: r.statusCode, field: body(r).field, failed: body(r).status }).toEqual({
        status,
        field,
        failed: 'failed',
      });
      expect(body(r).message).toEqual(expect.stringContaining(field.replace(/^\[\d\]\./, '')));
    }
    const wrong = await c.track(proxyEvent('PUT', '/track'));
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers?.Allow).toBe('GET,POST,OPTIONS');
    const preflight = await c.track(proxyEvent('OPTIONS', '/track'));
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({ 'Access-Control-Allow-Methods': 'GET,POST,OPTIONS' });
    expect((await c.remove(proxyEvent('DELETE', '/delete', { query: {} }))).statusCode).toBe(400);
    expect(await keysOf(c.config)).toEqual([]);
  });

  it('caps and the allow-list hold, and a refused name stores nothing', async () => {
    const c = container(
      testConfig(redis.url, {
        max_experiments_per_namespace: 2,
        max_variants_per_experiment: 2,
        max_goals_per_experiment: 1,
        max_namespaces: 2,
      }),
    );
    const t = (experiment: string, variant: string, event = 'participate', namespace = 'alephbet') =>
      c.track(get({ namespace, experiment, variant, event, uuid: 'u' }));
    expect((await t('e1', 'a')).statusCode).toBe(200);
    expect((await t('e2', 'a')).statusCode).toBe(200);
    const third = await t('e3', 'a');
    expect(third.statusCode).toBe(400);
    expect(body(third)).toMatchObject({
      field: 'experiment',
      message: expect.stringMatching(/max_experiments_per_namespace \(2\)/),
    });
    expect((await t('e1', 'b')).statusCode).toBe(200);
    expect(body(await t('e1', 'c'))).toMatchObject({
      status: 'failed',
      field: 'variant',
      message: expect.stringMatching(/variant "c" would exceed max_variants_per_experiment/),
    });
    expect((await t('e1', 'a', 'buy')).statusCode).toBe(200);
    expect(body(await t('e1', 'a', 'signup'))).toMatchObject({
      field: 'event',
      message: expect.stringMatching(/goal "signup" would exceed max_goals_per_experiment/),
    });
    expect((await t('x', 'a', 'participate', 'second')).statusCode).toBe(200);
    expect(body(await t('x', 'a', 'participate', 'third'))).toMatchObject({
      field: 'namespace',
      message: expect.stringMatching(/namespace "third" would exceed max_namespaces \(2\)/),
    });
    const batch = await c.track(
      post([
        { experiment: 'e9', variant: 'a', event: 'participate', uuid: 'v' },
        { experiment: 'e1', variant: 'a', event: 'participate', uuid: 'v' },
      ]),
    );
    expect(batch.statusCode).toBe(200);
    expect(body(batch)).toEqual({
      status: 'ok',
      stored: 1,
      rejected: [
        {
          index: 0,
          field: 'experiment',
          message: expect.stringMatching(/"e9" would exceed max_experiments_per_namespace/),
        },
      ],
    });
    const out = await results(c);
    expect(out.slice(1).map((e: { experiment: string }) => e.experiment)).toEqual(['e1', 'e2']);
    expect(out[1].variants.map((v: { label: string }) => v.label)).toEqual(['a', 'b']);
    expect(out[1].goals.map((g: { goal: string }) => g.goal)).toEqual(['buy']);
    // Without the prefix: a random hex prefix holds "e3" or "e9" one time in twenty.
    const keys = (await keysOf(c.config)).map((k) => k.slice(c.config.key_prefix.length));
    expect(keys.some((k) => /e3|e9|signup|:c$|third/.test(k))).toBe(false);

    const allow = container(testConfig(redis.url, { allowed_experiments: ['ok'] }));
    const refused = await allow.track(get({ experiment: 'nope', variant: 'a', event: 'participate', uuid: 'u' }));
    expect(refused.statusCode).toBe(400);
    expect(body(refused)).toMatchObject({
      field: 'experiment',
      message: expect.stringMatching(/not in allowed_experiments/),
    });
    expect(await keysOf(allow.config)).toEqual([]);
  });

  it('a refused event does not sink its batch: the others are stored, the refused listed', async () => {
    const c = container(testConfig(redis.url, { allowed_experiments: ['ok', 'okay'], max_name_length: 16 }));
    const ok = { experiment: 'ok', variant: 'a', event: 'participate', uuid: 'u1' };
    const r = await c.track(
      post([ok, { ...ok, experiment: 'other' }, { ...ok, variant: 'v'.repeat(17) }, { ...ok, experiment: 'okay' }]),
    );
    expect(r.statusCode).toBe(200);
    expect(body(r)).toEqual({
      status: 'ok',
      stored: 2,
      rejected: [
        { index: 1, field: 'experiment', message: 'experiment "other" is not in allowed_experiments' },
        { index: 2, field: 'variant', message: 'variant is longer than 16 characters' },
      ],
    });
    expect((await results(c)).slice(1).map((e: { experiment: string }) => e.experiment)).toEqual(['ok', 'okay']);
    expect((await keysOf(c.config)).some((k) => /other|vvvv/.test(k))).toBe(false);
    // Only refused events: still 200, nothing stored, every one listed.
    expect(body(await c.track(post([{ ...ok, experiment: 'other' }])))).toEqual({
      status: 'ok',
      stored: 0,
      rejected: [expect.objectContaining({ index: 0, field: 'experiment' })],
    });
  });

  it('a name with + is tracked, scoped, read and deleted; GET /track still reads + as a space', async () => {
    const c = container(testConfig(redis.url));
    // queryStringParameters hold what API Gateway decoded: `c%2B%2B%20pricing` and `c++%20pricing` give "c++ pricing".
    await c.track(post([{ experiment: 'c++ pricing', variant: 'a+b', event: 'participate', uuid: '1' }]));
    await c.track(get({ experiment: 'c+pricing', variant: 'a', event: 'participate', uuid: '1' }));
    const all = (await results(c)).slice(1).map((e: { experiment: string }) => e.experiment);
    expect(all).toEqual(['c pricing', 'c++ pricing']);
    const scoped = await results(c, { scope: 'c++ pricing', control: 'a+b' });
    expect(scoped.slice(1)).toEqual([
      expect.objectContaining({ experiment: 'c++ pricing', variants: [{ label: 'a+b', participants: 1 }] }),
    ]);
    const del = await c.remove(proxyEvent('DELETE', '/delete', { query: { experiment: 'c++ pricing' } }));
    expect({ status: del.statusCode, body: body(del) }).toEqual({
      status: 200,
      body: { status: 'ok', deleted: 'c++ pricing', namespace: 'alephbet' },
    });
    expect((await results(c)).slice(1).map((e: { experiment: string }) => e.experiment)).toEqual(['c pricing']);
    expect((await dataKeysOf(c.config)).some((k) => k.includes('c++'))).toBe(false);
    // A client that encodes a space as + (a form, URLSearchParams) still finds "c pricing":
    // + means + first, and a space when no name with + exists.
    const formScoped = await results(c, { scope: 'c+pricing' });
    expect(formScoped.slice(1).map((e: { experiment: string }) => e.experiment)).toEqual(['c pricing']);
    const formDel = await c.remove(proxyEvent('DELETE', '/delete', { query: { experiment: 'c+pricing' } }));
    expect({ status: formDel.statusCode, deleted: body(formDel).deleted }).toEqual({
      status: 200,
      deleted: 'c pricing',
    });
    expect((await dataKeysOf(c.config)).filter((k) => k.includes('pricing'))).toEqual([]);
    expect((await c.remove(proxyEvent('DELETE', '/delete', { query: { experiment: 'c+pricing' } }))).statusCode).toBe(
      404,
    );
  });

  it('names that are not valid Unicode are refused in every route, naming the field, and never merge', async () => {
    const c = container(testConfig(redis.url));
    const notUnicode = ['\ud800', '\udfff', '\ufffd', 'x\udc00y'];
    for (const name of notUnicode) {
      const one = await c.track(get({ experiment: name, variant: 'a', event: 'participate', uuid: 'u' }));
      expect({ status: one.statusCode, field: body(one).field }).toEqual({ status: 400, field: 'experiment' });
      const json = `{"experiment":"ok","variant":${JSON.stringify(name)},"event":"participate","uuid":"u"}`;
      const fromJson = await c.track(proxyEvent('POST', '/track', { body: json }));
      expect({ status: fromJson.statusCode, field: body(fromJson).field }).toEqual({ status: 400, field: 'variant' });
      const scoped = await c.experiments(proxyEvent('GET', '/experiments', { query: { scope: `ok,${name}` } }));
      expect({ status: scoped.statusCode, field: body(scoped).field }).toEqual({ status: 400, field: 'scope[1]' });
      const del = await c.remove(proxyEvent('DELETE', '/delete', { query: { namespace: name, experiment: 'ok' } }));
      expect({ status: del.statusCode, field: body(del).field }).toEqual({ status: 400, field: 'namespace' });
    }
    const bytes = Buffer.concat([
      Buffer.from('[{"experiment":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('","variant":"a","event":"participate","uuid":"u"}]'),
    ]);
    const b64 = await c.track({
      ...proxyEvent('POST', '/track'),
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
    expect(body(b64)).toMatchObject({ stored: 0, rejected: [{ index: 0, field: 'experiment' }] });
    expect(await keysOf(c.config)).toEqual([]);
  });

  it('delete removes every key of the experiment; another container re-indexes it when tracking again', async () => {
    const config = testConfig(redis.url);
    const a = container(config);
    const b = container(config);
    await a.track(
      post([
        { experiment: 'gone', variant: 'a', event: 'participate', uuid: '1' },
        { experiment: 'gone', variant: 'b', event: 'buy', uuid: '1' },
        { experiment: 'kept', variant: 'a', event: 'participate', uuid: '1' },
      ]),
    );
    const before = await keysOf(config);
    const del = await b.remove(proxyEvent('DELETE', '/delete', { query: { experiment: 'gone' } }));
    expect(del.statusCode).toBe(200);
    const after = await keysOf(config);
    expect(before.filter((k) => k.includes('{alephbet:gone}')).length).toBeGreaterThan(0);
    // What is left is the delete's marker (no mode, expiring), which tells racing trackers.
    expect(after.filter((k) => k.includes('gone'))).toEqual([`${config.key_prefix}{alephbet:gone}:meta`]);
    expect((await results(b)).slice(1).map((e: { experiment: string }) => e.experiment)).toEqual(['kept']);
    expect((await b.remove(proxyEvent('DELETE', '/delete', { query: { experiment: 'gone' } }))).statusCode).toBe(404);
    // Container a still believes "gone" is indexed; its next event must bring it back whole.
    await a.track(get({ experiment: 'gone', variant: 'a', event: 'participate', uuid: '2' }));
    expect((await results(b)).slice(1).map((e: { experiment: string }) => e.experiment)).toEqual(['gone', 'kept']);
  });

  it('Redis down: 503 within the command timeout, no crash; recovers without a restart', async () => {
    const own = await startTestRedis();
    const c = container(testConfig(own.url, { redis_command_timeout_ms: 300, redis_connect_timeout_ms: 300 }));
    const event = (uuid: string) => get({ experiment: 'e', variant: 'a', event: 'participate', uuid });
    expect((await c.track(event('1'))).statusCode).toBe(200);
    await own.stop();
    for (const handler of [() => c.track(event('2')), () => c.experiments(proxyEvent('GET', '/experiments'))]) {
      const started = Date.now();
      const r = await handler();
      expect(r.statusCode).toBe(503);
      expect(body(r)).toMatchObject({ status: 'failed', code: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(1000);
    }
    const again = await startTestRedis({ port: own.port });
    try {
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        status = (await c.track(event('3'))).statusCode;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    } finally {
      await again.stop();
    }
  });

  it('a missing Redis URL answers a generic 500, not a crash; the fix goes to the log', async () => {
    const log = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const h = makeHandler(track, {});
      const r = await h(get({ experiment: 'e', variant: 'a', event: 'participate', uuid: 'u' }));
      expect(r.statusCode).toBe(500);
      expect(body(r)).toEqual({ status: 'failed', message: expect.stringMatching(/misconfigured/), code: 'config' });
      expect(String(log.mock.calls[0][0])).toMatch(
        /no Redis is configured: set redis_url in the config file or ABTEST_REDIS_URL/,
      );
    } finally {
      log.mockRestore();
    }
  });
});

/** n visitors, half on a, half on b, each sending participate twice; every fifth also converts (twice). */
async function sendVisitors(c: ReturnType<typeof container>, n: number) {
  const events: object[] = [];
  for (let i = 0; i < n; i++) {
    const variant = i % 2 ? 'b' : 'a';
    const uuid = `visitor-${i}`;
    events.push(
      { experiment: 'big', variant, event: 'participate', uuid },
      { experiment: 'big', variant, event: 'participate', uuid },
    );
    if (i % 5 < 2 && i % 5 === i % 2)
      events.push(
        { experiment: 'big', variant, event: 'signup', uuid },
        { experiment: 'big', variant, event: 'signup', uuid },
      );
  }
  for (let i = 0; i < events.length; i += 100) {
    const r = await c.track(post(events.slice(i, i + 100)));
    expect(r.statusCode).toBe(200);
  }
}
