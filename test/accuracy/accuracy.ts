/**
 * `npm run accuracy`: does abtest tell the truth? Not a timed test; prints a table (Markdown,
 * for the README) and exits 1 when an acceptance figure is out of bounds.
 *
 * 1. Exact mode over HTTP: the built `abtest simulate` against an `abtest dev` it starts: every counter
 *    must equal the distinct visitors sent (and, for information, the same run in HLL mode).
 * 2. A/A tests in HLL mode at the store level, against a private redis-server: 200
 *    experiments, 200k visitors each split by a fair coin (≈100k per arm), three goals with
 *    true rates 2%, 10% and 30% in both arms. The first element of every counter goes through
 *    RedisCounterStore.track (so the experiment exists as the store makes it), the rest
 *    through PFADD with 10,000 elements per call on the store's own keys; results come from
 *    RedisCounterStore.results. Then: SRM false alarms (p < 0.001) and z-test false positives
 *    (p < 0.05) with and without the counting-error correction, interval coverage, and the
 *    measured HLL error.
 *
 * 3. The sample-ratio check against declared weights: an A/A of 200 experiments defined 2:1:1
 *    (see ./weighted.ts).
 *
 * 4. The peeking study: 200 A/A and 200 A/B experiments looked at every simulated day for 30
 *    days, stopping at the first significant result, fixed-horizon against sequential (see
 *    ./peeking.ts).
 *
 * Options (environment): ACCURACY_EXPERIMENTS (200), ACCURACY_VISITORS (200000 per experiment),
 * ACCURACY_WEIGHTED_VISITORS (40000 per weighted experiment), ACCURACY_PEEKING_DAYS (30 looks)
 * and ACCURACY_PEEKING_DAILY (1000 visitors between looks) for the peeking study,
 * ACCURACY_SEED (1), ACCURACY_ONLY=peeking (only the peeking study: about a second, no Redis).
 */
import Redis from 'ioredis';
import { format, type SimulateResult } from '../../cli/commands/simulate';
import { prng } from '../../cli/simulate/prng';
import { countError, sampleRatioCheck, twoProportionTest, wilsonInterval, Z95 } from '../../src/stats';
import { createRedis, HLL_STANDARD_ERROR, PARTICIPATE, RedisCounterStore, type TrackEvent } from '../../src/store';
import { experimentKeys } from '../../src/store/keys';
import { abtest, cleanEnv } from '../helpers/cli';
import { startTestRedis, testConfig } from '../helpers/redis';
import { peekingStudy } from './peeking';
import { weightedSrm } from './weighted';

const EXPERIMENTS = Number(process.env.ACCURACY_EXPERIMENTS ?? 200);
const VISITORS = Number(process.env.ACCURACY_VISITORS ?? 200_000);
const SEED = Number(process.env.ACCURACY_SEED ?? 1);
const GOALS = [
  { goal: 'g02', rate: 0.02 },
  { goal: 'g10', rate: 0.1 },
  { goal: 'g30', rate: 0.3 },
];
const ARMS = ['a', 'b'];
const NAMESPACE = 'accuracy';
const BATCH = 10_000;

const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;

/** A share with its 95% Wilson interval, e.g. "4.8% (3.4–6.7%) of 600". */
function share(hits: number, n: number): string {
  const [lo, hi] = wilsonInterval(hits, n);
  return `${pct(hits / n)} (${pct(lo)}–${pct(hi)}) of ${n}`;
}

const sd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/** Runs the built `abtest simulate --json` (each run starts its own abtest dev and private Redis). */
async function simulate(args: string[]): Promise<SimulateResult> {
  const r = await abtest(['simulate', '--json', ...args], { env: cleanEnv({}, { keepAws: true }) }, 30 * 60_000);
  if (r.code !== 0 && !r.stdout.startsWith('{')) throw new Error(`abtest simulate failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function exactOverHttp(): Promise<{ rows: string[][]; ok: boolean }> {
  const rows: string[][] = [];
  let ok = true;
  for (const counting of ['exact', 'hll'] as const) {
    const started = Date.now();
    const r = await simulate([
      '--counting',
      counting,
      '--visitors',
      '10000',
      '--seed',
      String(SEED),
      '--namespace',
      `accuracy-${counting}`,
    ]);
    console.log(`${format(r, {}).join('\n')}\n`);
    const counters = r.experiments.flatMap((e) =>
      e.variants.flatMap((v) => [
        [v.participants, v.sentParticipants],
        [v.conversions, v.sentConversions],
      ]),
    );
    const good = counters.filter(([c, s]) =>
      counting === 'exact' ? c === s : Math.abs(c - s) <= 5 * HLL_STANDARD_ERROR * s + 1,
    ).length;
    const worst = Math.max(...counters.map(([c, s]) => Math.abs(c / s - 1)));
    if (counting === 'exact' && (good !== counters.length || r.problems.length > 0)) ok = false;
    rows.push([
      `simulate over HTTP, ${counting}: counters ${counting === 'exact' ? 'equal to' : 'within 5σ of'} the distinct visitors sent`,
      `${good} of ${counters.length}, largest error ${pct(worst, 2)} (${r.visitors.toLocaleString('en-US')} visitors, ${r.requests.sent.toLocaleString('en-US')} requests: ${r.requests.duplicates} duplicates, ${r.requests.lostAndRetried} cut off and resent; ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      counting === 'exact' ? 'all equal' : '(for information)',
    ]);
  }
  return { rows, ok };
}

interface Truth {
  participants: number[];
  conversions: number[][]; // [goal][arm]
}

async function aaTests(): Promise<{ rows: string[][]; ok: boolean; seconds: number }> {
  const server = await startTestRedis();
  const config = testConfig(server.url, {
    counting: 'hll',
    redis_command_timeout_ms: 10_000,
    max_experiments_per_namespace: 0,
  });
  const client = createRedis(config);
  const store = new RedisCounterStore(client, config);
  const bulk = new Redis(server.url);
  const started = Date.now();
  try {
    const random = prng(SEED);
    const truths: Truth[] = [];
    const pending = new Set<Promise<unknown>>();
    const pfadd = async (key: string, elements: string[]) => {
      const p = bulk.pfadd(key, ...elements);
      pending.add(p);
      p.finally(() => pending.delete(p));
      if (pending.size >= 8) await Promise.race(pending);
    };
    for (let e = 0; e < EXPERIMENTS; e++) {
      const name = `aa${e}`;
      const keys = experimentKeys(config.key_prefix, NAMESPACE, name);
      const truth: Truth = { participants: [0, 0], conversions: GOALS.map(() => [0, 0]) };
      // counters: participate per arm, then each goal per arm
      const buffers = new Map<string, { event: string; arm: number; elements: string[]; first: boolean }>();
      const buffer = (event: string, arm: number) => {
        const id = `${event}|${arm}`;
        let b = buffers.get(id);
        if (!b) buffers.set(id, (b = { event, arm, elements: [], first: true }));
        return b;
      };
      const flush = async (b: { event: string; arm: number; elements: string[]; first: boolean }) => {
        if (b.elements.length === 0) return;
        if (b.first) {
          // the first element through the store's own write path, which creates the experiment
          const event: TrackEvent = {
            namespace: NAMESPACE,
            experiment: name,
            variant: ARMS[b.arm],
            event: b.event,
            uuid: b.elements.shift()!,
          };
          const outcome = await store.track([event]);
          if (outcome.rejected.length) throw new Error(outcome.rejected[0].message);
          b.first = false;
        }
        if (b.elements.length) await pfadd(keys.counter(b.event, ARMS[b.arm]), b.elements);
        b.elements = [];
      };
      for (let j = 0; j < VISITORS; j++) {
        const arm = random.next() < 0.5 ? 0 : 1;
        truth.participants[arm]++;
        const p = buffer(PARTICIPATE, arm);
        p.elements.push(`${e}:${j}:p`);
        if (p.elements.length >= BATCH) await flush(p);
        for (let g = 0; g < GOALS.length; g++) {
          if (random.next() >= GOALS[g].rate) continue;
          truth.conversions[g][arm]++;
          const b = buffer(GOALS[g].goal, arm);
          b.elements.push(`${e}:${j}:${g}`);
          if (b.elements.length >= BATCH) await flush(b);
        }
      }
      for (const b of buffers.values()) await flush(b);
      truths.push(truth);
      if ((e + 1) % 20 === 0)
        process.stderr.write(
          `  A/A: ${e + 1}/${EXPERIMENTS} experiments written, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
        );
    }
    await Promise.all(pending);
    const counts = await store.results(
      NAMESPACE,
      truths.map((_, e) => `aa${e}`),
    );
    const seconds = (Date.now() - started) / 1000;

    const srm = { corrected: 0, uncorrected: 0, exact: 0 };
    const z = GOALS.map(() => ({ corrected: 0, uncorrected: 0, exact: 0 }));
    const coverage = GOALS.map(() => ({ corrected: 0, uncorrected: 0 }));
    const participantErrors: number[] = [];
    const goalErrors = GOALS.map(() => [] as number[]);
    counts.forEach((c, e) => {
      const t = truths[e];
      const participants = ARMS.map((arm) => c.variants.find((v) => v.label === arm)!.participants);
      participants.forEach((p, i) => participantErrors.push(p / t.participants[i] - 1));
      if (sampleRatioCheck(participants, { standardError: HLL_STANDARD_ERROR }).mismatch) srm.corrected++;
      if (sampleRatioCheck(participants).mismatch) srm.uncorrected++;
      if (sampleRatioCheck(t.participants).mismatch) srm.exact++;
      GOALS.forEach(({ goal, rate }, g) => {
        const results = c.goals.find((x) => x.goal === goal)!.results;
        const [a, b] = ARMS.map((arm) => results.find((r) => r.label === arm)!);
        [a, b].forEach((r, i) => {
          goalErrors[g].push(r.successes / t.conversions[g][i] - 1);
          const [lo, hi] = wilsonInterval(r.successes, r.trials, Z95, HLL_STANDARD_ERROR);
          if (lo <= rate && rate <= hi) coverage[g].corrected++;
          const [lo0, hi0] = wilsonInterval(r.successes, r.trials);
          if (lo0 <= rate && rate <= hi0) coverage[g].uncorrected++;
        });
        if (twoProportionTest(a, b, HLL_STANDARD_ERROR).pValue < 0.05) z[g].corrected++;
        if (twoProportionTest(a, b).pValue < 0.05) z[g].uncorrected++;
        const exact = (i: number) => ({ label: ARMS[i], successes: t.conversions[g][i], trials: t.participants[i] });
        if (twoProportionTest(exact(0), exact(1)).pValue < 0.05) z[g].exact++;
      });
    });

    const n = counts.length;
    const elements = truths.reduce(
      (acc, t) => acc + t.participants[0] + t.participants[1] + t.conversions.flat().reduce((a, b) => a + b, 0),
      0,
    );
    const tests = n * GOALS.length;
    const sum = (k: 'corrected' | 'uncorrected' | 'exact') => z.reduce((acc, x) => acc + x[k], 0);
    const zCorrected = sum('corrected') / tests;
    const ok = counts.length === EXPERIMENTS && srm.corrected / n <= 0.01 && zCorrected >= 0.03 && zCorrected <= 0.07;
    const perArm = Math.round(VISITORS / 2).toLocaleString('en-US');
    const rows: string[][] = [
      [
        `A/A HLL, ${n} experiments × ~${perArm} per arm: SRM false alarms (p < 0.001), HLL-aware`,
        share(srm.corrected, n),
        '≤ 1%',
      ],
      ['… same, Pearson χ² ignoring the counting error', share(srm.uncorrected, n), '(for comparison)'],
      ['… same, on the true (exact) counts', share(srm.exact, n), '(for comparison)'],
      [
        `A/A HLL: z-test false positives (p < 0.05), HLL-aware, all ${GOALS.length} goals`,
        share(sum('corrected'), tests),
        '3–7%',
      ],
      ...GOALS.map(({ rate }, g) => [`… goal at ${pct(rate, 0)}`, share(z[g].corrected, n), '']),
      ['… same, plain z-test ignoring the counting error', share(sum('uncorrected'), tests), '(for comparison)'],
      ...GOALS.map(({ rate }, g) => [`… goal at ${pct(rate, 0)}`, share(z[g].uncorrected, n), '']),
      ['… same, plain z-test on the true (exact) counts', share(sum('exact'), tests), '(for comparison)'],
      ...GOALS.map(({ rate }, g) => [
        `95% interval covers the true rate ${pct(rate, 0)}: HLL-aware / plain Wilson`,
        `${pct(coverage[g].corrected / (2 * n))} / ${pct(coverage[g].uncorrected / (2 * n))} of ${2 * n}`,
        '≈ 95%',
      ]),
      [
        `measured HLL error, participants (~${perArm})`,
        `sd ${pct(sd(participantErrors), 3)}`,
        `model ${pct(countError(VISITORS / 2, HLL_STANDARD_ERROR), 3)}`,
      ],
      ...GOALS.map(({ rate }, g) => {
        const n = Math.round((VISITORS / 2) * rate);
        return [
          `measured HLL error, conversions (~${n.toLocaleString('en-US')})`,
          `sd ${pct(sd(goalErrors[g]), 3)}`,
          `model ${pct(countError(n, HLL_STANDARD_ERROR), 3)}`,
        ];
      }),
      [
        `A/A run time (${(elements / 1e6).toFixed(1)}M PFADD elements, ${BATCH.toLocaleString('en-US')} per call, and the reads)`,
        `${seconds.toFixed(0)} s`,
        '',
      ],
    ];
    return { rows, ok, seconds };
  } finally {
    bulk.disconnect();
    client.disconnect();
    await server.stop();
  }
}

async function main() {
  const started = Date.now();
  const only = process.env.ACCURACY_ONLY;
  if (only !== undefined && only !== 'peeking')
    throw new Error(`ACCURACY_ONLY must be "peeking" (or unset); got "${only}"`);
  const studies: { rows: string[][]; ok: boolean }[] = [];
  if (only === undefined) {
    studies.push(await exactOverHttp(), await aaTests());
    studies.push(await weightedSrm(EXPERIMENTS, Number(process.env.ACCURACY_WEIGHTED_VISITORS ?? 40_000), SEED));
  }
  const dailyVisitors = Number(process.env.ACCURACY_PEEKING_DAILY ?? 1000);
  const days = Number(process.env.ACCURACY_PEEKING_DAYS ?? 30);
  studies.push(peekingStudy({ experiments: EXPERIMENTS, days, dailyVisitors, baseRate: 0.1, uplift: 0.1, seed: SEED }));
  const rows = studies.flatMap((s) => s.rows);
  console.log('| check | result | target |');
  console.log('|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  const ok = studies.every((s) => s.ok);
  console.log(
    `\naccuracy: ${ok ? 'all acceptance figures hold' : 'SOME ACCEPTANCE FIGURE FAILED'} (seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(0)} s in all)`,
  );
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
