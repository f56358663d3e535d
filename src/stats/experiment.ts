import type { ExperimentResults } from '../results';
import { countError, goalStats, sampleRatioCheck, type GoalStats, type SrmResult } from './index';

/** The statistics of one experiment, as the API sends them and the dashboard draws them. */
export interface ExperimentStats {
  /** The control's label: the one asked for when it is a variant, else the first variant. */
  control: string;
  /** Every variant: those of `variants`, then any that only a goal has reached. */
  variants: { label: string; participants: number; share: number; counting_error: number }[];
  totalParticipants: number;
  /** The sample-ratio check of the participants against `weights`. */
  srm: SrmResult;
  goals: ({ goal: string } & GoalStats)[];
}

/**
 * Statistics of one experiment's results: each variant's share of participants and counting
 * error, the sample-ratio check, and {@link goalStats} of each goal against the control, all
 * allowing for the counts' standard error. A variant a goal has not reached counts 0
 * conversions out of its participants.
 * @param opts.control the control's label; ignored when the experiment has no such variant. @default the first variant
 * @param opts.weights expected weights of the variants, in the order of `variants`. @default equal
 */
export function experimentStats(
  e: ExperimentResults,
  opts: { control?: string; weights?: number[] } = {},
): ExperimentStats {
  const labels = e.variants.map((v) => v.label);
  for (const g of e.goals) for (const r of g.results) if (!labels.includes(r.label)) labels.push(r.label);
  const participants = labels.map((l) => e.variants.find((v) => v.label === l)?.participants ?? 0);
  const total = participants.reduce((a, b) => a + b, 0);
  const standardError = e.standard_error ?? 0;
  const control = opts.control !== undefined && labels.includes(opts.control) ? opts.control : labels[0];
  return {
    control,
    variants: labels.map((label, i) => ({
      label,
      participants: participants[i],
      share: total > 0 ? participants[i] / total : 0,
      counting_error: Math.round(participants[i] * countError(participants[i], standardError)),
    })),
    totalParticipants: total,
    srm: sampleRatioCheck(participants, { weights: opts.weights, standardError }),
    goals: e.goals.map((g) => ({
      goal: g.goal,
      ...goalStats(
        labels.map((label, i) => {
          const r = g.results.find((x) => x.label === label);
          return { label, successes: r?.successes ?? 0, trials: r?.trials ?? participants[i] };
        }),
        { control, standardError },
      ),
    })),
  };
}

/**
 * The results with their statistics attached, as `?stats=1` answers: `srm`, each variant's
 * `counting_error` and each goal's `stats`, from {@link experimentStats}.
 * @param opts.weights expected weights of the variants, in the order of `variants`. @default equal
 */
export function withStats(
  e: ExperimentResults,
  opts: { control?: string; weights?: number[] } = {},
): ExperimentResults {
  const s = experimentStats(e, opts);
  return {
    ...e,
    variants: e.variants.map((v, i) => ({ ...v, counting_error: s.variants[i].counting_error })),
    goals: e.goals.map((g, i) => ({ ...g, stats: { control: s.goals[i].control, variants: s.goals[i].variants } })),
    srm: s.srm,
  };
}
