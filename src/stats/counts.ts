import type { VariantInput } from './index';

/**
 * Counts as the statistics take them: made safe, and with their counting error. Shared by the
 * fixed-horizon figures (./index) and the sequential ones (./sequential).
 */

/**
 * The relative standard error of a HyperLogLog count n whose asymptotic error is σ = 1.04/√m
 * (Flajolet et al. 2007): σ, or less for small counts, where a HyperLogLog estimates like
 * linear counting, with variance m(e^t − t − 1), t = n/m (Whang et al. 1990); e.g. 0.56% for
 * 2,000 and 0.62% for 10,000 against 0.81% from 32,000 on, for Redis's 16384 registers.
 * Returns 0 when σ = 0 (exact counting) or n = 0.
 */
export function countError(n: number, standardError: number): number {
  if (!(standardError > 0) || !(n > 0)) return 0;
  const m = (1.04 / standardError) ** 2;
  const t = n / m;
  return Math.min(standardError, Math.sqrt(m * (Math.expm1(t) - t)) / n);
}

/** Relative variance of a rate s/n from the counting error of both counts. */
export const rateCountingVariance = (s: number, n: number, standardError: number): number =>
  countError(s, standardError) ** 2 + countError(n, standardError) ** 2;

/** A count as a finite number ≥ 0 (NaN, negative and infinite become 0). */
export const count = (x: number): number => (Number.isFinite(x) && x > 0 ? x : 0);

/** Counts made safe: trials ≥ 0, 0 ≤ successes ≤ trials. */
export function clean(v: VariantInput): { s: number; n: number } {
  const n = count(v.trials);
  return { s: Math.min(count(v.successes), n), n };
}
