/**
 * CPU of this Node process per call (process.cpuUsage, user + system), C concurrent loops on a
 * private redis-server, S seconds each, R rounds, the clients one after the other:
 * - one script call: ioredis as the store used it (defineCommand + auto-pipelining) against the
 *   lean client of src/store/resp.ts;
 * - one `store.track` of the real track script: a store on a plain ioredis client (which runs
 *   its scripts itself) against one on createRedis's client (the lean connection).
 * Run: npx tsx test/bench/resp-client.ts
 */
import Redis from 'ioredis';
import { startRedisServer } from '../../cli/dev/redis-server';
import { validateConfig } from '../../src/config';
import { createRedis, RedisCounterStore } from '../../src/store';
import { runScript, script } from '../../src/store/redis';
import { RespClient } from '../../src/store/resp';

const C = Number(process.env.C ?? 50);
const S = Number(process.env.S ?? 3);
const R = Number(process.env.R ?? 3);

// A script with the track script's arguments and reply shape: 5 keys, 10 arguments, {int, string}.
const LUA = `return {redis.call('PFADD', KEYS[4], ARGV[1]), ARGV[9]}`;
const leanScript = script<unknown>(5, LUA);
const args = (i: number) => [
  ...['m', 'v', 'g', 'c:participate:a', 'days'].map((k) => `bench:{ns:e}:${k}`),
  `uuid-${i}`,
  'a',
  'participate',
  'hll',
  '10',
  '20',
  '0',
  '',
  'bench:{ns:e}:',
  '2026-11-23:participate:a',
];

type Call = (i: number) => Promise<unknown>;

/** µs of CPU per call and calls per second over S seconds of C loops. */
async function measure(call: Call): Promise<{ us: number; rate: number }> {
  let calls = 0;
  let i = 0;
  const until = Date.now() + S * 1000;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (Date.now() < until) {
        await call(i++ % 100_000);
        calls++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { us: (used.user + used.system) / calls, rate: calls / seconds };
}

async function main() {
  const server = await startRedisServer({});
  const ioredis = new Redis(server.url, { enableAutoPipelining: true, maxRetriesPerRequest: 0 });
  ioredis.defineCommand('benchScript', { numberOfKeys: 5, lua: LUA });
  const url = new URL(server.url);
  const lean = new RespClient({
    host: url.hostname,
    port: Number(url.port),
    db: 0,
    connectTimeoutMs: 1000,
    retryDelay: () => 100,
    onError: (e) => console.error(e),
    onReady: () => {},
  });
  const config = validateConfig(
    { redis_url: server.url, key_prefix: 'bench:', redis_command_timeout_ms: 5000 },
    'bench',
  );
  const plain = new Redis(server.url, { enableAutoPipelining: true, maxRetriesPerRequest: 0 });
  const created = createRedis(config);
  const track = (store: RedisCounterStore) => (i: number) =>
    store.track([{ namespace: 'ns', experiment: 'e', variant: 'a', event: 'participate', uuid: `u${i}` }]);
  const clients: [string, Call][] = [
    [
      'ioredis defineCommand + auto-pipelining',
      (i) => (ioredis as Redis & { benchScript(...a: string[]): Promise<unknown> }).benchScript(...args(i)),
    ],
    ['lean RespClient, runScript (EVALSHA)', (i) => runScript(lean, leanScript, args(i))],
    ['store.track, plain ioredis client', track(new RedisCounterStore(plain, config))],
    ['store.track, createRedis (lean connection)', track(new RedisCounterStore(created, config))],
  ];
  try {
    for (const [, call] of clients) await measure(call); // warm up: scripts loaded, JIT
    console.log(`| client (${C} loops, ${S} s) | round | Node CPU µs per call | calls/s |`);
    console.log('|---|---|---|---|');
    for (let round = 1; round <= R; round++) {
      for (const [name, call] of clients) {
        const { us, rate } = await measure(call);
        console.log(`| ${name} | ${round} | ${us.toFixed(1)} | ${Math.round(rate)} |`);
      }
    }
  } finally {
    ioredis.disconnect();
    lean.close();
    plain.disconnect();
    created.disconnect();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
