/**
 * Redis's own time per hot-path script call (INFO commandstats usec_per_call of EVALSHA), in
 * HLL and exact mode, in a private redis-server: the track script with N new uuids into one
 * counter in batches of 100, then the same N again (repeats); Sixpack's participate with N new
 * client ids (one experiment, 2 alternatives), convert of those clients, then the same converts
 * again, 50 calls in flight at a time. Run: N=100000 npx tsx test/bench/track-cost.ts
 */
import Redis from 'ioredis';
import { startRedisServer } from '../../cli/dev/redis-server';
import { hash } from '../../src/assign';
import { validateConfig, type Counting } from '../../src/config';
import { sixpackDefinition } from '../../src/experiments/definition';
import { sixpackHash } from '../../src/sixpack/params';
import { createRedis, RedisCounterStore } from '../../src/store';

const N = Number(process.env.N ?? 100_000);

/** Runs `call(i)` for i < N, 50 at a time (as concurrent requests would). */
async function inFlight(call: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => call(i + k)));
  }
}

async function measure(url: string, admin: Redis, counting: Counting): Promise<void> {
  const config = validateConfig({ redis_url: url, counting, key_prefix: `${counting}:` }, 'bench');
  const client = createRedis({ ...config, redis_command_timeout_ms: 5000 });
  const store = new RedisCounterStore(client, config);
  const alternatives = ['a', 'b'];
  await store.saveDefinition(sixpackDefinition('ns', 'sp', alternatives, 1, new Date().toISOString()), 0);
  const at = new Date();
  const track = async () => {
    for (let i = 0; i < N; i += 100) {
      const uuids = Array.from({ length: 100 }, (_, k) => `u${i + k}`);
      await store.track(uuids.map((uuid) => ({ namespace: 'ns', experiment: 'e', variant: 'a', event: 'p', uuid })));
    }
  };
  const participate = (i: number) =>
    store.participate({
      namespace: 'ns',
      experiment: 'sp',
      clientId: `c${i}`,
      alternatives,
      force: null,
      recordForce: false,
      prefetch: false,
      badTrafficFraction: false,
      ...sixpackHash('sp', `c${i}`),
      weighted: hash('sp', `c${i}`),
      at,
    });
  const convert = (i: number) =>
    store.convert({ namespace: 'ns', experiment: 'sp', clientId: `c${i}`, goal: 'convert', badKpi: false, at });
  const rounds: [string, () => Promise<void>][] = [
    ['track, new uuids', track],
    ['track, repeats', track],
    ['participate, new clients', () => inFlight(participate)],
    ['convert', () => inFlight(convert)],
    ['convert, repeats', () => inFlight(convert)],
  ];
  try {
    for (const [label, run] of rounds) {
      await admin.config('RESETSTAT');
      await run();
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
    console.log(`| mode | calls (N = ${N}) | EVALSHA calls | Redis µs per call |`);
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
