import { experiments, track } from '../../src/api';
import { configToEnv } from '../../src/config';
import { makeHandler, type Handler } from '../../src/handler';
import type { ProxyResult } from '../../src/http';
import { PAGE_LIMITS } from '../../src/results-route';
import { proxyEvent } from '../helpers/events';
import { startTestRedis, testConfig, type PrivateRedis } from '../helpers/redis';

/** `GET /experiments` answers one bounded page at a time; scope keeps Gimel's full shape. */

let redis: PrivateRedis;
let c: { track: Handler; experiments: Handler };
const names = Array.from({ length: 55 }, (_, i) => `e${i + 1}`);

beforeAll(async () => {
  redis = await startTestRedis();
  const env = configToEnv(testConfig(redis.url, { counting: 'exact' }));
  c = { track: makeHandler(track, env), experiments: makeHandler(experiments, env) };
  // e<i>: i participants in a, 1 in b; one goal "buy" reached by one participant of a.
  const events = names.flatMap((experiment, i) => [
    ...Array.from({ length: i + 1 }, (_, u) => ({ experiment, variant: 'a', event: 'participate', uuid: `a${u}` })),
    { experiment, variant: 'b', event: 'participate', uuid: 'b0' },
    { experiment, variant: 'a', event: 'buy', uuid: 'a0' },
  ]);
  for (let i = 0; i < events.length; i += 100) {
    const r = await c.track(proxyEvent('POST', '/track', { body: JSON.stringify(events.slice(i, i + 100)) }));
    expect(r.statusCode).toBe(200);
  }
});
afterAll(async () => {
  await Promise.all([c.track.close(), c.experiments.close()]);
  await redis.stop();
});

const get = (query: Record<string, string>) => c.experiments(proxyEvent('GET', '/experiments', { query }));
const body = (r: ProxyResult) => JSON.parse(r.body);

describe('GET /experiments pages', () => {
  it('without scope answers the first page of full results, sorted by name, with total and next', async () => {
    const [{ meta }, ...page] = body(await get({}));
    expect(page).toHaveLength(PAGE_LIMITS.full);
    expect(page.map((e: { experiment: string }) => e.experiment)).toEqual(names.slice(0, PAGE_LIMITS.full));
    expect(meta).toMatchObject({ total: 55, offset: 0, limit: PAGE_LIMITS.full, next: PAGE_LIMITS.full });
    expect(page[2].goals[0]).toEqual({
      goal: 'buy',
      results: [
        { label: 'a', successes: 1, trials: 3 },
        { label: 'b', successes: 0, trials: 1 },
      ],
    });
  });

  it('limit and offset walk the namespace; the last page says next: null', async () => {
    const [{ meta }, ...page] = body(await get({ limit: '3', offset: '3' }));
    expect(page.map((e: { experiment: string }) => e.experiment)).toEqual(['e4', 'e5', 'e6']);
    expect(meta.next).toBe(6);
    const [{ meta: last }, ...rest] = body(await get({ limit: '10', offset: '50' }));
    expect(rest.map((e: { experiment: string }) => e.experiment)).toEqual(['e51', 'e52', 'e53', 'e54', 'e55']);
    expect(last.next).toBeNull();
    expect(body(await get({ offset: '99' })).slice(1)).toEqual([]);
  });

  it('stats=1 computes statistics for one page only', async () => {
    const [{ meta }, ...page] = body(await get({ stats: '1' }));
    expect(page).toHaveLength(PAGE_LIMITS.stats);
    expect(meta.next).toBe(PAGE_LIMITS.stats);
    expect(page[0].srm).toBeDefined();
    expect(page[0].goals[0].stats.control).toBe('a');
  });

  it('summary=1 is the cheap listing of the whole namespace: participants, no goal counters', async () => {
    const [{ meta }, ...list] = body(await get({ summary: '1' }));
    expect(list).toHaveLength(55);
    expect(meta).toMatchObject({ total: 55, next: null });
    expect(list[9]).toEqual({
      experiment: 'e10',
      counting: 'exact',
      participants: 11,
      variants: [
        { label: 'a', participants: 10 },
        { label: 'b', participants: 1 },
      ],
      goals: 1,
    });
  });

  it('summary reads names and labels with the characters the key layout escapes', async () => {
    const env = configToEnv(testConfig(redis.url, { counting: 'hll' }));
    const h = { track: makeHandler(track, env), experiments: makeHandler(experiments, env) };
    const events = ['u1', 'u2', 'u3'].map((uuid, i) => ({
      experiment: 'c 50%: {x}',
      variant: i ? '%7B:}' : 'a',
      event: 'participate',
      uuid,
    }));
    expect((await h.track(proxyEvent('POST', '/track', { body: JSON.stringify(events) }))).statusCode).toBe(200);
    const [, ...list] = JSON.parse(
      (await h.experiments(proxyEvent('GET', '/experiments', { query: { summary: '1' } }))).body,
    );
    await Promise.all([h.track.close(), h.experiments.close()]);
    expect(list).toEqual([
      {
        experiment: 'c 50%: {x}',
        counting: 'hll',
        participants: 3,
        variants: [
          { label: '%7B:}', participants: 2 },
          { label: 'a', participants: 1 },
        ],
        goals: 0,
      },
    ]);
  });

  it('scope keeps the full shape of the named experiments and is bounded', async () => {
    const [{ meta }, ...scoped] = body(await get({ scope: 'e2,e1,nope' }));
    expect(scoped.map((e: { experiment: string }) => e.experiment)).toEqual(['e1', 'e2']);
    expect(meta.next).toBeUndefined();
    const many = await get({ scope: names.slice(0, PAGE_LIMITS.full + 1).join(',') });
    expect(many.statusCode).toBe(400);
    expect(body(many).field).toBe('scope');
    expect((await get({ scope: names.slice(0, PAGE_LIMITS.stats + 1).join(','), stats: '1' })).statusCode).toBe(400);
  });

  it.each([
    ['limit', '0'],
    ['limit', String(PAGE_LIMITS.full + 1)],
    ['limit', 'ten'],
    ['offset', '-1'],
    ['offset', '1.5'],
  ])('%s=%s is a 400 naming the field', async (field, value) => {
    const r = await get({ [field]: value });
    expect(r.statusCode).toBe(400);
    expect(body(r)).toMatchObject({ status: 'failed', field });
  });
});
