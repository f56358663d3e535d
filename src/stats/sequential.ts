import { clean, rateCountingVariance } from './counts';
import type { GoalStats, VariantInput } from './index';

/**
 * Always-valid inference for the difference of two conversion rates: a p-value and a
 * confidence sequence that stay valid however often they are looked at, so that stopping the
 * first time the p-value is below 0.05 keeps the false-positive rate at or below 5%.
 *
 * Method: the mixture sequential probability ratio test (mSPRT; Robbins 1970; Johari, Koomen,
 * Pekelis & Walsh, "Always valid inference", Operations Research 70(3), 2022) for
 * θ = rate − control rate, with a normal mixture N(0, τ²) over θ. Its mixture likelihood ratio
 * for θ̂ ~ N(θ, V) against θ = θ0 is, with r = τ²/V and z = (θ̂ − θ0)/√V,
 *
 *   Λ = (1 + r)^(−1/2) · exp(r/(1 + r) · z²/2),
 *
 * a (asymptotic) martingale under θ = θ0, so by Ville's inequality P(Λ ever ≥ 1/α) ≤ α. The
 * always-valid p-value is min(1, 1/Λ) at θ0 = 0; the confidence sequence is every θ0 with
 * Λ < 1/α: θ̂ ± √(V·(1 + 1/r)·(2 ln(1/α) + ln(1 + r))). This is the two-sided normal-mixture
 * boundary of Howard, Ramdas, McAuliffe & Sekhon ("Time-uniform, nonparametric, nonasymptotic
 * confidence sequences", Annals of Statistics 49(2), 2021); with V estimated from the
 * data it is the asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy &
 * Ramdas ("Time-uniform central limit theory and asymptotic confidence sequences", Annals of
 * Statistics 52(6), 2024), which is what makes the plug-in variance valid.
 *
 * V = p̃_c(1 − p̃_c)/n_c + p̃_v(1 − p̃_v)/n_v + (σ_s² + σ_n²)·p̂² of each arm: the binomial
 * variance of the difference, with Agresti & Caffo's (2000) p̃ = (s + 1)/(n + 2) so that rates
 * of 0 or 1 do not claim certainty, plus the counting error of HyperLogLog counts as the
 * fixed-horizon figures add it (0 when counting is exact), which makes the interval wider and
 * the p-value larger.
 *
 * Tuning: τ² = r*·(p̃_c(1 − p̃_c) + p̃_v(1 − p̃_v))/n*, so that r = τ²/V = r* exactly when both
 * arms have n* participants (and counts are exact); r* = −W₋₁(−α²/e) − 1 ≈ 8.21 (the root of r = 2 ln(1/α) + ln(1 + r))
 * is the ratio at which the confidence sequence is narrowest (Howard et al. 2021;
 * Waudby-Smith et al. 2024's ρ² for t* = n*). n* = {@link SEQUENTIAL_OPTIMISED_FOR} per arm. There
 * the interval reaches 3.04 standard errors each side (a fixed-horizon one 1.96); from a fifth
 * of n* to 20 times n* it is within 11% of the best any tuning could give at that size.
 *
 * Each variant is compared with the control at α = 0.05 on its own (no correction for several
 * variants, as for the fixed-horizon p-values). The p-value reported is that of the counts now,
 * not the running minimum over past looks (the counts carry no history); both are valid.
 */

/** The level of the confidence sequence and of the verdict. */
export const SEQUENTIAL_ALPHA = 0.05;

/** Participants per arm at which the confidence sequence is narrowest (the mixture's tuning). */
export const SEQUENTIAL_OPTIMISED_FOR = 10_000;

const LOG_1_ALPHA = Math.log(1 / SEQUENTIAL_ALPHA);

/** r* = τ²/V minimising the width: the root of r = 2 ln(1/α) + ln(1 + r) (a contraction: slope ≤ 1/7). */
function bestRatio(): number {
  let r = 2 * LOG_1_ALPHA;
  for (let i = 0; i < 60; i++) r = 2 * LOG_1_ALPHA + Math.log1p(r);
  return r;
}

/** The mixing variance τ² in units of the per-visitor variance per participant: τ² = RATIO·(p̃_c(1−p̃_c) + p̃_v(1−p̃_v))/n*. */
const RATIO = bestRatio();

/** What the sequential figures are, for the README and the dashboard. */
export const SEQUENTIAL_METHOD = {
  name: 'mixture sequential probability ratio test (normal mixture)',
  short: 'always-valid p-value and 95% confidence sequence (mSPRT)',
  alpha: SEQUENTIAL_ALPHA,
  optimisedFor: SEQUENTIAL_OPTIMISED_FOR,
  mixingRatio: RATIO,
  tuning: `normal mixture with τ² = ${RATIO.toFixed(2)}·(p_c(1−p_c) + p_v(1−p_v))/${SEQUENTIAL_OPTIMISED_FOR.toLocaleString('en-US')}: narrowest at ${SEQUENTIAL_OPTIMISED_FOR.toLocaleString('en-US')} participants per arm`,
  references: [
    'Johari, Koomen, Pekelis & Walsh (2022), Always valid inference, Operations Research 70(3)',
    'Howard, Ramdas, McAuliffe & Sekhon (2021), Time-uniform, nonparametric, nonasymptotic confidence sequences, Annals of Statistics 49(2)',
    'Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas (2024), Time-uniform central limit theory and asymptotic confidence sequences, Annals of Statistics 52(6)',
  ],
} as const;

/** A variant's sequential figures against the control. */
export interface SequentialResult {
  /** Always-valid p-value of "rate = control rate": stopping the first time it is ≤ α errs with probability ≤ α. */
  pValue: number;
  /** 95% confidence sequence for rate − control rate: it holds the true difference at all times with probability ≥ 95%. */
  interval: [number, number];
}

/** p̃(1 − p̃) with p̃ = (s + 1)/(n + 2) (Agresti & Caffo 2000). */
const spread = (s: number, n: number): number => ((s + 1) / (n + 2)) * (1 - (s + 1) / (n + 2));

/**
 * The always-valid p-value and 95% confidence sequence of `variant`'s rate minus `control`'s
 * (see the module comment for the method). An arm without trials gives p = 1 and [−1, 1].
 * @param standardError relative standard error of each count (HLL: 1.04/√16384). @default 0
 */
export function sequentialTest(control: VariantInput, variant: VariantInput, standardError = 0): SequentialResult {
  const c = clean(control);
  const v = clean(variant);
  if (c.n === 0 || v.n === 0) return { pValue: 1, interval: [-1, 1] };
  const pc = c.s / c.n;
  const pv = v.s / v.n;
  const wc = spread(c.s, c.n);
  const wv = spread(v.s, v.n);
  const variance =
    wc / c.n +
    wv / v.n +
    rateCountingVariance(c.s, c.n, standardError) * pc * pc +
    rateCountingVariance(v.s, v.n, standardError) * pv * pv;
  const r = (RATIO * (wc + wv)) / SEQUENTIAL_OPTIMISED_FOR / variance;
  const diff = pv - pc;
  const logRatio = ((r / (1 + r)) * diff * diff) / (2 * variance) - Math.log1p(r) / 2;
  const half = Math.sqrt(variance * (1 + 1 / r) * (2 * LOG_1_ALPHA + Math.log1p(r)));
  return {
    pValue: Math.min(1, Math.exp(-logRatio)),
    interval: [Math.max(-1, diff - half), Math.min(1, diff + half)],
  };
}

/** "variant B", "variants B and C", "variants B, C and D". */
function names(labels: string[]): string {
  if (labels.length === 1) return `variant ${labels[0]}`;
  return `variants ${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
}

/**
 * The plain sentence for a goal from its sequential figures: "keep going" while no variant
 * differs from the control; else which are better or worse, e.g. "variant B is better (valid at
 * any time)", "variants B and C are better, variant D is worse (valid at any time); keep going
 * for variant E". Better means a higher conversion rate than the control: the 95% confidence
 * sequence of the difference lies above 0 (equivalently, the always-valid p-value is < 0.05).
 */
export function sequentialVerdict(goal: GoalStats): string {
  const better: string[] = [];
  const worse: string[] = [];
  const open: string[] = [];
  for (const v of goal.variants) {
    if (!v.sequential) continue;
    const [low, high] = v.sequential.interval;
    (low > 0 ? better : high < 0 ? worse : open).push(v.label);
  }
  if (better.length === 0 && worse.length === 0) return 'keep going';
  const verb = (labels: string[]) => (labels.length === 1 ? 'is' : 'are');
  const parts = [better, worse]
    .map((labels, i) => (labels.length ? `${names(labels)} ${verb(labels)} ${i === 0 ? 'better' : 'worse'}` : ''))
    .filter(Boolean);
  return `${parts.join(', ')} (valid at any time)${open.length ? `; keep going for ${names(open)}` : ''}`;
}
