import Redis from 'ioredis';
import type { Config } from '../../src/config';
import { createRedis, RedisCounterStore } from '../../src/store';
import { experimentKeys } from '../../src/store/keys';
import { startTestRedis, testConfig } from '../helpers/redis';

/** A private redis-server in HLL mode: the config, the store on it and a plain client for bulk writes. */
export interface HllRedis {
  config: Config;
  store: RedisCounterStore;
  bulk: Redis;
}

/** Runs a study against a private redis-server in HLL mode (no experiment cap, 10 s command deadline), then stops it. */
export async function withHllRedis<T>(study: (r: HllRedis) => Promise<T>): Promise<T> {
  const server = await startTestRedis();
  const config = testConfig(server.url, {
    counting: 'hll',
    redis_command_timeout_ms: 10_000,
    max_experiments_per_namespace: 0,
  });
  const client = createRedis(config);
  const bulk = new Redis(server.url);
  try {
    return await study({ config, store: new RedisCounterStore(client, config), bulk });
  } finally {
    bulk.disconnect();
    client.disconnect();
    await server.stop();
  }
}

interface Buffer {
  experiment: string;
  event: string;
  variant: string;
  elements: string[];
  first: boolean;
}

/**
 * Writes many events of undefined experiments (phase 0) into HLL counters fast: the first
 * element of every counter goes through `RedisCounterStore.track` (so the experiment, its
 * variants and goals exist as the store makes them), the rest through PFADD on the store's own
 * keys, `batch` elements per call, at most 8 calls in flight.
 */
export class HllWriter {
  private readonly buffers = new Map<string, Buffer>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly store: RedisCounterStore,
    private readonly bulk: Redis,
    private readonly prefix: string,
    private readonly namespace: string,
    private readonly batch = 10_000,
  ) {}

  /**
   * Adds one element (a visitor's uuid) to the counter of (experiment, event, variant).
   * Returns true when that counter's buffer is full: then `await drain()` before adding more.
   */
  add(experiment: string, event: string, variant: string, uuid: string): boolean {
    const id = `${experiment}|${event}|${variant}`;
    let b = this.buffers.get(id);
    if (!b) this.buffers.set(id, (b = { experiment, event, variant, elements: [], first: true }));
    b.elements.push(uuid);
    return b.elements.length >= this.batch;
  }

  /** Writes the full buffers. */
  async drain(): Promise<void> {
    for (const b of this.buffers.values()) if (b.elements.length >= this.batch) await this.write(b);
  }

  /** Writes every buffered element and waits until Redis has them all. */
  async flush(): Promise<void> {
    for (const b of this.buffers.values()) await this.write(b);
    await Promise.all(this.pending);
  }

  private async write(b: Buffer): Promise<void> {
    if (b.elements.length === 0) return;
    if (b.first) {
      const uuid = b.elements.shift()!;
      const { experiment, event, variant } = b;
      const outcome = await this.store.track([{ namespace: this.namespace, experiment, variant, event, uuid }]);
      if (outcome.rejected.length) throw new Error(outcome.rejected[0].message);
      b.first = false;
    }
    if (b.elements.length) {
      const key = experimentKeys(this.prefix, this.namespace, b.experiment).counter(b.event, b.variant);
      const p = this.bulk.pfadd(key, ...b.elements);
      this.pending.add(p);
      p.finally(() => this.pending.delete(p));
      if (this.pending.size >= 8) await Promise.race(this.pending);
    }
    b.elements = [];
  }
}
