import Redis from 'ioredis';
import { countError, sampleRatioCheck, twoProportionTest } from '../../src/stats';
import { HLL_STANDARD_ERROR } from '../../src/store';
import { startTestRedis, type PrivateRedis } from '../helpers/redis';

/**
 * The counting-error model against a real redis-server's HyperLogLogs: a small version of
 * `npm run accuracy` (which runs 200 A/A experiments at 100k per arm). HyperLogLog is
 * deterministic for given elements, so this test is too.
 */
let redis: PrivateRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

/** PFCOUNT of a HyperLogLog holding `n` distinct elements named `${name}:0…n-1`. */
async function hll(name: string, n: number): Promise<number> {
  for (let i = 0; i < n; i += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, n - i) }, (_, j) => `${name}:${i + j}`);
    await client.pfadd(name, ...batch);
  }
  const count = await client.pfcount(name);
  await client.del(name);
  return count;
}

const sd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

describe('HyperLogLog counting error (real redis-server)', () => {
  const PAIRS = 20;
  const PER_ARM = 50_000;
  const CONVERSIONS = 15_000; // a 30% goal, where the counting error weighs most
  const arms: [number, number][] = [];
  const goals: [number, number][] = [];

  beforeAll(async () => {
    for (let k = 0; k < PAIRS; k++) {
      arms.push([await hll(`p${k}a`, PER_ARM), await hll(`p${k}b`, PER_ARM)]);
      goals.push([await hll(`g${k}a`, CONVERSIONS), await hll(`g${k}b`, CONVERSIONS)]);
    }
  }, 60_000);

  it('is about what countError says, for large and for small counts', () => {
    const large = sd(arms.flat().map((c) => c / PER_ARM - 1));
    const small = sd(goals.flat().map((c) => c / CONVERSIONS - 1));
    expect(countError(PER_ARM, HLL_STANDARD_ERROR)).toBe(HLL_STANDARD_ERROR);
    // 40 counters estimate a standard deviation to about ±11%
    expect(large / HLL_STANDARD_ERROR).toBeGreaterThan(0.6);
    expect(large / HLL_STANDARD_ERROR).toBeLessThan(1.3);
    expect(small / countError(CONVERSIONS, HLL_STANDARD_ERROR)).toBeGreaterThan(0.6);
    expect(small / countError(CONVERSIONS, HLL_STANDARD_ERROR)).toBeLessThan(1.3);
  });

  it('a perfect 50/50 split raises no SRM alarm once the counting error is allowed for', () => {
    const alarms = (standardError: number) =>
      arms.filter((p) => sampleRatioCheck(p, { standardError }).mismatch).length;
    expect(alarms(HLL_STANDARD_ERROR)).toBe(0);
    // Pearson's χ² alone treats the HLL noise (±406) as if it were a bad split (binomial ±112)
    expect(alarms(0)).toBeGreaterThan(0);
  });

  it('equal conversion rates are not significant once the counting error is allowed for', () => {
    const significant = (standardError: number) =>
      arms.filter(
        (arm, k) =>
          twoProportionTest(
            { label: 'a', successes: goals[k][0], trials: arm[0] },
            { label: 'b', successes: goals[k][1], trials: arm[1] },
            standardError,
          ).pValue < 0.05,
      ).length;
    expect(significant(HLL_STANDARD_ERROR)).toBeLessThanOrEqual(2);
    expect(significant(0)).toBeGreaterThan(significant(HLL_STANDARD_ERROR));
  });
});
