/**
 * Memory of the day buckets (one hash per experiment phase, field day:event:variant → count):
 * fills the hash of one experiment with the store's key layout for a number of days, variants
 * and goals in a private redis-server, and prints MEMORY USAGE (SAMPLES 0: every field) per
 * experiment-day. Run: npx tsx test/bench/day-buckets.ts
 */
import Redis from 'ioredis';
import { startRedisServer } from '../../cli/dev/redis-server';
import { PARTICIPATE } from '../../src/protocol';
import { dayOf } from '../../src/series';
import { dayField, experimentKeys } from '../../src/store/keys';

const SHAPES = [
  { variants: 2, goals: 1 },
  { variants: 3, goals: 5 },
  { variants: 10, goals: 20 },
];
const DAYS = [7, 30, 90, 365];

async function main() {
  const server = await startRedisServer({});
  const redis = new Redis(server.url);
  try {
    const version = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1];
    const limit = (await redis.config('GET', 'hash-max-listpack-entries')) as string[];
    console.log(`redis ${version}, ${limit.join(' ')}`);
    console.log('| variants × goals | days | fields | encoding | bytes | bytes per experiment-day |');
    console.log('|---|---|---|---|---|---|');
    for (const shape of SHAPES) {
      for (const days of DAYS) {
        const key = experimentKeys('bench:', 'ns', `e${shape.variants}x${shape.goals}x${days}`, 1).days;
        const events = [PARTICIPATE, ...Array.from({ length: shape.goals }, (_, g) => `goal ${g}`)];
        const variants = Array.from({ length: shape.variants }, (_, v) => `variant ${v}`);
        const p = redis.pipeline();
        for (let d = 0; d < days; d++) {
          const day = dayOf(new Date(Date.UTC(2026, 0, 1 + d)));
          for (const event of events) for (const v of variants) p.hincrby(key, dayField(day, event, v), 1000 + d);
        }
        await p.exec();
        const bytes = Number(await redis.memory('USAGE', key, 'SAMPLES', 0));
        const encoding = await redis.object('ENCODING', key);
        const fields = await redis.hlen(key);
        console.log(
          `| ${shape.variants} × ${shape.goals} | ${days} | ${fields} | ${encoding} | ${bytes} | ${Math.round(bytes / days)} |`,
        );
      }
    }
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
