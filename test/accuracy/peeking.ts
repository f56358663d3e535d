import { prng } from '../../cli/simulate/prng';
import { goalStats, SEQUENTIAL_ALPHA, sequentialVerdict, wilsonInterval } from '../../src/stats';

/**
 * The peeking study: what happens when someone looks at the results every day and stops at the
 * first significant one. `experiments` simulated experiments run for `days` days with
 * `dailyVisitors` visitors a day, each assigned to A or B by a fair coin and converting with
 * its arm's true rate (exact counts: a pure simulation with the seeded generator of
 * `abtest simulate`). After each day the cumulative counts go through `goalStats`, as
 * `?stats=1` and the dashboard compute them, and the experiment stops at the first day when
 * - fixed horizon: the z-test's p-value is < 0.05 (the classic mistake), or
 * - sequential: `sequentialVerdict` says anything but "keep going" (always-valid p < 0.05).
 * For comparison, each test is also looked at once, on the last day only.
 *
 * A/A (both arms at `baseRate`): how often does each call a difference that is not there?
 * Target for the sequential test: ≤ 5%. A/B (B at `baseRate`·(1 + `uplift`)): how often does
 * each find that B is better (power), and on which day?
 */

export interface PeekingOptions {
  experiments: number;
  days: number;
  /** Visitors a day, both arms together. */
  dailyVisitors: number;
  baseRate: number;
  /** B's relative uplift in the A/B scenario. */
  uplift: number;
  seed: number;
}

interface Outcome {
  /** Stopped on some day, in the direction given (A/B: B better), with its day; null when never. */
  fixedPeeking: number | null;
  sequentialPeeking: number | null;
  fixedOnce: boolean;
  sequentialOnce: boolean;
  /** Stops in the wrong direction (A/B: B worse). */
  wrong: { fixed: boolean; sequential: boolean };
}

function run(rateA: number, rateB: number, o: PeekingOptions, seed: number): Outcome[] {
  const random = prng(seed);
  const outcomes: Outcome[] = [];
  for (let e = 0; e < o.experiments; e++) {
    const n = [0, 0];
    const s = [0, 0];
    const out: Outcome = {
      fixedPeeking: null,
      sequentialPeeking: null,
      fixedOnce: false,
      sequentialOnce: false,
      wrong: { fixed: false, sequential: false },
    };
    for (let day = 1; day <= o.days; day++) {
      for (let j = 0; j < o.dailyVisitors; j++) {
        const arm = random.next() < 0.5 ? 0 : 1;
        n[arm]++;
        if (random.next() < (arm === 0 ? rateA : rateB)) s[arm]++;
      }
      const goal = goalStats([
        { label: 'A', successes: s[0], trials: n[0] },
        { label: 'B', successes: s[1], trials: n[1] },
      ]);
      const b = goal.variants[1];
      const up = b.rate > goal.variants[0].rate;
      const fixed = b.pValue! < SEQUENTIAL_ALPHA;
      const verdict = sequentialVerdict(goal);
      const sequential = verdict !== 'keep going';
      if (fixed && out.fixedPeeking === null && !out.wrong.fixed) {
        if (up || rateA === rateB) out.fixedPeeking = day;
        else out.wrong.fixed = true;
      }
      if (sequential && out.sequentialPeeking === null && !out.wrong.sequential) {
        if (b.sequential!.interval[0] > 0 || rateA === rateB) out.sequentialPeeking = day;
        else out.wrong.sequential = true;
      }
      if (day === o.days) {
        out.fixedOnce = fixed && (up || rateA === rateB);
        out.sequentialOnce = sequential && (b.sequential!.interval[0] > 0 || rateA === rateB);
      }
    }
    outcomes.push(out);
  }
  return outcomes;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A share with its 95% Wilson interval, e.g. "4.8% (3.4–6.7%) of 600". */
export function share(hits: number, n: number): string {
  const [lo, hi] = wilsonInterval(hits, n);
  return `${pct(hits / n)} (${pct(lo)}–${pct(hi)}) of ${n}`;
}

const median = (xs: number[]): string => {
  if (xs.length === 0) return '–';
  const sorted = [...xs].sort((a, b) => a - b);
  return String(sorted[Math.floor((sorted.length - 1) / 2)]);
};

/** Runs both scenarios; `rows` for the accuracy table, `ok` when the sequential A/A false-positive rate is ≤ 5%. */
export function peekingStudy(o: PeekingOptions): { rows: string[][]; ok: boolean; falsePositives: number } {
  const rateB = o.baseRate * (1 + o.uplift);
  const aa = run(o.baseRate, o.baseRate, o, o.seed);
  const ab = run(o.baseRate, rateB, o, o.seed + 1_000_003);
  const count = (xs: Outcome[], f: (x: Outcome) => boolean) => xs.filter(f).length;
  const k = o.experiments;
  const perArm = Math.round((o.days * o.dailyVisitors) / 2).toLocaleString('en-US');
  const setting = `${o.days} daily looks, ${o.dailyVisitors.toLocaleString('en-US')} visitors a day (≈${perArm} per arm at the end)`;
  const falsePositives = count(aa, (x) => x.sequentialPeeking !== null);
  const ok = falsePositives / k <= SEQUENTIAL_ALPHA;
  const days = (xs: Outcome[], key: 'fixedPeeking' | 'sequentialPeeking') =>
    `median day ${median(xs.map((x) => x[key]).filter((d): d is number => d !== null))}`;
  const rows = [
    [
      `peeking A/A at ${pct(o.baseRate)}, ${setting}: false positives of the fixed-horizon z-test, stopping at the first p < 0.05`,
      `${share(
        count(aa, (x) => x.fixedPeeking !== null),
        k,
      )}, ${days(aa, 'fixedPeeking')}`,
      'well above 5% (expected)',
    ],
    [
      '… same, sequential (always-valid p < 0.05), stopping at the first "valid at any time" verdict',
      `${share(falsePositives, k)}, ${days(aa, 'sequentialPeeking')}`,
      '≤ 5%',
    ],
    [
      `… looked at once, on day ${o.days}: fixed-horizon z-test / sequential`,
      `${pct(count(aa, (x) => x.fixedOnce) / k)} / ${pct(count(aa, (x) => x.sequentialOnce) / k)} of ${k}`,
      '(for comparison)',
    ],
    [
      `peeking A/B, ${pct(o.baseRate)} → ${pct(rateB)} (+${Math.round(o.uplift * 100)}% relative), same traffic: power of the fixed-horizon z-test with peeking (B found better)`,
      `${share(
        count(ab, (x) => x.fixedPeeking !== null),
        k,
      )}, ${days(ab, 'fixedPeeking')}; ${count(ab, (x) => x.wrong.fixed)} stopped with B worse`,
      '(not a valid test: see the A/A row)',
    ],
    [
      '… power of the sequential test with peeking',
      `${share(
        count(ab, (x) => x.sequentialPeeking !== null),
        k,
      )}, ${days(ab, 'sequentialPeeking')}; ${count(ab, (x) => x.wrong.sequential)} stopped with B worse`,
      '(for information)',
    ],
    [
      `… looked at once, on day ${o.days}: power of the fixed-horizon z-test / sequential`,
      `${pct(count(ab, (x) => x.fixedOnce) / k)} / ${pct(count(ab, (x) => x.sequentialOnce) / k)} of ${k}`,
      '(for comparison)',
    ],
  ];
  return { rows, ok, falsePositives };
}
