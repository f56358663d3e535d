import { experiments, track } from '../../src/api';
import { configToEnv, type Config } from '../../src/config';
import { makeHandler, type Handler } from '../../src/handler';
import type { ProxyResult } from '../../src/http';
import { countError, goalStats, sampleRatioCheck } from '../../src/stats';
import { HLL_STANDARD_ERROR } from '../../src/store';
import { proxyEvent } from '../helpers/events';
import { startTestRedis, testConfig, type PrivateRedis } from '../helpers/redis';

let redis: PrivateRedis;
const handlers: Handler[] = [];
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await Promise.all(handlers.map((h) => h.close()));
  await redis.stop();
});

function container(config: Config) {
  const env = configToEnv(config);
  const c = { track: makeHandler(track, env), experiments: makeHandler(experiments, env) };
  handlers.push(c.track, c.experiments);
  return c;
}
const body = (r: ProxyResult) => JSON.parse(r.body);

/** 60 participants in red (12 buy), 40 in blue (14 buy), one duplicate send each. */
async function fill(c: ReturnType<typeof container>) {
  const events = [];
  for (let i = 0; i < 100; i++) {
    const variant = i < 60 ? 'red' : 'blue';
    events.push({ experiment: 'colour', variant, event: 'participate', uuid: `u${i}` });
    if ((variant === 'red' && i % 5 === 0) || (variant === 'blue' && i % 3 === 0))
      events.push({ experiment: 'colour', variant, event: 'buy', uuid: `u${i}` });
  }
  for (let i = 0; i < events.length; i += 100) {
    const batch = [...events.slice(i, i + 100)];
    await c.track(proxyEvent('POST', '/track', { body: JSON.stringify(batch) }));
    await c.track(proxyEvent('POST', '/track', { body: JSON.stringify(batch.slice(0, 10)) }));
  }
}

describe('GET /experiments?stats=1', () => {
  it.each(['exact', 'hll'] as const)(
    'adds srm, counting_error and per-goal stats (%s), keeping Gimel’s fields',
    async (counting) => {
      const c = container(testConfig(redis.url, { counting }));
      await fill(c);
      const plain = body(await c.experiments(proxyEvent('GET', '/experiments')));
      const out = body(await c.experiments(proxyEvent('GET', '/experiments', { query: { stats: '1' } })));
      expect(plain[1].srm).toBeUndefined();
      const exp = out[1];
      const sigma = counting === 'hll' ? HLL_STANDARD_ERROR : 0;
      expect(exp).toMatchObject({ experiment: 'colour', counting, standard_error: sigma });
      expect(exp.variants).toEqual([
        { label: 'blue', participants: 40, counting_error: 0 },
        { label: 'red', participants: 60, counting_error: 0 },
      ]);
      const results = [
        { label: 'blue', successes: 14, trials: 40 },
        { label: 'red', successes: 12, trials: 60 },
      ];
      expect(exp.goals).toEqual([{ goal: 'buy', results, stats: goalStats(results, { standardError: sigma }) }]);
      // the always-valid figures travel too: null for the control (blue), {pValue, interval} for red
      const [blue, red] = exp.goals[0].stats.variants;
      expect(blue.sequential).toBeNull();
      expect(red.sequential).toEqual({
        pValue: expect.any(Number),
        interval: [expect.any(Number), expect.any(Number)],
      });
      // 60/40 against an expected 50/50: χ² = 4, p = 0.0455, not a mismatch at 0.001
      expect(exp.srm).toEqual({
        ...sampleRatioCheck([40, 60], { standardError: sigma }),
        expected: 'equal split (undefined experiment)',
      });
      expect(exp.srm.mismatch).toBe(false);
      // the plain answer is the stats answer without the added fields
      expect(plain[1]).toEqual({
        ...exp,
        srm: undefined,
        variants: exp.variants.map((v: object) => ({ ...v, counting_error: undefined })),
        goals: [{ goal: 'buy', results }],
      });
    },
  );

  it('counting_error is one standard error of the participants count (HLL: ±11 at 2,000)', async () => {
    const c = container(testConfig(redis.url, { counting: 'hll' }));
    for (let i = 0; i < 2_000; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => ({
        experiment: 'big',
        variant: 'a',
        event: 'participate',
        uuid: `v${i + j}`,
      }));
      await c.track(proxyEvent('POST', '/track', { body: JSON.stringify(batch) }));
    }
    const [, big] = body(await c.experiments(proxyEvent('GET', '/experiments', { query: { stats: '1' } })));
    const { participants, counting_error } = big.variants[0];
    expect(Math.abs(participants - 2_000)).toBeLessThan(50);
    expect(counting_error).toBe(Math.round(participants * countError(participants, HLL_STANDARD_ERROR)));
    expect(counting_error).toBe(11);
  });

  it('takes the control from ?control= when the experiment has it', async () => {
    const c = container(testConfig(redis.url, { counting: 'exact' }));
    await fill(c);
    const out = body(await c.experiments(proxyEvent('GET', '/experiments', { query: { stats: '1', control: 'red' } })));
    const stats = out[1].goals[0].stats;
    expect(stats.control).toBe('red');
    expect(stats.variants[0].diff.value).toBeCloseTo(14 / 40 - 12 / 60, 12);
    const other = body(
      await c.experiments(proxyEvent('GET', '/experiments', { query: { stats: '1', control: 'green' } })),
    );
    expect(other[1].goals[0].stats.control).toBe('blue');
  });
});
