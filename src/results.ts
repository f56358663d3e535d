import type { Counting } from './config';
import type { GoalStats, SrmResult } from './stats';

/**
 * What `GET /experiments` answers: one type for the store that reads it, the route that
 * sends it, the dashboard that draws it and the simulate report. Type declarations only.
 */

/** One variant of an experiment and how many entered it (the `participate` counter). */
export interface VariantResult {
  label: string;
  participants: number;
  /** With `stats=1`: ± one standard error of `participants`, rounded (0 when exact). */
  counting_error?: number;
}

/** One goal: per variant its conversions (`successes`) out of its participants (`trials`), Gimel's shape. */
export interface GoalResult {
  goal: string;
  results: { label: string; successes: number; trials: number }[];
  /** With `stats=1`: each variant against the control. */
  stats?: GoalStats;
}

/** One experiment's results. Variants and goals are sorted by name; the order is stable. */
export interface ExperimentResults {
  experiment: string;
  counting: Counting;
  /** Relative standard error of each count: 0 when exact, 1.04/sqrt(16384) for HLL. */
  standard_error: number;
  variants: VariantResult[];
  goals: GoalResult[];
  /**
   * With `stats=1`: the sample-ratio check of the participants against the declared weights of
   * the phase shown, or an equal split for an undefined experiment (`expected` says which).
   */
  srm?: SrmResult & { expected?: 'declared weights' | 'equal split (undefined experiment)' };
  /** When the experiment has a definition: its state and the phase shown (variants then come in its order). */
  definition?: ResultsDefinition;
  /** With `series=day|week|month`: the counts of the phase shown over time. */
  series?: ExperimentSeries;
}

/** The grouping of a series: UTC days, ISO weeks (Monday first), calendar months. */
export type SeriesPeriod = 'day' | 'week' | 'month';

/**
 * One experiment's counts over time in one phase. Points are dense and oldest first: every
 * period from the first with data to the last with data, or to today while the phase runs.
 * In HLL mode a period's new counts are estimates (the change of the HyperLogLog's estimate).
 */
export interface ExperimentSeries {
  period: SeriesPeriod;
  phase: number;
  points: SeriesPoint[];
}

/** One period: per variant (in the results' order) what was new in it and the totals up to its end. */
export interface SeriesPoint {
  /** `YYYY-MM-DD` (UTC), the first day of the period. */
  start: string;
  variants: {
    label: string;
    participants: number;
    cumulative_participants: number;
    /** In the results' order of goals. */
    goals: { goal: string; conversions: number; cumulative_conversions: number }[];
  }[];
}

/** What the results carry of an experiment's definition, for the phase they show. */
export interface ResultsDefinition {
  state: string;
  /** The phase shown (0: the counts from before the definition). */
  phase: number;
  /** The current phase. */
  current_phase: number;
  /** In declared order (the first is the control), with the weights of the phase shown. */
  variants: { label: string; weight: number }[];
  sample: number;
  winner: string | null;
  started_at: string | null;
  ended_at: string | null;
}

/** One experiment in the cheap listing (`summary=1`): no goal counters are read. */
export interface ExperimentSummary {
  experiment: string;
  counting: Counting;
  /** Participants of all variants together. */
  participants: number;
  variants: VariantResult[];
  /** How many goals the experiment has. */
  goals: number;
  /** When the experiment has a definition: its state and current phase (variants then come in its order). */
  definition?: ResultsDefinition;
}

/** The first entry of every `/experiments` answer. */
export interface ResultsMeta {
  namespace: string;
  /** The `scope` parameter as given, or null. */
  scope: string | null;
  counting: Counting;
  standard_error: number;
  generated_at: string;
  /** Experiments in the namespace (unscoped answers only). */
  total?: number;
  offset?: number;
  limit?: number;
  /** The `offset` of the next page, or null on the last page (unscoped answers only). */
  next?: number | null;
}

/** The `/experiments` answer: `[{meta}, ...experiments]` (Gimel's shape, extended). */
export type ExperimentsAnswer = [{ meta: ResultsMeta }, ...(ExperimentResults | ExperimentSummary)[]];
