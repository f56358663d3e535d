/**
 * Only the `abtest serve` rows of `npm run bench` (see ./serve.ts), in about a minute: for
 * comparing two versions side by side on the same box (run it in a checkout of each, one after
 * the other, and compare the ratios). Needs a build (`npm run build`) and wrk.
 * Run: BENCH_SECONDS=6 BENCH_ROUNDS=1 npx tsx test/bench/serve-only.ts
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../../cli/dev/redis-server';
import { configToEnv, validateConfig } from '../../src/config';
import { serveRows } from './serve';

async function main() {
  const redis = await startRedisServer();
  try {
    const config = validateConfig({ redis_url: redis.url, key_prefix: 'bench:', redis_command_timeout_ms: 5000 });
    const info = execFileSync('redis-cli', ['-p', String(redis.port), 'info', 'server'], { encoding: 'utf8' });
    const rows = await serveRows({
      root: path.join(__dirname, '..', '..'),
      redisUrl: redis.url,
      redisPid: Number(/process_id:(\d+)/.exec(info)![1]),
      env: { ...process.env, ...configToEnv(config) },
      home: fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-bench-')),
      seconds: Number(process.env.BENCH_SECONDS ?? 6),
      rounds: Number(process.env.BENCH_ROUNDS ?? 1),
      connections: 50,
    });
    for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
  } finally {
    await redis.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
