import { InputError } from '../errors';
import { bayesProbabilities, type Beta } from './bayes';
import { clean, count, countError, rateCountingVariance } from './counts';
import { chiSquareSurvival, clamp01, normalTwoSided, Z95 } from './math';
import { type SequentialResult, sequentialTest } from './sequential';

/**
 * Conversion statistics for the results endpoint and the dashboard: Wilson intervals,
 * differences and relative uplifts against a control, two-proportion z-tests, Bayesian
 * chances to beat the control and to be best, and the sample-ratio-mismatch check.
 *
 * Pure functions, no dependencies, browser-safe. Every function accepts any counts
 * (zero participants, zero conversions, more conversions than participants, which HyperLogLog
 * counting can report, a single variant) and answers with finite numbers: never NaN, never a
 * throw for data. Only a caller's mistake (an unknown control, bad weights) throws
 * {@link InputError}.
 *
 * Counting error: `standardError` σ is the relative standard error of a count, 0 when counts
 * are exact and 1.04/√m for a HyperLogLog of m registers (Redis: m = 16384, σ = 0.81%). Each
 * count n carries the relative error {@link countError}(n, σ) ≤ σ, independent between
 * counters (each event has its own uuid, so each counter hashes its own elements). A rate is
 * the ratio of two counts (conversions / participants), so it carries the relative variance
 * σ_s² + σ_n² on top of the binomial variance p(1−p)/n. Intervals, p-values, posteriors and
 * the sample-ratio check below add that variance; with σ = 0 they are the textbook ones.
 */

export { countError } from './counts';
export { betaCdf, chiSquareSurvival, lnGamma, normalTwoSided, Z95 } from './math';
export { bayesProbabilities, type Beta } from './bayes';
export {
  SEQUENTIAL_ALPHA,
  SEQUENTIAL_METHOD,
  SEQUENTIAL_OPTIMISED_FOR,
  type SequentialResult,
  sequentialTest,
  sequentialVerdict,
} from './sequential';
export { experimentStats, withStats, type ExperimentStats } from './experiment';

/** One variant's counts for one goal, as the experiments endpoint reports them. */
export interface VariantInput {
  label: string;
  successes: number;
  trials: number;
}

/** One variant's statistics for one goal. */
export interface VariantStats {
  label: string;
  /** The counts as given (NaN and negatives as 0); HLL may report successes > trials. */
  trials: number;
  successes: number;
  /** successes/trials, 0 when trials = 0, capped into [0, 1]. */
  rate: number;
  /** 95% Wilson score interval, widened for the counting error when standardError > 0. */
  interval: [number, number];
  /** rate − control rate, with a 95% Newcombe hybrid-score interval; null for the control. */
  diff: { value: number; interval: [number, number] } | null;
  /** rate / control rate − 1, with a 95% MOVER-R interval; null for the control or a control rate of 0. */
  uplift: { value: number; interval: [number, number] } | null;
  /** Two-sided p-value of the pooled two-proportion z-test against the control; null for the control. */
  pValue: number | null;
  /** Posterior probability that this variant's true rate exceeds the control's; null for the control. */
  probBeatControl: number | null;
  /** Posterior probability that this variant has the highest true rate of all. */
  probBest: number;
  /**
   * Against the control, valid however often it is looked at ({@link SEQUENTIAL_METHOD}): the
   * always-valid p-value of "rate = control rate" and the 95% confidence sequence for
   * rate − control rate; null for the control.
   */
  sequential: SequentialResult | null;
}

/** The statistics of one goal: every variant against the control. */
export interface GoalStats {
  control: string;
  variants: VariantStats[];
}

/** The outcome of a sample-ratio-mismatch check. */
export interface SrmResult {
  /** The χ² statistic (Pearson's when standardError = 0). */
  chiSquare: number;
  /** Degrees of freedom: variants − 1. */
  df: number;
  pValue: number;
  /** pValue < alpha: the split is not what the weights say; do not trust the results. */
  mismatch: boolean;
  /** Each variant's expected share of participants, from the weights. */
  expectedShares: number[];
}

/**
 * The 95% Wilson score interval of a proportion (Wilson 1927): the rates p with
 * |p̂ − p| ≤ z·√(p(1−p)/n). With `standardError` σ > 0 the variance gains the counting term
 * (σ_s² + σ_n²)p² and the same quadratic is solved, so σ = 0 gives Wilson's interval exactly.
 * Returns [0, 1] for trials = 0.
 * @param z the normal quantile. @default 1.959963984540054 (95%)
 * @param standardError relative standard error of each count. @default 0
 */
export function wilsonInterval(
  successes: number,
  trials: number,
  z: number = Z95,
  standardError = 0,
): [number, number] {
  const { s, n } = clean({ label: '', successes, trials });
  if (n === 0) return [0, 1];
  const p = s / n;
  const z2 = z * z;
  const k = rateCountingVariance(s, n, standardError);
  const a = 1 + z2 / n - z2 * k;
  if (a <= 0) return [0, 1];
  const b = 2 * p + z2 / n;
  const root = Math.sqrt(z2 * ((4 * p * (1 - p)) / n + z2 / (n * n) + 4 * k * p * p));
  return [clamp01((b - root) / (2 * a)), clamp01((b + root) / (2 * a))];
}

/**
 * The pooled two-proportion z-test of H0: both rates are equal. With standardError = 0 its
 * p-value equals R's `prop.test(x, n, correct = FALSE)`. With σ > 0 the null variance gains
 * the counting variance (σ_s² + σ_n²)p̄² of each rate, so that HyperLogLog noise alone does not make
 * equal rates look different. A test without information (no trials, pooled rate 0 or 1)
 * answers z = 0, p = 1.
 * @param standardError relative standard error of each count. @default 0
 */
export function twoProportionTest(a: VariantInput, b: VariantInput, standardError = 0): { z: number; pValue: number } {
  const x = clean(a);
  const y = clean(b);
  if (x.n === 0 || y.n === 0) return { z: 0, pValue: 1 };
  const pooled = (x.s + y.s) / (x.n + y.n);
  const counting = rateCountingVariance(x.s, x.n, standardError) + rateCountingVariance(y.s, y.n, standardError);
  const variance = pooled * (1 - pooled) * (1 / x.n + 1 / y.n) + counting * pooled * pooled;
  if (!(variance > 0)) return { z: 0, pValue: 1 };
  const z = (y.s / y.n - x.s / x.n) / Math.sqrt(variance);
  return { z, pValue: normalTwoSided(z) };
}

/**
 * The posterior Beta(1 + s, 1 + n − s) of a rate under a uniform Beta(1, 1) prior. With
 * standardError σ > 0 both counts are scaled down by the variance inflation
 * 1 + (σ_s² + σ_n²)·n·r/(1 − r) (r the posterior mean), so that the posterior's variance holds the
 * counting error as well as the binomial one.
 * @param standardError relative standard error of each count. @default 0
 */
export function posterior(successes: number, trials: number, standardError = 0): Beta {
  const { s, n } = clean({ label: '', successes, trials });
  const r = (s + 1) / (n + 2);
  const inflation = 1 + (rateCountingVariance(s, n, standardError) * n * r) / (1 - r);
  return { a: 1 + s / inflation, b: 1 + (n - s) / inflation };
}

/**
 * Statistics of one goal: each variant's rate and Wilson interval, and against the control
 * its difference (Newcombe 1998, method 10), relative uplift (MOVER-R, Donner & Zou 2012),
 * z-test p-value, the Bayesian chances to beat the control and to be best, and the
 * always-valid p-value and confidence sequence ({@link sequentialTest}).
 * @param opts.control the control's label. @default the first variant
 * @param opts.standardError relative standard error of each count (HLL: 1.04/√16384). @default 0
 * @throws InputError when `control` names no variant
 */
export function goalStats(results: VariantInput[], opts: { control?: string; standardError?: number } = {}): GoalStats {
  if (results.length === 0) return { control: opts.control ?? '', variants: [] };
  const sigma = count(opts.standardError ?? 0);
  const c = opts.control === undefined ? 0 : results.findIndex((r) => r.label === opts.control);
  if (c < 0)
    throw new InputError(
      'control',
      `control "${opts.control}" is not a variant (variants: ${results.map((r) => r.label).join(', ')})`,
    );
  const rows = results.map((r) => {
    const { s, n } = clean(r);
    const rate = n === 0 ? 0 : s / n;
    return { input: r, rate, interval: wilsonInterval(s, n, Z95, sigma) };
  });
  const { best, beatControl } = bayesProbabilities(
    results.map((r) => posterior(r.successes, r.trials, sigma)),
    c,
  );
  const ctl = rows[c];
  return {
    control: results[c].label,
    variants: rows.map((row, i) => ({
      label: row.input.label,
      trials: count(row.input.trials),
      successes: count(row.input.successes),
      rate: row.rate,
      interval: row.interval,
      diff: i === c ? null : difference(row, ctl),
      uplift: i === c ? null : uplift(row, ctl),
      pValue: i === c ? null : twoProportionTest(ctl.input, row.input, sigma).pValue,
      probBeatControl: beatControl[i],
      probBest: best[i],
      sequential: i === c ? null : sequentialTest(ctl.input, row.input, sigma),
    })),
  };
}

interface Estimate {
  rate: number;
  interval: [number, number];
}

/** Newcombe's hybrid score interval for p1 − p2 from each rate's (Wilson) interval. */
function difference(v: Estimate, c: Estimate): { value: number; interval: [number, number] } {
  const [l1, u1] = v.interval;
  const [l2, u2] = c.interval;
  const value = v.rate - c.rate;
  return {
    value,
    interval: [
      Math.max(-1, value - Math.hypot(v.rate - l1, u2 - c.rate)),
      Math.min(1, value + Math.hypot(u1 - v.rate, c.rate - l2)),
    ],
  };
}

/**
 * MOVER-R (Donner & Zou 2012): Fieller's interval for p1/p2 with the variances recovered from
 * each rate's interval; minus 1. As in Fagerland, Lydersen & Laake (2017), a lower limit the
 * formula leaves undefined becomes a ratio of 0, and no lower limit is below 0.
 */
function uplift(v: Estimate, c: Estimate): { value: number; interval: [number, number] } | null {
  const p1 = v.rate;
  const p2 = c.rate;
  if (p2 === 0) return null;
  const [l1, u1] = v.interval;
  const [l2, u2] = c.interval;
  const prod = p1 * p2;
  const low =
    (prod - Math.sqrt(Math.max(0, prod * prod - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2)))) / (u2 * (2 * p2 - u2));
  // l2 > 0 whenever p2 > 0, and l2 < p2, so this denominator is positive
  const high =
    (prod + Math.sqrt(Math.max(0, prod * prod - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2)))) / (l2 * (2 * p2 - l2));
  return { value: p1 / p2 - 1, interval: [(Number.isFinite(low) ? Math.max(0, low) : 0) - 1, high - 1] };
}

/**
 * Sample-ratio-mismatch check: is the observed split of participants consistent with the
 * expected one? A χ² test with variants − 1 degrees of freedom; flags a mismatch at
 * p < alpha.
 *
 * Each count is modelled as independent with variance e_i (Poisson, as in Pearson's test)
 * plus (σ_i·e_i)², where e_i is its expected count and σ_i = countError(e_i, σ) the
 * counter's own relative error; the total is fitted by weighted least squares. With σ = 0
 * this is exactly Pearson's χ² against the expected split; with HyperLogLog's σ a perfectly
 * randomised A/A test at 100k participants per arm raises no false alarms.
 * @param opts.weights each variant's weight (any positive scale). @default equal
 * @param opts.standardError relative standard error of each count. @default 0
 * @param opts.alpha the significance level of the verdict. @default 0.001
 * @throws InputError when weights are not one positive number per variant
 */
export function sampleRatioCheck(
  participants: number[],
  opts: { weights?: number[]; standardError?: number; alpha?: number } = {},
): SrmResult {
  const k = participants.length;
  const weights = opts.weights ?? participants.map(() => 1);
  if (weights.length !== k || weights.some((w) => !(Number.isFinite(w) && w > 0))) {
    throw new InputError(
      'weights',
      `weights must be ${k} positive numbers, one per variant; got [${weights.join(', ')}]`,
    );
  }
  const sum = weights.reduce((x, y) => x + y, 0);
  const shares = weights.map((w) => w / sum);
  const observed = participants.map(count);
  const total = observed.reduce((x, y) => x + y, 0);
  const df = Math.max(0, k - 1);
  if (k < 2 || total === 0) return { chiSquare: 0, df, pValue: 1, mismatch: false, expectedShares: shares };
  const sigma = count(opts.standardError ?? 0);
  const variance = shares.map((p) => p * total + (countError(p * total, sigma) * p * total) ** 2);
  const fitted =
    shares.reduce((acc, p, i) => acc + (p * observed[i]) / variance[i], 0) /
    shares.reduce((acc, p, i) => acc + (p * p) / variance[i], 0);
  const chiSquare = observed.reduce((acc, o, i) => acc + (o - shares[i] * fitted) ** 2 / variance[i], 0);
  const pValue = chiSquareSurvival(chiSquare, df);
  return { chiSquare, df, pValue, mismatch: pValue < (opts.alpha ?? 0.001), expectedShares: shares };
}
