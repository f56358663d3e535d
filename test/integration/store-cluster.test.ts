import net from 'node:net';
import fs from 'node:fs';
import Redis, { Cluster } from 'ioredis';
import { configToEnv } from '../../src/config';
import { UnavailableError } from '../../src/errors';
import { createRedis, RedisCounterStore, type RedisClient, type TrackEvent } from '../../src/store';
import {
  redisHasTls,
  startTestCluster,
  startTlsRedis,
  testConfig,
  type TestCluster,
  type TlsRedis,
} from '../helpers/redis';

const ev = (experiment: string, variant: string, event: string, uuid: string): TrackEvent => ({
  namespace: 'ns',
  experiment,
  variant,
  event,
  uuid,
});
const names = (store: RedisCounterStore) => store.results('ns').then((r) => r.map((e) => e.experiment));

describe('against a real 3-master Redis Cluster', () => {
  let cluster: TestCluster;
  let client: RedisClient;
  beforeAll(async () => {
    cluster = await startTestCluster();
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('tracks, reads results, holds caps, deletes; a killed node gives 503 within the timeout and comes back without a restart', async () => {
    const config = testConfig(cluster.url, {
      redis_cluster: true,
      counting: 'exact',
      max_experiments_per_namespace: 5,
      max_variants_per_experiment: 2,
    });
    client = createRedis(config);
    const store = new RedisCounterStore(client, config);
    const experiments = Array.from({ length: 5 }, (_, i) => `exp ${i}`);
    for (const name of experiments) {
      const out = await store.track([
        ev(name, 'a', 'participate', 'u1'),
        ev(name, 'b', 'participate', 'u2'),
        ev(name, 'b', 'buy', 'u2'),
      ]);
      expect(out).toEqual({ stored: 3, rejected: [] });
    }
    // The experiments' keys are spread over the three masters.
    const masters = cluster.ports.map((port) => new Redis(port, '127.0.0.1'));
    const perNode = await Promise.all(masters.map((m) => m.dbsize()));
    masters.forEach((m) => m.disconnect());
    expect(perNode.filter((n) => n > 0).length).toBe(3);
    expect(await names(store)).toEqual(experiments);
    const [first] = await store.results('ns', ['exp 0']);
    expect(first.variants).toEqual([
      { label: 'a', participants: 1 },
      { label: 'b', participants: 1 },
    ]);
    expect(first.goals).toEqual([
      {
        goal: 'buy',
        results: [
          { label: 'a', successes: 0, trials: 1 },
          { label: 'b', successes: 1, trials: 1 },
        ],
      },
    ]);
    // Caps: a sixth experiment and a third variant are refused.
    expect((await store.track([ev('exp 5', 'a', 'participate', 'u')])).rejected[0].message).toMatch(
      /max_experiments_per_namespace/,
    );
    expect((await store.track([ev('exp 0', 'c', 'participate', 'u')])).rejected[0].message).toMatch(
      /max_variants_per_experiment/,
    );
    // Delete, then the freed place is taken through the cap.
    expect(await store.deleteExperiment('ns', 'exp 1')).toBe(true);
    expect(await names(store)).toEqual(experiments.filter((e) => e !== 'exp 1'));
    expect((await store.track([ev('exp 5', 'a', 'participate', 'u')])).rejected).toEqual([]);
    expect((await store.track([ev('exp 1', 'a', 'participate', 'u')])).rejected[0].message).toMatch(
      /max_experiments_per_namespace/,
    );

    await cluster.kill(1);
    const started = Date.now();
    const failure = await store.track([ev('exp 0', 'a', 'participate', 'u3')]).then(
      () => null,
      (e) => e,
    );
    // Either this event's slot was on the killed node, or the cluster already knows it is down.
    if (failure) {
      expect(failure).toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeLessThan(config.redis_command_timeout_ms + 400);
    }
    const outage = await Promise.all(
      experiments.map((e) => {
        const t0 = Date.now();
        return store.track([ev(e, 'a', 'participate', 'u4')]).then(
          () => ({ ok: true, ms: Date.now() - t0 }),
          () => ({ ok: false, ms: Date.now() - t0 }),
        );
      }),
    );
    expect(outage.some((o) => !o.ok)).toBe(true);
    for (const o of outage) expect(o.ms).toBeLessThan(config.redis_command_timeout_ms + 400);

    await cluster.restart(1);
    const recoverBy = Date.now() + 15_000;
    let recovered = false;
    while (!recovered && Date.now() < recoverBy) {
      // Node 1 kept no data (no persistence): its experiments come back as new ones, through the cap.
      const listed = ['exp 0', 'exp 2', 'exp 3', 'exp 4', 'exp 5'];
      recovered = await store.track(listed.map((e) => ev(e, 'a', 'participate', 'u5'))).then(
        (o) => o.rejected.length === 0,
        () => false,
      );
      if (!recovered) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovered).toBe(true);
    expect(client).toBeInstanceOf(Cluster);
  }, 60_000);

  it('a node whose announced address accepts connections but never answers gives 503 within the timeout, not a hang', async () => {
    // A black hole on loopback: it accepts connections and never answers (no traffic leaves this machine).
    const sockets = new Set<net.Socket>();
    const hole = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    const holePort = (hole.address() as net.AddressInfo).port;
    const admin = new Redis(cluster.ports[2], '127.0.0.1');
    await admin.config('SET', 'cluster-announce-port', String(holePort));
    const config = testConfig(cluster.url, { redis_cluster: true, redis_command_timeout_ms: 500 });
    const seen = async () => {
      const probe = new Redis(cluster.ports[0], '127.0.0.1');
      try {
        return await probe.call('CLUSTER', 'SLOTS');
      } finally {
        probe.disconnect();
      }
    };
    const deadline = Date.now() + 40_000;
    let announced = false;
    while (!(announced = JSON.stringify(await seen()).includes(String(holePort))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(announced).toBe(true);
    const other = createRedis(config);
    try {
      const store = new RedisCounterStore(other, config);
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const t0 = Date.now();
          return store.track([ev(`far ${i}`, 'a', 'participate', 'u')]).then(
            () => ({ ok: true, ms: Date.now() - t0 }),
            (e) => ({ ok: false, ms: Date.now() - t0, e }),
          );
        }),
      );
      expect(outcomes.some((o) => !o.ok)).toBe(true);
      const bound = config.redis_command_timeout_ms + config.redis_connect_timeout_ms + 400;
      for (const o of outcomes) expect(o.ms).toBeLessThan(bound);
      for (const o of outcomes) if (!o.ok) expect((o as { e: Error }).e).toBeInstanceOf(UnavailableError);
    } finally {
      other.disconnect();
      await admin.config('SET', 'cluster-announce-port', '0');
      admin.disconnect();
      for (const socket of sockets) socket.destroy();
      hole.close();
    }
  }, 90_000);
});

const tlsWorks = redisHasTls();
if (!tlsWorks) console.warn('skipping the TLS tests: this redis-server was built without TLS');
(tlsWorks ? describe : describe.skip)('against a real TLS redis-server (rediss://, private CA)', () => {
  let server: TlsRedis;
  const clients: RedisClient[] = [];
  beforeAll(async () => {
    server = await startTlsRedis();
  }, 30_000);
  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await server?.stop();
  });
  const storeFor = (overrides: Parameters<typeof testConfig>[1]) => {
    const config = testConfig(server.url, overrides);
    const client = createRedis(config);
    clients.push(client);
    return new RedisCounterStore(client, config);
  };

  it('redis_tls_ca as a file path or as the PEM itself: tracks and reads', async () => {
    for (const ca of [server.caFile, fs.readFileSync(server.caFile, 'utf8')]) {
      const store = storeFor({ redis_tls_ca: ca });
      expect(await store.track([ev('tls', 'a', 'participate', 'u1')])).toEqual({ stored: 1, rejected: [] });
      expect(await names(store)).toEqual(['tls']);
    }
  });

  it('without the CA the certificate is refused with a sentence naming redis_tls_ca', async () => {
    const store = storeFor({});
    await expect(store.track([ev('tls', 'a', 'participate', 'u1')])).rejects.toThrow(
      /TLS handshake .* failed.*redis_tls_ca/,
    );
  });

  it('a Lambda gets the PEM text, not the path of a file it does not have', () => {
    const env = configToEnv(testConfig(server.url, { redis_tls_ca: server.caFile }));
    expect(env.ABTEST_REDIS_TLS_CA).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });
});
