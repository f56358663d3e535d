/**
 * CPU of this Node process per script call (process.cpuUsage, user + system): ioredis as the
 * store used it for every call (defineCommand + auto-pipelining) against the lean client of
 * src/store/resp.ts, each with C concurrent loops calling EVALSHA on a private redis-server,
 * one after the other, for S seconds each, R rounds. Run: npx tsx test/bench/resp-client.ts
 */
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { startRedisServer } from '../../cli/dev/redis-server';
import { RespClient } from '../../src/store/resp';

const C = Number(process.env.C ?? 50);
const S = Number(process.env.S ?? 3);
const R = Number(process.env.R ?? 3);

// A script with the track script's arguments and reply shape: 5 keys, 10 arguments, {int, string}.
const LUA = `return {redis.call('PFADD', KEYS[4], ARGV[1]), ARGV[9]}`;
const script = { lua: LUA, sha: createHash('sha1').update(LUA).digest('hex') };
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
  const clients: [string, Call][] = [
    [
      'ioredis defineCommand + auto-pipelining',
      (i) => (ioredis as Redis & { benchScript(...a: string[]): Promise<unknown> }).benchScript(...args(i)),
    ],
    ['lean RespClient evalsha', (i) => lean.evalsha(script, 5, args(i))],
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
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
