/**
 * Bench rows of `abtest serve --workers 2` against a bare Node server with 2 workers
 * (node:cluster) in the same run, interleaved: `/track`, and `/participate` + `/convert` when the
 * wiring has them (the Sixpack API), with the server side's CPU per request and Redis script
 * calls per request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../../cli/dev/redis-server';
import { startServeProcess } from '../helpers/cli';
import { fmt, median, waitFor, wrkLoad, type LoadResult, type LoadTarget } from './load';

type Row = [string, string, string];

const BARE_CLUSTER = `
const cluster = require('node:cluster');
const http = require('node:http');
if (cluster.isPrimary) {
  let up = 0;
  cluster.on('listening', () => ++up === 2 && console.log('ready'));
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  http.createServer((req, res) => {
    const body = '{"status":"ok","stored":1}';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  }).listen(Number(process.argv[1]), '127.0.0.1');
}
`;

/** What the serve rows need from the bench: Redis, the environment, and the load's shape. */
export interface ServeBench {
  root: string;
  redisUrl: string;
  redisPid: number;
  env: NodeJS.ProcessEnv;
  home: string;
  seconds: number;
  rounds: number;
  connections: number;
}

/** One route loaded through serve and through the bare cluster, round after round. */
interface Measured {
  name: string;
  serve: LoadResult[];
  bare: LoadResult[];
  /** Script calls (EVALSHA/EVAL) Redis ran per request through serve. */
  scriptsPerRequest: number;
}

const mark = (ok: boolean) => (ok ? '✔' : '✖');

/** EVALSHA + EVAL calls Redis counted so far. */
async function scriptCalls(redis: Redis): Promise<number> {
  const stats = String(await redis.info('commandstats'));
  return [...stats.matchAll(/cmdstat_(evalsha|eval|evalsha_ro|eval_ro|fcall):calls=(\d+)/g)].reduce(
    (sum, m) => sum + Number(m[2]),
    0,
  );
}

export async function serveRows(b: ServeBench): Promise<Row[]> {
  const children: ChildProcess[] = [];
  const admin = new Redis(b.redisUrl);
  try {
    const barePort = await freePort();
    const bare = spawn(process.execPath, ['-e', BARE_CLUSTER, String(barePort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(bare);
    await waitFor(bare, /ready/);
    const key = 'bench-key-0123456789abcdef';
    const serve = await startServeProcess(['--port', '0', '--workers', '2'], {
      cwd: b.home,
      env: { ...b.env, HOME: b.home, ABTEST_API_KEY: key },
    });
    children.push(serve.child);
    const watch = [serve.child.pid!, b.redisPid];
    const load = (base: string, target: LoadTarget, pids: number[]) =>
      wrkLoad(base, target, pids, { seconds: b.seconds, connections: b.connections });

    const routes: { name: string; target: LoadTarget }[] = [
      { name: 'GET /track', target: { path: '/track?experiment=bench2&variant=a&event=participate&uuid=s{n}' } },
    ];
    const wiring = JSON.parse(fs.readFileSync(path.join(b.root, 'wiring.json'), 'utf8')) as {
      routes: { path: string }[];
    };
    const sixpack = ['/participate', '/convert'].every((p) => wiring.routes.some((r) => r.path === p));
    if (sixpack) {
      const participants = 20_000;
      routes.push(
        {
          name: 'GET /participate',
          target: { path: '/participate?experiment=bench-sp&alternatives=a&alternatives=b&client_id=c{n}' },
        },
        // The clients of the participate rounds convert, again and again (a repeat answers 200 too).
        { name: 'GET /convert', target: { path: '/convert?experiment=bench-sp&client_id=c{n}', cycle: participants } },
      );
      // Every client id that convert will name participates first.
      await load(serve.base, { path: routes[1].target.path, cycle: participants }, watch);
    }
    const measured: Measured[] = [];
    for (const { name, target } of routes) {
      await load(serve.base, target, watch); // warm-up: JIT, scripts, connections
      const m: Measured = { name, serve: [], bare: [], scriptsPerRequest: 0 };
      let scripts = 0;
      for (let r = 0; r < b.rounds; r++) {
        m.bare.push(await load(`http://127.0.0.1:${barePort}`, target, [bare.pid!]));
        const before = await scriptCalls(admin);
        m.serve.push(await load(serve.base, target, watch));
        scripts += (await scriptCalls(admin)) - before;
      }
      m.scriptsPerRequest = scripts / m.serve.reduce((s, r) => s + r.requests, 0);
      measured.push(m);
    }
    return measured.flatMap(rowsOf);
  } finally {
    admin.disconnect();
    for (const c of children) c.kill('SIGTERM');
  }
}

function rowsOf(m: Measured): Row[] {
  const rps = median(m.serve.map((r) => r.rps));
  const bareRps = median(m.bare.map((r) => r.rps));
  const cpu = median(m.serve.map((r) => r.cpuUsPerRequest));
  const bareCpu = median(m.bare.map((r) => r.cpuUsPerRequest));
  const track = m.name === 'GET /track';
  const target = track ? 0.6 : 0.5;
  const ratio = rps / bareRps;
  const rows: Row[] = [
    [
      `${m.name} req/s via abtest serve --workers 2 / bare Node cluster, 2 workers`,
      `${fmt(rps)} / ${fmt(bareRps)}`,
      'absolute, this box',
    ],
    [
      `**ratio serve / bare cluster, ${m.name} (req/s)**`,
      ratio.toFixed(2),
      `target ≥ ${target} ${mark(ratio >= target)}`,
    ],
    [
      `server CPU µs per request, ${m.name}: serve + redis-server / bare cluster`,
      `${cpu.toFixed(1)} / ${bareCpu.toFixed(1)}`,
      'absolute, from /proc',
    ],
  ];
  if (track)
    rows.push([
      `**CPU per request, serve / bare cluster, ${m.name}**`,
      (cpu / bareCpu).toFixed(2),
      `target ≤ 2 ${mark(cpu <= 2 * bareCpu)}`,
    ]);
  rows.push(
    [
      `serve latency p50 / p99 (ms), ${m.name}`,
      `${median(m.serve.map((r) => r.p50Ms)).toFixed(1)} / ${median(m.serve.map((r) => r.p99Ms)).toFixed(1)}`,
      'absolute',
    ],
    [
      `Redis script calls per request, ${m.name}`,
      m.scriptsPerRequest.toFixed(2),
      m.name === 'GET /participate'
        ? `target 1 ${mark(Math.abs(m.scriptsPerRequest - 1) < 0.01)}`
        : 'one round trip each',
    ],
    [
      `errors or non-2xx during load, ${m.name}`,
      String([...m.serve, ...m.bare].reduce((s, r) => s + r.errors, 0)),
      'must be 0',
    ],
  );
  return rows;
}
