import Redis from 'ioredis';
import { createRedis, RedisCounterStore, type TrackEvent, type TrackOutcome } from '../../src/store';
import { experimentKeys, namespaceKey } from '../../src/store/keys';
import { startStoreWorker, startTestRedis, testConfig, type PrivateRedis, type StoreWorker } from '../helpers/redis';

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

const ev = (experiment: string, variant: string, event: string, uuid: string): TrackEvent => ({
  namespace: 'ns',
  experiment,
  variant,
  event,
  uuid,
});

describe('tracking racing with delete (separate processes)', () => {
  let workers: StoreWorker[] = [];
  afterEach(() => workers.forEach((w) => w.stop()));

  it('after any interleaving an experiment is wholly gone or wholly listed, and old counters never come back', async () => {
    // A generous deadline: this test is about what is stored, and the machine may be busy.
    const config = testConfig(redis.url, { counting: 'exact', redis_command_timeout_ms: 10_000 });
    workers = await Promise.all([0, 1, 2].map(() => startStoreWorker(config)));
    const [t1, t2, deleter] = workers;
    const index = namespaceKey(config.key_prefix, 'ns');
    const broken: string[] = [];
    for (let round = 0; round < 300; round++) {
      const name = `e${round % 20}`;
      const keys = experimentKeys(config.key_prefix, 'ns', name);
      // Spread the delete over the trackers' work: sometimes before, sometimes between, after.
      const delay = round % 4;
      await Promise.all([
        t1.call<TrackOutcome>('track', { events: [ev(name, `a${round}`, 'participate', `x${round}`)] }),
        t2.call<TrackOutcome>('track', {
          events: [ev(name, `b${round}`, 'participate', `y${round}`), ev(name, `b${round}`, 'buy', `y${round}`)],
        }),
        new Promise((r) => setTimeout(r, delay)).then(() =>
          deleter.call('delete', { namespace: 'ns', experiment: name }),
        ),
      ]);
      const [listed, mode, variants] = await Promise.all([
        admin.sismember(index, name),
        admin.hget(keys.meta, 'mode'),
        admin.smembers(keys.variants),
      ]);
      if ((listed === 1) !== (mode !== null)) broken.push(`round ${round}: listed=${listed} mode=${mode}`);
      if (mode === null && variants.length > 0) broken.push(`round ${round}: variants left without meta: ${variants}`);
      // Every counter that exists belongs to a variant the experiment knows (no orphan survives).
      const counters = await admin.keys(`${config.key_prefix}{ns:${name}}:c:*`);
      const orphans = counters.filter((k) => !variants.some((v) => k.endsWith(`:${v}`)));
      if (orphans.length > 0) broken.push(`round ${round}: orphan counters ${orphans.join(' ')}`);
    }
    expect(broken).toEqual([]);
    // Tracking again after all that brings every experiment back whole and listed.
    const again = await startStoreWorker(config);
    workers.push(again);
    await again.call('track', { events: Array.from({ length: 20 }, (_, i) => ev(`e${i}`, 'z', 'participate', 'z')) });
    expect((await admin.smembers(index)).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`).sort());
  }, 120_000);
});

describe('caps after a delete', () => {
  it('re-indexing an experiment deleted by another process goes through max_experiments_per_namespace', async () => {
    const config = testConfig(redis.url, { max_experiments_per_namespace: 3 });
    const clients = [createRedis(config), createRedis(config)];
    const [a, b] = clients.map((c) => new RedisCounterStore(c, config));
    try {
      for (const name of ['e1', 'e2', 'e3'])
        expect((await a.track([ev(name, 'v', 'participate', 'u')])).rejected).toEqual([]);
      expect(await b.deleteExperiment('ns', 'e1')).toBe(true);
      expect((await b.track([ev('e4', 'v', 'participate', 'u')])).rejected).toEqual([]);
      // a has seen e1 before; the namespace is full again, so e1 must be refused.
      const out = await a.track([ev('e1', 'v', 'participate', 'u2')]);
      expect(out.rejected).toEqual([
        { index: 0, field: 'experiment', message: expect.stringMatching(/max_experiments_per_namespace \(3\)/) },
      ]);
      expect((await admin.smembers(namespaceKey(config.key_prefix, 'ns'))).sort()).toEqual(['e2', 'e3', 'e4']);
      expect(await admin.hget(experimentKeys(config.key_prefix, 'ns', 'e1').meta, 'mode')).toBeNull();
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  });
});

describe('deleting what does not exist', () => {
  it('writes no key (no marker is left)', async () => {
    const config = testConfig(redis.url);
    const client = createRedis(config);
    try {
      expect(await new RedisCounterStore(client, config).deleteExperiment('ns', 'never')).toBe(false);
      expect(await admin.keys(`${config.key_prefix}*`)).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
