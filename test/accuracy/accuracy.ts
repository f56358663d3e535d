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
 *    ./peeking.ts); then the same A/A in HLL mode through a real Redis (./peeking-hll.ts).
 *
 * Options (environment): ACCURACY_EXPERIMENTS (200), ACCURACY_VISITORS (200000 per experiment),
 * ACCURACY_WEIGHTED_VISITORS (40000 per weighted experiment), ACCURACY_PEEKING_DAYS (30 looks),
 * ACCURACY_PEEKING_DAILY (1000 visitors between looks) and ACCURACY_PEEKING_RATE (0.1, the
 * control's rate; B's is 10% higher in the A/B) for the peeking study,
 * ACCURACY_PEEKING_HLL_DAILY (3000) for its HLL part, ACCURACY_SEED (1), and ACCURACY_ONLY, a
 * comma-separated list of the studies to run (http, aa, weighted, peeking, peeking-hll; all
 * when unset): ACCURACY_ONLY=peeking takes about a second and needs no Redis.
 */
import { format, type SimulateResult } from '../../cli/commands/simulate';
import { prng } from '../../cli/simulate/prng';
import { countError, sampleRatioCheck, twoProportionTest, wilsonInterval, Z95 } from '../../src/stats';
import { HLL_STANDARD_ERROR, PARTICIPATE } from '../../src/store';
import { abtest, cleanEnv } from '../helpers/cli';
import { HllWriter, withHllRedis } from './hll-writer';
import { peekingStudy, share } from './peeking';
import { peekingHll } from './peeking-hll';
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
const STUDIES = ['http', 'aa', 'weighted', 'peeking', 'peeking-hll'];
const BATCH = 10_000;

const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;

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
  return withHllRedis(async ({ config, store, bulk }) => {
    const started = Date.now();
    const random = prng(SEED);
    const truths: Truth[] = [];
    const writer = new HllWriter(store, bulk, config.key_prefix, NAMESPACE, BATCH);
    for (let e = 0; e < EXPERIMENTS; e++) {
      const name = `aa${e}`;
      const truth: Truth = { participants: [0, 0], conversions: GOALS.map(() => [0, 0]) };
      for (let j = 0; j < VISITORS; j++) {
        const arm = random.next() < 0.5 ? 0 : 1;
        truth.participants[arm]++;
        if (writer.add(name, PARTICIPATE, ARMS[arm], `${e}:${j}:p`)) await writer.drain();
        for (let g = 0; g < GOALS.length; g++) {
          if (random.next() >= GOALS[g].rate) continue;
          truth.conversions[g][arm]++;
          if (writer.add(name, GOALS[g].goal, ARMS[arm], `${e}:${j}:${g}`)) await writer.drain();
        }
      }
      await writer.flush();
      truths.push(truth);
      if ((e + 1) % 20 === 0)
        process.stderr.write(
          `  A/A: ${e + 1}/${EXPERIMENTS} experiments written, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
        );
    }
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
  });
}

async function main() {
  const started = Date.now();
  const only = process.env.ACCURACY_ONLY?.split(',').map((s) => s.trim());
  const unknown = only?.filter((s) => !STUDIES.includes(s));
  if (unknown?.length)
    throw new Error(`ACCURACY_ONLY takes a list of ${STUDIES.join(', ')}; got "${unknown.join(', ')}"`);
  const runs = (study: string) => !only || only.includes(study);
  const studies: { rows: string[][]; ok: boolean }[] = [];
  if (runs('http')) studies.push(await exactOverHttp());
  if (runs('aa')) studies.push(await aaTests());
  const weightedVisitors = Number(process.env.ACCURACY_WEIGHTED_VISITORS ?? 40_000);
  if (runs('weighted')) studies.push(await weightedSrm(EXPERIMENTS, weightedVisitors, SEED));
  const days = Number(process.env.ACCURACY_PEEKING_DAYS ?? 30);
  if (runs('peeking')) {
    const dailyVisitors = Number(process.env.ACCURACY_PEEKING_DAILY ?? 1000);
    const baseRate = Number(process.env.ACCURACY_PEEKING_RATE ?? 0.1);
    studies.push(peekingStudy({ experiments: EXPERIMENTS, days, dailyVisitors, baseRate, uplift: 0.1, seed: SEED }));
  }
  if (runs('peeking-hll')) {
    const dailyVisitors = Number(process.env.ACCURACY_PEEKING_HLL_DAILY ?? 3000);
    studies.push(await peekingHll({ experiments: EXPERIMENTS, days, dailyVisitors, rate: 0.3, seed: SEED }));
  }
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
