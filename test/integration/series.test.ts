import Redis from 'ioredis';
import { experiments, track } from '../../src/api';
import type { Config } from '../../src/config';
import { admin as adminRoute } from '../../src/experiments/routes';
import { checkEvent, errorResult, type Route } from '../../src/http';
import type { ExperimentResults } from '../../src/results';
import { createRedis, RedisCounterStore, type RedisClient, type TrackEvent } from '../../src/store';
import { experimentKeys } from '../../src/store/keys';
import { proxyEvent } from '../helpers/events';
import { commandCalls, startTestRedis, testConfig, type PrivateRedis } from '../helpers/redis';

/** Day buckets against a real Redis, with a clock the test sets; and `GET /experiments?series=`. */

let redis: PrivateRedis;
let admin: Redis;
const clients: RedisClient[] = [];
beforeAll(async () => {
  redis = await startTestRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  clients.forEach((c) => c.disconnect());
  admin.disconnect();
  await redis.stop();
});

/** A store and the routes over it, on a clock the test moves with `at(...)`. */
function setup(overrides: Partial<Config> = {}) {
  const config = testConfig(redis.url, { namespace: 'ns', ...overrides });
  const client = createRedis(config);
  clients.push(client);
  let now = new Date('2026-03-02T12:00:00Z');
  const store = new RedisCounterStore(client, config, () => now);
  const call = async (route: Route, method: string, path: string, query: Record<string, string>, body?: unknown) => {
    const sent = body === undefined ? undefined : JSON.stringify(body);
    const r = await route(checkEvent(proxyEvent(method, path, { query, body: sent })), { config, store }).catch((e) =>
      errorResult(e, config),
    );
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const names = (experiment: string) => ({ namespace: 'ns', experiment });
  return {
    config,
    store,
    /** Sets the clock to `iso` (a day, noon UTC, or a full instant). */
    at: (iso: string) => {
      now = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
    },
    send: async (events: Omit<TrackEvent, 'namespace'>[]) => {
      const r = await call(track, 'POST', '/track', {}, events);
      expect(r).toEqual({ status: 200, body: { status: 'ok', stored: events.length } });
    },
    results: (query: Record<string, string>) => call(experiments, 'GET', '/experiments', { namespace: 'ns', ...query }),
    define: async (experiment: string, labels: string[]) => {
      const variants = labels.map((label) => ({ label, weight: 1 }));
      expect((await call(adminRoute, 'PUT', '/definition', names(experiment), { variants })).status).toBe(201);
      expect(
        (await call(adminRoute, 'POST', '/definition/state', names(experiment), { state: 'running' })).status,
      ).toBe(200);
    },
    weights: (experiment: string, weights: number[]) =>
      call(adminRoute, 'POST', '/definition/weights', names(experiment), { weights }),
    days: (phase = 0, experiment = 'e') =>
      admin.hgetall(experimentKeys(config.key_prefix, 'ns', experiment, phase).days),
  };
}

const ev = (variant: string, uuid: string, event = 'participate', experiment = 'e') => ({
  experiment,
  variant,
  event,
  uuid,
});
const people = (variant: string, from: number, n: number, event = 'participate') =>
  Array.from({ length: n }, (_, i) => ev(variant, `u${from + i}`, event));

describe('day buckets', () => {
  it('exact mode: each UTC day counts the events new to their counter that day, and no repeat', async () => {
    const s = setup({ counting: 'exact' });
    s.at('2026-03-01T23:59:59.999Z');
    await s.send([...people('a', 0, 3), ...people('b', 100, 2)]);
    s.at('2026-03-02T00:00:00.000Z');
    // u0..u2 again (seen), u3..u4 new; u0 buys; a buy of an odd name.
    await s.send([...people('a', 0, 5), ev('a', 'u0', 'buy'), ev('b', 'u100', 'a:b%{c}')]);
    s.at('2026-03-04');
    await s.send([ev('a', 'u0', 'buy'), ev('a', 'u1', 'buy'), ...people('b', 100, 3)]);
    expect(await s.days()).toEqual({
      '2026-03-01:participate:a': '3',
      '2026-03-01:participate:b': '2',
      '2026-03-02:participate:a': '2',
      '2026-03-02:buy:a': '1',
      '2026-03-02:a%3Ab%25%7Bc%7D:b': '1',
      '2026-03-04:buy:a': '1',
      '2026-03-04:participate:b': '1',
    });
    const days = (await s.store.dayCounts('ns', ['e'])).get('e');
    expect(days).toContainEqual({ day: '2026-03-02', event: 'a:b%{c}', variant: 'b', count: 1 });
    expect(days).toHaveLength(7);
  });

  it('a `track` time given by the caller (Sixpack’s datetime) decides the day, not the clock', async () => {
    const s = setup({ counting: 'exact' });
    const outcome = await s.store.track(
      [
        { namespace: 'ns', ...ev('a', 'u1') },
        { namespace: 'ns', ...ev('a', 'u2') },
      ],
      new Date('2025-12-31T23:30:00-02:00'),
    );
    expect(outcome.stored).toBe(2);
    expect(await s.days()).toEqual({ '2026-01-01:participate:a': '2' });
  });

  /** The day buckets as the store reads them, summed per day, for (participate, a). */
  const perDay = async (s: ReturnType<typeof setup>) => {
    const sums: Record<string, number> = {};
    for (const b of (await s.store.dayCounts('ns', ['e'])).get('e') ?? []) sums[b.day] = (sums[b.day] ?? 0) + b.count;
    return sums;
  };
  const pfcount = (s: ReturnType<typeof setup>) =>
    admin.pfcount(experimentKeys(s.config.key_prefix, 'ns', 'e').counter('participate', 'a'));

  it('HLL mode: a day gets the growth of the estimate, so the days add up to PFCOUNT and each is close', async () => {
    const s = setup({ counting: 'hll' });
    const sent = [3000, 5000, 2000];
    let from = 0;
    for (const [i, n] of sent.entries()) {
      s.at(`2026-03-0${i + 1}`);
      for (let k = 0; k < n; k += 100) await s.send(people('a', from + k, Math.min(100, n - k)));
      await s.send(people('a', from, 100)); // repeats add nothing
      from += n;
    }
    const days = await perDay(s);
    expect(Object.keys(days).sort()).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    const counts = Object.keys(days)
      .sort()
      .map((d) => days[d]);
    expect(counts.reduce((a, b) => a + b)).toBe(await pfcount(s));
    counts.forEach((n, i) => expect(Math.abs(n - sent[i]) / sent[i]).toBeLessThan(0.05));
    // Two days are settled in the hash; the last is the growth since its mark.
    expect(Object.keys(await s.days()).sort()).toEqual([
      '2026-03-01:participate:a',
      '2026-03-02:participate:a',
      '~participate:a',
    ]);
  });

  it('HLL mode: events whose time goes back (Sixpack’s datetime) count on their own day', async () => {
    const s = setup({ counting: 'hll' });
    const track = (from: number, n: number, day: string) =>
      s.store.track(
        people('a', from, n).map((e) => ({ namespace: 'ns', ...e })),
        new Date(`${day}T08:00:00Z`),
      );
    for (let k = 0; k < 1000; k += 100) await track(k, 100, '2026-03-01');
    for (let k = 1000; k < 2000; k += 100) await track(k, 100, '2026-03-02');
    for (let k = 2000; k < 2500; k += 100) await track(k, 100, '2026-03-01');
    for (let k = 2500; k < 3000; k += 100) await track(k, 100, '2026-03-02');
    const days = await perDay(s);
    expect(days['2026-03-01'] + days['2026-03-02']).toBe(await pfcount(s));
    expect(Math.abs(days['2026-03-01'] - 1500) / 1500).toBeLessThan(0.05);
    expect(Math.abs(days['2026-03-02'] - 1500) / 1500).toBeLessThan(0.05);
  });

  it.each([
    ['exact', ['evalsha=1', 'hincrby=1', 'hmget=1', 'sadd=1', 'sismember=1']],
    ['hll', ['evalsha=1', 'hget=1', 'hmget=1', 'pfadd=1', 'sismember=1']],
  ] as const)('counting a new event with its day bucket is still one round trip (%s)', async (counting, calls) => {
    const s = setup({ counting });
    await s.send([ev('a', 'warm')]);
    await admin.config('RESETSTAT');
    await s.send([ev('a', 'new')]);
    expect(await commandCalls(admin)).toEqual(calls);
  });

  it('a defined experiment counts into the buckets of its current phase; delete removes every phase’s', async () => {
    const s = setup({ counting: 'exact' });
    await s.send(people('a', 0, 2)); // phase 0, before the definition
    await s.define('e', ['a', 'b']);
    await s.send(people('b', 10, 3));
    expect((await s.weights('e', [2, 1])).status).toBe(200);
    await s.send(people('a', 20, 1));
    expect(await s.days(0)).toEqual({ '2026-03-02:participate:a': '2' });
    expect(await s.days(1)).toEqual({ '2026-03-02:participate:b': '3' });
    expect(await s.days(2)).toEqual({ '2026-03-02:participate:a': '1' });
    expect(await s.store.deleteExperiment('ns', 'e')).toBe(true);
    for (const phase of [0, 1, 2]) expect(await s.days(phase)).toEqual({});
    const left = await admin.keys(`${s.config.key_prefix}*`);
    expect(left.filter((k) => !k.endsWith(':meta') && !k.endsWith(':namespaces'))).toEqual([]);
  });
});

type Answer = [{ meta: unknown }, ...ExperimentResults[]];

describe('GET /experiments?series=', () => {
  /** Three weeks of an undefined experiment: a and b, goal buy; nothing on some days. */
  async function filled() {
    const s = setup({ counting: 'exact' });
    s.at('2026-02-27'); // a Friday
    await s.send([...people('a', 0, 2), ...people('b', 100, 1)]);
    s.at('2026-03-01'); // Sunday: same ISO week as the Friday, another month
    await s.send([...people('a', 2, 1), ev('a', 'u0', 'buy')]);
    s.at('2026-03-02'); // Monday: a new week
    await s.send([...people('b', 101, 2), ev('b', 'u100', 'buy'), ev('a', 'u0', 'buy')]);
    s.at('2026-03-10');
    await s.send([ev('a', 'u1', 'buy')]);
    s.at('2026-04-20'); // "today", later than any data
    return s;
  }

  it('day: dense from the first to the last day with data, new and cumulative per variant and goal', async () => {
    const s = await filled();
    const { status, body } = await s.results({ scope: 'e', series: 'day' });
    expect(status).toBe(200);
    const [, r] = body as Answer;
    const series = r.series!;
    expect(series).toMatchObject({ period: 'day', phase: 0 });
    expect(series.points.map((p) => p.start)).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
      ...['03', '04', '05', '06', '07', '08', '09', '10'].map((d) => `2026-03-${d}`),
    ]);
    expect(series.points[0].variants).toEqual([
      {
        label: 'a',
        participants: 2,
        cumulative_participants: 2,
        goals: [{ goal: 'buy', conversions: 0, cumulative_conversions: 0 }],
      },
      {
        label: 'b',
        participants: 1,
        cumulative_participants: 1,
        goals: [{ goal: 'buy', conversions: 0, cumulative_conversions: 0 }],
      },
    ]);
    expect(series.points[1].variants[0]).toMatchObject({ participants: 0, cumulative_participants: 2 });
    // The last point's cumulative counts are the totals of the results (exact mode).
    const last = series.points[series.points.length - 1];
    expect(last.variants.map((v) => v.cumulative_participants)).toEqual(r.variants.map((v) => v.participants));
    expect(last.variants.map((v) => v.goals[0].cumulative_conversions)).toEqual(
      r.goals[0].results.map((x) => x.successes),
    );
    expect(last.variants[0].goals[0]).toEqual({ goal: 'buy', conversions: 1, cumulative_conversions: 2 });
  });

  it('week: ISO weeks that start on Monday (a Friday and the Sunday after are one week)', async () => {
    const s = await filled();
    const [, r] = (await s.results({ scope: 'e', series: 'week' })).body as Answer;
    const points = r.series!.points;
    expect(points.map((p) => p.start)).toEqual(['2026-02-23', '2026-03-02', '2026-03-09']);
    expect(points.map((p) => p.variants.map((v) => v.participants))).toEqual([
      [3, 1],
      [0, 2],
      [0, 0],
    ]);
    expect(points.map((p) => p.variants[0].goals[0].conversions)).toEqual([1, 0, 1]);
  });

  it('month: calendar months (the Sunday 1 March is March)', async () => {
    const s = await filled();
    const [, r] = (await s.results({ scope: 'e', series: 'month' })).body as Answer;
    expect(r.series!.points.map((p) => [p.start, p.variants.map((v) => v.participants)])).toEqual([
      ['2026-02-01', [2, 1]],
      ['2026-03-01', [1, 2]],
    ]);
  });

  it('a running defined experiment: its phase, declared order, and points up to today', async () => {
    const s = setup({ counting: 'exact' });
    s.at('2026-03-01');
    await s.send(people('a', 0, 2)); // phase 0
    await s.define('e', ['b', 'a']);
    await s.send([...people('b', 10, 1), ev('b', 'u10', 'buy')]);
    s.at('2026-03-03');
    const [, r] = (await s.results({ scope: 'e', series: 'day' })).body as Answer;
    expect(r.series).toMatchObject({ period: 'day', phase: 1 });
    expect(r.series!.points.map((p) => [p.start, p.variants.map((v) => `${v.label}${v.participants}`)])).toEqual([
      ['2026-03-01', ['b1', 'a0']],
      ['2026-03-02', ['b0', 'a0']],
      ['2026-03-03', ['b0', 'a0']],
    ]);
    const [, old] = (await s.results({ scope: 'e', series: 'day', phase: '0' })).body as Answer;
    expect(old.series!.phase).toBe(0);
    // Phase 0 ended: up to its last day with data, not to today.
    expect(old.series!.points.map((p) => [p.start, p.variants.map((v) => `${v.label}${v.participants}`)])).toEqual([
      ['2026-03-01', ['b0', 'a2']],
    ]);
  });

  it('an experiment with no buckets (counted before buckets existed) has no points', async () => {
    const s = setup({ counting: 'exact' });
    await s.send(people('a', 0, 1));
    await admin.del(experimentKeys(s.config.key_prefix, 'ns', 'e').days);
    const [, r] = (await s.results({ scope: 'e', series: 'week' })).body as Answer;
    expect(r.series).toEqual({ period: 'week', phase: 0, points: [] });
    expect(r.variants).toEqual([{ label: 'a', participants: 1 }]);
  });

  it('without series= there is no series; with stats=1 both come', async () => {
    const s = await filled();
    const [, plain] = (await s.results({ scope: 'e' })).body as Answer;
    expect(plain.series).toBeUndefined();
    const [, both] = (await s.results({ scope: 'e', series: 'month', stats: '1' })).body as Answer;
    expect(both.series?.points).toHaveLength(2);
    expect(both.goals[0].stats).toBeDefined();
  });

  it.each([
    [{ series: 'year' }, 'series', 'series must be one of day, week, month; got "year"'],
    [{ series: 'day', summary: '1' }, 'series', 'series cannot be combined with summary=1 (summaries carry no series)'],
    [{ series: 'day', limit: '11' }, 'limit', 'limit must be a whole number from 1 to 10; got "11"'],
    [
      { series: 'day', scope: Array.from({ length: 11 }, (_, i) => `x${i}`).join(',') },
      'scope',
      'scope names 11 experiments; at most 10 per request',
    ],
  ])('refuses %j with 400 naming the field, and writes nothing', async (query, field, message) => {
    const s = setup();
    const { status, body } = await s.results(query);
    expect(status).toBe(400);
    expect(body).toMatchObject({ status: 'failed', field, message });
    expect(await admin.keys(`${s.config.key_prefix}*`)).toEqual([]);
  });

  it('an unscoped series answer is one page of at most 10 experiments', async () => {
    const s = setup({ counting: 'exact' });
    await s.send(Array.from({ length: 12 }, (_, i) => ev('a', 'u', 'participate', `x${i}`)));
    const { body } = await s.results({ series: 'day' });
    const [{ meta }, ...rest] = body as Answer;
    expect(meta).toMatchObject({ total: 12, limit: 10, next: 10 });
    expect(rest).toHaveLength(10);
    expect(rest.every((r) => r.series?.points.length === 1)).toBe(true);
  });
});
