import { createRedis, RedisCounterStore, type TrackEvent } from '../../src/store';
import { UnavailableError } from '../../src/errors';
import {
  startFreezingProxy,
  startTestRedis,
  testConfig,
  type FreezingProxy,
  type PrivateRedis,
} from '../helpers/redis';

let redis: PrivateRedis;
let proxy: FreezingProxy;
beforeAll(async () => {
  redis = await startTestRedis();
  proxy = await startFreezingProxy(redis.port);
});
afterAll(async () => {
  await proxy.close();
  await redis.stop();
});

const ev = (experiment: string, uuid: string): TrackEvent => ({
  namespace: 'ns',
  experiment,
  variant: 'a',
  event: 'participate',
  uuid,
});

/** How long `work` takes to fail, and with what. */
async function timeToFail(work: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await work();
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
  throw new Error('expected a failure');
}

describe('every store operation has one overall deadline (redis_command_timeout_ms)', () => {
  it('operations started while earlier ones wait on a hung Redis still fail within the timeout', async () => {
    const config = testConfig(proxy.url, { redis_command_timeout_ms: 1000 });
    const client = createRedis(config);
    const store = new RedisCounterStore(client, config);
    try {
      await store.track([ev('warm', 'u0')]);
      proxy.freeze();
      // Eight callers arriving one after the other, as concurrent HTTP requests do.
      const calls = Array.from({ length: 8 }, (_, i) =>
        new Promise((r) => setTimeout(r, 40 * i)).then(() =>
          timeToFail(() =>
            i % 3 === 2
              ? store.results('ns')
              : i % 3 === 1
                ? store.deleteExperiment('ns', 'warm')
                : store.track([ev(`new${i}`, `u${i}`)]),
          ),
        ),
      );
      const outcomes = await Promise.all(calls);
      for (const { ms, error } of outcomes) {
        expect(error).toBeInstanceOf(UnavailableError);
        expect((error as Error).message).toMatch(/did not answer within redis_command_timeout_ms \(1000 ms\)/);
        expect(ms).toBeLessThan(1000 + 400);
      }
      proxy.thaw();
      // Recovery without a new client.
      await expect(store.track([ev('warm', 'u9')])).resolves.toEqual({ stored: 1, rejected: [] });
    } finally {
      proxy.thaw();
      client.disconnect();
    }
  });
});
