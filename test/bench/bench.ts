/**
 * `npm run bench`: the track endpoint through `abtest dev` against a bare Node HTTP server on
 * the same box in the same run (interleaved, so noise hits both), loaded by `wrk` (C, so the
 * load generator takes little of the two cores), with the server side's CPU time per request
 * read from /proc; the handler in-process per event, bundle sizes, the cold start of a
 * bundle, and reading results at the caps; track of a defined, running experiment against an
 * undefined one in the same rounds; then `abtest serve --workers 2` against a bare Node cluster
 * of 2 workers (test/bench/serve.ts: /track, and /participate + /convert). Prints a Markdown table.
 *
 * Environment: BENCH_SECONDS (per HTTP round, default 8), BENCH_ROUNDS (default 2).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startRedisServer } from '../../cli/dev/redis-server';
import { configToEnv, validateConfig, type Config } from '../../src/config';
import { changeState, draftDefinition } from '../../src/experiments/definition';
import { createRedis, RedisCounterStore } from '../../src/store';
import { startDevProcess } from '../helpers/cli';
import { fmt, median, waitFor, wrkLoad, type LoadResult } from './load';
import { serveRows } from './serve';
import { fillAtCaps, resultsRows, statsRow } from './results';

const root = path.join(__dirname, '..', '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 50;

const BARE_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  const body = '{"status":"ok","stored":1}';
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('ready'));
`;

/** GET /track with a new uuid per request, the server trees in `watch` measured meanwhile. */
const load = (base: string, watch: number[], experiment = 'bench'): Promise<LoadResult> =>
  wrkLoad(base, { path: `/track?experiment=${experiment}&variant=a&event=participate&uuid=u{n}` }, watch, {
    seconds,
    connections: CONNECTIONS,
  });

/** Defines `experiment` (variants a, b) and starts it, through the store the admin route uses. */
async function defineRunning(config: Config, experiment: string): Promise<void> {
  const client = createRedis(config);
  try {
    const store = new RedisCounterStore(client, config);
    const now = new Date().toISOString();
    const variants = [
      { label: 'a', weight: 1 },
      { label: 'b', weight: 1 },
    ];
    const draft = draftDefinition(
      config.namespace,
      experiment,
      { description: '', variants, sample: 1, fallback: 'a' },
      now,
      null,
    );
    await store.saveDefinition(draft, 0);
    await store.saveDefinition(changeState(draft, { state: 'running', restart: false }, now), draft.version);
  } finally {
    client.disconnect();
  }
}

/** The pid of the redis-server listening on `port`. */
const redisPid = (port: number): number =>
  Number(
    /process_id:(\d+)/.exec(
      execFileSync('redis-cli', ['-p', String(port), 'info', 'server'], { encoding: 'utf8' }),
    )![1],
  );

async function main() {
  const redis = await startRedisServer();
  const children: ChildProcess[] = [];
  try {
    // A generous store deadline: on a loaded box a slow read at the caps must not end the run with a 503.
    const config = validateConfig({ redis_url: redis.url, key_prefix: 'bench:', redis_command_timeout_ms: 5000 });
    const env = { ...process.env, ...configToEnv(config) };

    // 1. HTTP: abtest dev vs a bare Node server, interleaved rounds.
    const barePort = await freePort();
    const bare = spawn(process.execPath, ['-e', BARE_SERVER, String(barePort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(bare);
    await waitFor(bare, /ready/);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-bench-'));
    const devPort = await freePort();
    const dev = await startDevProcess(['--port', String(devPort), '--redis-url', redis.url], {
      cwd: home,
      env: { ...env, HOME: home },
    });
    children.push(dev.child);
    const bareRuns: LoadResult[] = [];
    const devRuns: LoadResult[] = [];
    const definedRuns: LoadResult[] = [];
    const devWatch = [dev.child.pid!, redisPid(redis.port)];
    await defineRunning(config, 'benchdef');
    await load(`http://127.0.0.1:${devPort}`, devWatch); // warm-up: JIT, script load, connections
    for (let r = 0; r < rounds; r++) {
      bareRuns.push(await load(`http://127.0.0.1:${barePort}`, [bare.pid!]));
      devRuns.push(await load(`http://127.0.0.1:${devPort}`, devWatch));
      definedRuns.push(await load(`http://127.0.0.1:${devPort}`, devWatch, 'benchdef'));
    }
    // 1b. abtest serve --workers 2 against a bare Node cluster of 2 workers, interleaved rounds.
    dev.child.kill('SIGINT');
    const serve = await serveRows({
      root,
      redisUrl: redis.url,
      redisPid: redisPid(redis.port),
      env,
      home,
      seconds,
      rounds,
      connections: CONNECTIONS,
    });
    for (const [a, b, c] of serve) console.error(`| ${a} | ${b} | ${c} |`); // kept even if a later step fails
    const definedRps = median(definedRuns.map((r) => r.rps));
    const bareRps = median(bareRuns.map((r) => r.rps));
    const devRps = median(devRuns.map((r) => r.rps));
    const bareCpu = median(bareRuns.map((r) => r.cpuUsPerRequest));
    const devCpu = median(devRuns.map((r) => r.cpuUsPerRequest));

    // 2. The handler in-process (the bundle deploy ships), one event at a time and 64 in flight.
    const perEvent = JSON.parse(
      execFileSync(process.execPath, ['-e', IN_PROCESS, path.join(root, 'dist', 'lambdas', 'track.js')], {
        env,
        encoding: 'utf8',
      }),
    ) as { sequentialUs: number; concurrentUs: number };

    // 3. Bundle sizes and 4. cold start of each bundle in a fresh process (median of 5).
    const bundles = fs
      .readdirSync(path.join(root, 'dist', 'lambdas'))
      .filter((f) => f.endsWith('.js'))
      .sort();
    const cold = bundles.map((file) => {
      const samples = Array.from({ length: 5 }, () =>
        JSON.parse(
          execFileSync(process.execPath, ['-e', COLD_START, path.join(root, 'dist', 'lambdas', file), file], {
            env,
            encoding: 'utf8',
          }),
        ),
      );
      return {
        file,
        bytes: fs.statSync(path.join(root, 'dist', 'lambdas', file)).size,
        requireMs: median(samples.map((s) => s.requireMs)),
        firstMs: median(samples.map((s) => s.firstMs)),
      };
    });

    // 5. Reading results at the default caps, and the statistics of one experiment.
    await fillAtCaps(config);
    const results = [...resultsRows(root, env), statsRow()];

    const ratio = devRps / bareRps;
    const rows: [string, string, string][] = [
      [
        `track req/s via abtest dev (wrk, GET /track, ${CONNECTIONS} conns, median of ${rounds}×${seconds}s)`,
        fmt(devRps),
        'absolute, this box',
      ],
      [`bare Node http server req/s (same run, same load)`, fmt(bareRps), 'absolute, this box'],
      ['**ratio abtest dev / bare Node (req/s)**', ratio.toFixed(2), `target ≥ 0.6 ${ratio >= 0.6 ? '✔' : '✖'}`],
      [
        'server CPU µs per request: abtest dev + redis-server / bare Node',
        `${devCpu.toFixed(1)} / ${bareCpu.toFixed(1)}`,
        'absolute, from /proc',
      ],
      [
        '**CPU per request, abtest dev / bare Node**',
        (devCpu / bareCpu).toFixed(2),
        `target ≤ 2 ${devCpu <= 2 * bareCpu ? '✔' : '✖'}`,
      ],
      [
        'abtest dev latency p50 / p99 (ms)',
        `${median(devRuns.map((r) => r.p50Ms)).toFixed(1)} / ${median(devRuns.map((r) => r.p99Ms)).toFixed(1)}`,
        'absolute',
      ],
      [
        `track req/s via abtest dev, a defined running experiment (same run, same load)`,
        fmt(definedRps),
        'absolute, this box',
      ],
      [
        '**ratio defined / undefined experiment (req/s)**',
        (definedRps / devRps).toFixed(2),
        `target ≥ 0.9 ${definedRps >= 0.9 * devRps ? '✔' : '✖'}`,
      ],
      [
        'errors or non-2xx during load',
        String([...devRuns, ...definedRuns, ...bareRuns].reduce((s, r) => s + r.errors, 0)),
        'must be 0',
      ],
      ...serve,
      [
        'track handler µs/event in-process, 64 in flight (bundle → local Redis)',
        perEvent.concurrentUs.toFixed(1),
        `target ≤ 30 ${perEvent.concurrentUs <= 30 ? '✔' : '✖'}`,
      ],
      [
        'track handler µs/event in-process, one at a time (includes a Redis round trip)',
        perEvent.sequentialUs.toFixed(1),
        'absolute',
      ],
      ...cold.flatMap((c): [string, string, string][] => [
        [
          `bundle ${c.file}`,
          `${(c.bytes / 1024).toFixed(1)} KB`,
          `target ≤ 150 KB ${c.bytes <= 150 * 1024 ? '✔' : '✖'}`,
        ],
        [
          `${c.file}: require + first event served (ms, fresh process, median of 5)`,
          `${c.firstMs.toFixed(1)} (require ${c.requireMs.toFixed(1)})`,
          `target ≤ 60 ms ${c.firstMs <= 60 ? '✔' : '✖'}`,
        ],
      ]),
      ...results,
    ];
    console.log(
      `\nabtest bench — ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`,
    );
    console.log('| measure | value | note |\n|---|---|---|');
    for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
  } finally {
    for (const c of children) c.kill('SIGINT');
    await redis.stop();
  }
}

/** Runs in a fresh process: the handler of a bundle, called directly with proxy events. */
const IN_PROCESS = `
const { handler } = require(process.argv[1]);
const ev = (i) => ({ httpMethod: 'GET', path: '/track', resource: '/track', headers: {}, body: null, isBase64Encoded: false,
  queryStringParameters: { experiment: 'inproc', variant: i % 2 ? 'a' : 'b', event: 'participate', uuid: 'u' + i } });
(async () => {
  for (let i = 0; i < 2000; i++) await handler(ev(i));
  const n = 20000;
  let t = process.hrtime.bigint();
  for (let i = 0; i < 5000; i++) await handler(ev(i));
  const sequentialUs = Number(process.hrtime.bigint() - t) / 1000 / 5000;
  t = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => { while (next < n) await handler(ev(next++)); }));
  const concurrentUs = Number(process.hrtime.bigint() - t) / 1000 / n;
  console.log(JSON.stringify({ sequentialUs, concurrentUs }));
  process.exit(0);
})();
`;

/** Runs in a fresh process: require a bundle, then serve its first event (Redis connect included). */
const COLD_START = `
const t0 = process.hrtime.bigint();
const mod = require(process.argv[1]);
const t1 = process.hrtime.bigint();
const name = process.argv[2];
const ev = name === 'track.js'
  ? { httpMethod: 'GET', path: '/track', headers: {}, body: null, queryStringParameters: { experiment: 'cold', variant: 'a', event: 'participate', uuid: 'c' } }
  : name === 'delete.js'
    ? { httpMethod: 'DELETE', path: '/delete', headers: {}, body: null, queryStringParameters: { experiment: 'no-such-experiment' } }
    : { httpMethod: 'GET', path: '/experiments', headers: {}, body: null, queryStringParameters: { scope: 'cold' } };
mod.handler(ev).then((r) => {
  const t2 = process.hrtime.bigint();
  if (r.statusCode >= 500) { console.error(r.body); process.exit(1); }
  console.log(JSON.stringify({ requireMs: Number(t1 - t0) / 1e6, firstMs: Number(t2 - t0) / 1e6 }));
  process.exit(0);
});
`;

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
