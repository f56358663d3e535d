/**
 * Redis's own time per track script call (INFO commandstats usec_per_call of EVALSHA): N new
 * uuids into one counter in batches of 100, then the same N again (repeats), in HLL and exact
 * mode, in a private redis-server. Run: N=100000 npx tsx test/bench/track-cost.ts
 */
import Redis from 'ioredis';
import { startRedisServer } from '../../cli/dev/redis-server';
import { validateConfig, type Counting } from '../../src/config';
import { createRedis, RedisCounterStore } from '../../src/store';

const N = Number(process.env.N ?? 100_000);

async function measure(url: string, admin: Redis, counting: Counting): Promise<void> {
  const config = validateConfig({ redis_url: url, counting, key_prefix: `${counting}:` }, 'bench');
  const client = createRedis({ ...config, redis_command_timeout_ms: 5000 });
  const store = new RedisCounterStore(client, config);
  try {
    for (const label of ['new uuids', 'repeats']) {
      await admin.config('RESETSTAT');
      for (let i = 0; i < N; i += 100) {
        const uuids = Array.from({ length: 100 }, (_, k) => `u${i + k}`);
        await store.track(uuids.map((uuid) => ({ namespace: 'ns', experiment: 'e', variant: 'a', event: 'p', uuid })));
      }
      const m = String(await admin.info('commandstats')).match(
        /cmdstat_evalsha:calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/,
      );
      console.log(`| ${counting} | ${label} | ${m?.[1]} | ${m?.[2]} |`);
    }
  } finally {
    client.disconnect();
  }
}

async function main() {
  const server = await startRedisServer({});
  const admin = new Redis(server.url);
  try {
    console.log(`| mode | events (${N}) | EVALSHA calls | Redis µs per call |`);
    console.log('|---|---|---|---|');
    for (const counting of ['hll', 'exact'] as const) await measure(server.url, admin, counting);
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
