/**
 * Bench rows for reading results at the default caps: a namespace of 1000 experiments × 10
 * variants × 20 goals, filled straight into Redis with the store's key layout, then read through
 * the experiments bundle in a fresh process (listing, one page, one experiment's details with
 * stats), and the statistics of one 10 × 20 experiment computed alone.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import type { Config } from '../../src/config';
import type { ExperimentResults } from '../../src/results';
import { withStats } from '../../src/stats';
import { experimentKeys, namespaceKey, namespacesKey } from '../../src/store/keys';

export const CAPS = { experiments: 1000, variants: 10, goals: 20 };
export const NAMESPACE = 'benchcaps';

/** Fills the namespace at the caps: 20 participants per variant, 1–5 conversions per goal. */
export async function fillAtCaps(config: Config): Promise<void> {
  const redis = new Redis(config.redis_url!);
  const prefix = config.key_prefix;
  const variants = Array.from({ length: CAPS.variants }, (_, v) => `variant${v}`);
  const goals = Array.from({ length: CAPS.goals }, (_, g) => `goal${g}`);
  const uuids = Array.from({ length: 20 }, (_, u) => `u${u}`);
  for (let e = 0; e < CAPS.experiments; e++) {
    const name = `experiment ${e}`;
    const keys = experimentKeys(prefix, NAMESPACE, name);
    const p = redis.pipeline();
    p.hset(keys.meta, 'mode', config.counting)
      .sadd(keys.variants, ...variants)
      .sadd(keys.goals, ...goals);
    p.sadd(namespaceKey(prefix, NAMESPACE), name).sadd(namespacesKey(prefix), NAMESPACE);
    for (const v of variants) {
      p.pfadd(keys.counter('participate', v), ...uuids);
      for (const [g, goal] of goals.entries())
        p.pfadd(keys.counter(goal, v), ...uuids.slice(0, 1 + ((e + g + v.length) % 5)));
    }
    await p.exec();
  }
  redis.disconnect();
}

/** Runs in a fresh process: the experiments bundle answering each query, median ms of 5 and bytes. */
const READ = `
const { handler } = require(process.argv[1]);
const queries = JSON.parse(process.argv[2]);
(async () => {
  const out = [];
  for (const q of queries) {
    const times = [];
    let bytes = 0;
    for (let i = 0; i < 6; i++) {
      const t = process.hrtime.bigint();
      const r = await handler({ httpMethod: 'GET', path: '/experiments', headers: {}, body: null, queryStringParameters: q });
      if (r.statusCode !== 200) { console.error(r.body); process.exit(1); }
      if (i > 0) times.push(Number(process.hrtime.bigint() - t) / 1e6);
      bytes = Buffer.byteLength(r.body);
    }
    times.sort((a, b) => a - b);
    out.push({ ms: times[2], bytes });
  }
  console.log(JSON.stringify(out));
  process.exit(0);
})();
`;

type Row = [string, string, string];
const mark = (ok: boolean) => (ok ? '✔' : '✖');
const size = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

/** The rows: listing, one page, one experiment's details with stats, stats alone. */
export function resultsRows(root: string, env: NodeJS.ProcessEnv): Row[] {
  const one = `experiment 7`;
  const queries = [
    { namespace: NAMESPACE, summary: '1' },
    { namespace: NAMESPACE },
    { namespace: NAMESPACE, scope: one, stats: '1' },
    { namespace: NAMESPACE, scope: one },
  ];
  const bundle = path.join(root, 'dist', 'lambdas', 'experiments.js');
  const [list, page, details, raw] = JSON.parse(
    execFileSync(process.execPath, ['-e', READ, bundle, JSON.stringify(queries)], {
      env,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  ) as { ms: number; bytes: number }[];
  const shape = `${CAPS.experiments} × ${CAPS.variants} variants × ${CAPS.goals} goals`;
  return [
    [
      `listing at the caps (${shape}; summary=1, all names)`,
      `${list.ms.toFixed(1)} ms, ${size(list.bytes)}`,
      `target ≤ 300 ms ${mark(list.ms <= 300)}`,
    ],
    [
      `first page of full results (default limit) at the caps`,
      `${page.ms.toFixed(1)} ms, ${size(page.bytes)}`,
      `bytes ≤ 6 MB ${mark(page.bytes < 6 << 20)}`,
    ],
    [
      `one experiment's details with stats (scope=…&stats=1)`,
      `${details.ms.toFixed(1)} ms, ${size(details.bytes)}`,
      `target ≤ 50 ms ${mark(details.ms <= 50)}`,
    ],
    [`one experiment's details without stats`, `${raw.ms.toFixed(1)} ms, ${size(raw.bytes)}`, 'absolute'],
  ];
}

/** Median ms of the statistics of one 10 × 20 experiment (what ?stats=1 adds), in this process. */
export function statsRow(): Row {
  const e: ExperimentResults = {
    experiment: 'stats',
    counting: 'hll',
    standard_error: 1.04 / Math.sqrt(16384),
    variants: Array.from({ length: CAPS.variants }, (_, v) => ({ label: `v${v}`, participants: 100_000 + 211 * v })),
    goals: Array.from({ length: CAPS.goals }, (_, g) => ({
      goal: `g${g}`,
      results: Array.from({ length: CAPS.variants }, (_, v) => ({
        label: `v${v}`,
        successes: 1000 + 37 * v + 50 * g,
        trials: 100_000 + 211 * v,
      })),
    })),
  };
  for (let i = 0; i < 3; i++) withStats(e); // warm-up: the JIT, as in a container that served before
  const times = Array.from({ length: 7 }, () => {
    const t = performance.now();
    withStats(e);
    return performance.now() - t;
  }).sort((a, b) => a - b);
  const ms = times[3];
  return [
    `stats of one ${CAPS.variants} × ${CAPS.goals} experiment (median of 7, after 3 warm-up runs)`,
    `${ms.toFixed(1)} ms`,
    `target ≤ 20 ms ${mark(ms <= 20)}`,
  ];
}
