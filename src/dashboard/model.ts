import { goalStats, sampleRatioCheck, type GoalStats, type SrmResult } from '../stats';

/**
 * What the dashboard shows, computed from the experiments endpoint's answer: pure functions,
 * no DOM, so that they are tested in Node.
 */

/** The `meta` entry of the experiments answer. */
export interface Meta {
  namespace: string;
  counting: 'hll' | 'exact';
  standard_error: number;
  generated_at?: string;
}

/** One experiment of the experiments answer. */
export interface ExperimentResult {
  experiment: string;
  counting: 'hll' | 'exact';
  standard_error: number;
  variants: { label: string; participants: number }[];
  goals: { goal: string; results: { label: string; successes: number; trials: number }[] }[];
}

/** Splits the answer `[{meta}, ...experiments]`; throws on anything else. */
export function parseResults(body: unknown): { meta: Meta; experiments: ExperimentResult[] } {
  if (!Array.isArray(body) || typeof body[0] !== 'object' || body[0] === null || !('meta' in body[0])) {
    throw new Error('the endpoint did not answer with [{"meta":...}, ...experiments]; is the URL an abtest API?');
  }
  return { meta: body[0].meta as Meta, experiments: body.slice(1) as ExperimentResult[] };
}

/** One experiment ready to draw. */
export interface ExperimentView {
  name: string;
  counting: 'hll' | 'exact';
  standardError: number;
  control: string;
  variants: { label: string; participants: number; share: number }[];
  totalParticipants: number;
  /** The sample-ratio check of participants against an even split; null with fewer than two variants or no participants. */
  srm: SrmResult | null;
  goals: { goal: string; stats: GoalStats }[];
}

/**
 * The view of one experiment with `control` as the baseline (the first variant when absent or
 * unknown). Goal results list every variant in the experiment's order; a variant a goal has
 * not reached yet counts 0 conversions.
 */
export function experimentView(e: ExperimentResult, control?: string): ExperimentView {
  const labels = e.variants.map((v) => v.label);
  for (const g of e.goals) for (const r of g.results) if (!labels.includes(r.label)) labels.push(r.label);
  const participants = labels.map((l) => e.variants.find((v) => v.label === l)?.participants ?? 0);
  const total = participants.reduce((a, b) => a + b, 0);
  const chosen = control !== undefined && labels.includes(control) ? control : labels[0];
  const standardError = e.standard_error ?? 0;
  return {
    name: e.experiment,
    counting: e.counting,
    standardError,
    control: chosen,
    variants: labels.map((label, i) => ({ label, participants: participants[i], share: total > 0 ? participants[i] / total : 0 })),
    totalParticipants: total,
    srm: labels.length >= 2 && total > 0 ? sampleRatioCheck(participants, { standardError }) : null,
    goals: e.goals.map((g) => ({
      goal: g.goal,
      stats: goalStats(
        labels.map((label, i) => {
          const r = g.results.find((x) => x.label === label);
          return { label, successes: r?.successes ?? 0, trials: r?.trials ?? participants[i] };
        }),
        { control: chosen, standardError },
      ),
    })),
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
export function verdict(pValue: number | null, diff: number | null, alpha = 0.05): 'better' | 'worse' | 'unclear' | 'control' {
  if (pValue === null || diff === null) return 'control';
  if (pValue >= alpha || diff === 0) return 'unclear';
  return diff > 0 ? 'better' : 'worse';
}

/** The API base URL typed or configured: one normaliser for the dashboard and the CLI. */
export { apiBase } from '../api-url';
