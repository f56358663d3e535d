import type { ExperimentResults, ExperimentSummary, ResultsDefinition, VariantResult } from '../results';
import type { Definition } from './definition';

/**
 * Results of a defined experiment: what the definition says about the phase shown, and the
 * variants in declared order (the control first), declared ones that nobody reached with 0.
 */

/** The definition's view of one phase, for the results. */
export function phaseView(d: Definition, phase: number): ResultsDefinition {
  const p = d.phases.find((x) => x.phase === phase);
  const weights = p?.weights ?? d.variants.map((v) => v.weight);
  return {
    state: d.state,
    phase,
    current_phase: d.phase,
    variants: d.variants.map((v, i) => ({ label: v.label, weight: weights[i] })),
    sample: p?.sample ?? d.sample,
    winner: d.winner,
    started_at: p?.started_at ?? null,
    ended_at: p?.ended_at ?? null,
  };
}

/** The labels in declared order, then any other label counted (before the definition, in phase 0). */
function ordered(d: Definition, seen: string[]): string[] {
  const declared = d.variants.map((v) => v.label);
  return [...declared, ...seen.filter((l) => !declared.includes(l))];
}

const variantsIn = (labels: string[], variants: VariantResult[]): VariantResult[] =>
  labels.map((label) => variants.find((v) => v.label === label) ?? { label, participants: 0 });

/** An experiment's results in the definition's order, with its `definition`. */
export function definedResults(r: ExperimentResults, d: Definition, phase: number): ExperimentResults {
  const labels = ordered(
    d,
    r.variants.map((v) => v.label),
  );
  const variants = variantsIn(labels, r.variants);
  return {
    ...r,
    variants,
    goals: r.goals.map((g) => ({
      ...g,
      results: labels.map(
        (label, i) =>
          g.results.find((x) => x.label === label) ?? { label, successes: 0, trials: variants[i].participants },
      ),
    })),
    definition: phaseView(d, phase),
  };
}

/** An experiment's summary (current phase) in the definition's order, with its `definition`. */
export function definedSummary(s: ExperimentSummary, d: Definition): ExperimentSummary {
  const variants = variantsIn(
    ordered(
      d,
      s.variants.map((v) => v.label),
    ),
    s.variants,
  );
  return { ...s, variants, definition: phaseView(d, d.phase) };
}

/**
 * What the sample-ratio check of a phase expects: the declared weights of a phase ≥ 1, else an
 * equal split (an undefined experiment, or the phase 0 counts from before its definition).
 */
export function expectedSplit(r: ExperimentResults): {
  weights?: number[];
  expected: 'declared weights' | 'equal split (undefined experiment)';
} {
  const declared = r.definition?.variants;
  if (!declared || r.definition?.phase === 0 || r.variants.length !== declared.length) {
    return { expected: 'equal split (undefined experiment)' };
  }
  return { weights: declared.map((v) => v.weight), expected: 'declared weights' };
}
