import type { ExperimentResults } from '../../src/results';
import { chiSquareSurvival, experimentStats, type GoalStats, type SrmResult } from '../../src/stats';
import type { SimExperiment, Truth } from './traffic';

export interface SimVariantReport {
  label: string;
  weight: number;
  expectedShare: number;
  /** Distinct visitors sent into the variant, and the count the server reports. */
  sentParticipants: number;
  participants: number;
  share: number;
  trueRate: number;
  sentConversions: number;
  conversions: number;
  /** The reported rate and its 95% interval (widened for counting error in HLL mode). */
  rate: number;
  interval: [number, number];
  trueRateInInterval: boolean;
}

export interface SimExperimentReport {
  name: string;
  goal: string;
  counting: string;
  standardError: number;
  variants: SimVariantReport[];
  srm: SrmResult;
  stats: GoalStats;
}

export interface IndependenceReport {
  experiments: [string, string];
  /** Joint share of visitors in (a, b) against the product of the two marginal shares. */
  cells: { a: string; b: string; joint: number; product: number }[];
  chiSquare: number;
  df: number;
  pValue: number;
}

/** One experiment: what was sent against what the server counted, with its statistics. */
export function report(
  e: SimExperiment,
  sentParticipants: number[],
  sentConversions: number[],
  counts: ExperimentResults | undefined,
): SimExperimentReport {
  const standardError = counts?.standard_error ?? 0;
  const participants = e.variants.map((v) => counts?.variants.find((x) => x.label === v.label)?.participants ?? 0);
  const goal = counts?.goals.find((g) => g.goal === e.goal);
  const conversions = e.variants.map((v) => goal?.results.find((r) => r.label === v.label)?.successes ?? 0);
  const total = participants.reduce((a, b) => a + b, 0);
  // The server's counts in the simulated order, with the one goal simulated: the one statistics assembly.
  const own: ExperimentResults = {
    experiment: e.name,
    counting: counts?.counting ?? 'exact',
    standard_error: standardError,
    variants: e.variants.map((v, i) => ({ label: v.label, participants: participants[i] })),
    goals: [
      {
        goal: e.goal,
        results: e.variants.map((v, i) => ({ label: v.label, successes: conversions[i], trials: participants[i] })),
      },
    ],
  };
  const all = experimentStats(own, { control: e.variants[0].label, weights: e.variants.map((v) => v.weight) });
  const { srm } = all;
  const stats: GoalStats = { control: all.goals[0].control, variants: all.goals[0].variants };
  return {
    name: e.name,
    goal: e.goal,
    counting: counts?.counting ?? 'none',
    standardError,
    srm,
    stats,
    variants: e.variants.map((v, i) => {
      const s = stats.variants[i];
      return {
        label: v.label,
        weight: v.weight,
        expectedShare: srm.expectedShares[i],
        sentParticipants: sentParticipants[i],
        participants: participants[i],
        share: total === 0 ? 0 : participants[i] / total,
        trueRate: v.rate,
        sentConversions: sentConversions[i],
        conversions: conversions[i],
        rate: s.rate,
        interval: s.interval,
        trueRateInInterval: s.interval[0] <= v.rate && v.rate <= s.interval[1],
      };
    }),
  };
}

/** Exact counters must equal what was sent; HLL counters must be within 5 standard errors. */
export function countingProblems(r: SimExperimentReport): string[] {
  const out: string[] = [];
  for (const v of r.variants) {
    const pairs = [
      ['participants', v.participants, v.sentParticipants],
      ['conversions', v.conversions, v.sentConversions],
    ] as const;
    for (const [what, counted, sent] of pairs) {
      const off = r.standardError === 0 ? counted !== sent : Math.abs(counted - sent) > 5 * r.standardError * sent + 1;
      if (off) out.push(`${r.name}/${v.label}: ${counted} ${what} counted, ${sent} distinct sent (${r.counting})`);
    }
  }
  return out;
}

/** Pearson's χ² test of independence of each pair of experiments' splits, from the visitors sent. */
export function independence(experiments: SimExperiment[], truth: Truth): IndependenceReport[] {
  const out: IndependenceReport[] = [];
  for (let a = 0; a < experiments.length; a++) {
    for (let b = a + 1; b < experiments.length; b++) {
      const table = truth.joint.get(`${a},${b}`)!;
      const n = table.flat().reduce((x, y) => x + y, 0);
      const rows = table.map((r) => r.reduce((x, y) => x + y, 0));
      const cols = table[0].map((_, j) => table.reduce((x, r) => x + r[j], 0));
      const cells: IndependenceReport['cells'] = [];
      let chiSquare = 0;
      table.forEach((row, i) =>
        row.forEach((count, j) => {
          const expected = (rows[i] * cols[j]) / n;
          if (expected > 0) chiSquare += (count - expected) ** 2 / expected;
          const [la, lb] = [experiments[a].variants[i].label, experiments[b].variants[j].label];
          cells.push({ a: la, b: lb, joint: count / n, product: (rows[i] / n) * (cols[j] / n) });
        }),
      );
      const df = (rows.length - 1) * (cols.length - 1);
      const names: [string, string] = [experiments[a].name, experiments[b].name];
      out.push({ experiments: names, cells, chiSquare, df, pValue: chiSquareSurvival(chiSquare, df) });
    }
  }
  return out;
}
