import { AbtestError } from '../errors';
import type { ExperimentResults, ResultsMeta } from '../results';
import { expectedSplit } from '../experiments/results';
import { experimentStats, type GoalStats, type SrmResult } from '../stats';

/**
 * What the dashboard shows, computed from the experiments endpoint's answer: pure functions,
 * no DOM, so that they are tested in Node.
 */

/** Splits the answer `[{meta}, ...experiments]`; throws on anything else. */
export function parseResults(body: unknown): { meta: ResultsMeta; experiments: ExperimentResults[] } {
  if (!Array.isArray(body) || typeof body[0] !== 'object' || body[0] === null || !('meta' in body[0])) {
    const message = 'the endpoint did not answer with [{"meta":...}, ...experiments]; is the URL an abtest API?';
    throw new AbtestError('answer', message);
  }
  return { meta: body[0].meta as ResultsMeta, experiments: body.slice(1) as ExperimentResults[] };
}

/**
 * Experiments per page of the dashboard: at most what `/experiments` answers with a series
 * (`PAGE_LIMITS.series` of src/results-route.ts, not imported: the page must not bundle the server).
 */
export const DASHBOARD_PAGE = 10;

/** One experiment ready to draw. */
export interface ExperimentView {
  name: string;
  counting: 'hll' | 'exact';
  standardError: number;
  control: string;
  variants: { label: string; participants: number; share: number; counting_error: number }[];
  totalParticipants: number;
  /** The sample-ratio check of participants (against `expected`); null with fewer than two variants or no participants. */
  srm: SrmResult | null;
  /** What the check expects: the declared weights of the phase, or an equal split (undefined experiment). */
  expected: 'declared weights' | 'equal split (undefined experiment)';
  goals: { goal: string; stats: GoalStats }[];
}

/**
 * The view of one experiment with `control` as the baseline (the first variant when absent or
 * unknown). Goal results list every variant in the experiment's order; a variant a goal has
 * not reached yet counts 0 conversions.
 */
export function experimentView(e: ExperimentResults, control?: string): ExperimentView {
  // A defined experiment: the declared control, and the declared weights of the phase for the sample-ratio check.
  const { weights, expected } = expectedSplit(e);
  const s = experimentStats(e, { control: control ?? e.definition?.variants[0]?.label, weights });
  return {
    name: e.experiment,
    counting: e.counting,
    standardError: e.standard_error ?? 0,
    control: s.control,
    variants: s.variants,
    totalParticipants: s.totalParticipants,
    srm: s.variants.length >= 2 && s.totalParticipants > 0 ? s.srm : null,
    expected,
    goals: s.goals.map(({ goal, control: c, variants }) => ({ goal, stats: { control: c, variants } })),
  };
}

/** A share as a percentage: `0.1234` → `12.3%`. */
export function percent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** A signed relative change: `0.052` → `+5.2%`, `-0.1` → `−10.0%`. */
export function signedPercent(x: number, digits = 1): string {
  const text = percent(Math.abs(x), digits);
  return x > 0 ? `+${text}` : x < 0 ? `\u2212${text}` : text;
}

/** A p-value for people: three decimals, `< 0.001` below that. */
export function formatP(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** A probability as a whole percentage that never rounds to certainty: `> 99%`, `< 1%`. */
export function chance(p: number): string {
  return p > 0.99 ? '> 99%' : p < 0.01 ? '< 1%' : percent(p, 0);
}

/** A count with thousands separators; HyperLogLog counts are estimates and say so with `≈`. */
export function formatCount(n: number, counting: 'hll' | 'exact'): string {
  const text = Math.round(n).toLocaleString('en-US');
  return counting === 'hll' && n > 0 ? `\u2248${text}` : text;
}

/**
 * The verdict on a variant against the control for one goal: better or worse when the
 * p-value is under `alpha`, else not (yet) different.
 * @param alpha significance level. @default 0.05
 */
export function verdict(
  pValue: number | null,
  diff: number | null,
  alpha = 0.05,
): 'better' | 'worse' | 'unclear' | 'control' {
  if (pValue === null || diff === null) return 'control';
  if (pValue >= alpha || diff === 0) return 'unclear';
  return diff > 0 ? 'better' : 'worse';
}

/** The API base URL typed or configured: one normaliser for the dashboard and the CLI. */
export { apiBase } from '../api-url';

/** Which statistics the page shows: always-valid (sequential) ones, or the fixed-horizon ones. */
export type StatsMode = 'sequential' | 'fixed';

/**
 * The statistics shown: the one the user picked, else the always-valid ones while the page
 * auto-refreshes (checking often is what they allow) and the fixed-horizon ones when it does
 * not. Switching auto-refresh forgets the pick (see app.ts), so turning it on always shows the
 * always-valid numbers first.
 */
export function statsMode(autoRefresh: boolean, picked: StatsMode | null): StatsMode {
  return picked ?? (autoRefresh ? 'sequential' : 'fixed');
}

/** A difference of rates in percentage points, signed: `0.0123` → `+1.23 pp`. */
export function signedPoints(x: number, digits = 2): string {
  const text = `${(Math.abs(x) * 100).toFixed(digits)} pp`;
  return x > 0 ? `+${text}` : x < 0 ? `\u2212${text}` : text;
}

/**
 * The name of an experiment's CSV download: `<namespace>-<experiment>-phase<N>.csv`, with
 * white space and the characters file systems refuse (`/ \ : * ? " < > |`) as `_`.
 */
export function csvFilename(namespace: string, experiment: string, phase: number): string {
  const safe = (s: string) => s.replace(/[\s/\\:*?"<>|\u0000-\u001f]+/g, '_');
  return `${safe(namespace)}-${safe(experiment)}-phase${phase}.csv`;
}
