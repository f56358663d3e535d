import Redis from 'ioredis';
import { validateConfig } from '../../src/config';
import { sixpack } from '../../src/sixpack/route';
import { createRedis, RedisCounterStore } from '../../src/store';
import { experimentKeys } from '../../src/store/keys';
import { proxyEvent } from '../helpers/events';
import { startTestRedis } from '../helpers/redis';

/**
 * Memory per stored assignment (`npx tsx test/bench/sixpack-memory.ts`): N visitors (default
 * 100,000; SIXPACK_MEMORY_VISITORS) participate in one Sixpack experiment through the route
 * against a private redis-server; MEMORY USAGE of the assignments hash divided by N.
 */
async function main(): Promise<void> {
  const n = Number(process.env.SIXPACK_MEMORY_VISITORS ?? 100_000);
  const redis = await startTestRedis();
  const config = validateConfig({ redis_url: redis.url, redis_command_timeout_ms: 5000 }, 'bench');
  const client = createRedis(config);
  const ctx = { config, store: new RedisCounterStore(client, config) };
  const admin = new Redis(redis.url);
  try {
    for (let from = 0; from < n; from += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, n - from) }, (_, i) => {
          const id = `${(from + i).toString(16).padStart(8, '0')}-1234-4567-89ab-0123456789ab`;
          const event = proxyEvent('GET', '/participate', { headers: { 'User-Agent': 'Mozilla/5.0' } });
          const q = { experiment: 'memory', alternatives: ['red', 'blue'], client_id: [id] };
          return sixpack(
            {
              ...event,
              queryStringParameters: { experiment: 'memory', alternatives: 'blue', client_id: id },
              multiValueQueryStringParameters: { ...q, experiment: ['memory'] },
            },
            ctx,
          );
        }),
      );
    }
    const key = experimentKeys(config.key_prefix, config.namespace, 'memory').assignments;
    const bytes = Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    const len = await admin.hlen(key);
    console.log(
      `${len} assignments (36-character client ids): ${bytes} bytes, ${(bytes / len).toFixed(1)} bytes per assignment`,
    );
  } finally {
    admin.disconnect();
    client.disconnect();
    await redis.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
