import type { Config } from '../config';
import { InputError } from '../errors';
import { ConflictError } from '../errors';

import { nameProblem } from '../protocol';

/**
 * Experiment definitions: the model, the validation of what an admin sends, and the state
 * machine with its phases. Pure code: storage is in src/store/definitions.ts.
 */

export const STATES = ['draft', 'running', 'paused', 'rolled_out', 'archived'] as const;
export type State = (typeof STATES)[number];

export interface Variant {
  label: string;
  weight: number;
}

/** One period of a running experiment with one expected split. */
export interface Phase {
  phase: number;
  started_at: string;
  ended_at: string | null;
  weights: number[];
  sample: number;
}

/** An experiment's definition, as the admin API answers it. */
export interface Definition {
  namespace: string;
  experiment: string;
  description: string;
  /** In order; the first is the control. */
  variants: Variant[];
  /** Fraction of visitors that enter: 0 < sample ≤ 1. */
  sample: number;
  /** What visitors who do not enter, or see a paused experiment, get. */
  fallback: string;
  state: State;
  winner: string | null;
  /** The current phase; 0 while draft (the counts of the undefined experiment). */
  phase: number;
  phases: Phase[];
  created_at: string;
  updated_at: string;
  /** Increments on every change. */
  version: number;
  /**
   * Created by Sixpack's `/participate` (src/sixpack/): while its weights are equal, new
   * visitors get Sixpack's sha1 choice, so visitors keep the alternative Sixpack gave them.
   */
  sixpack?: true;
}

/** Longest description. */
export const MAX_DESCRIPTION = 1000;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The body of an admin request as an object; throws an InputError naming `body` otherwise. */
export function bodyObject(parsed: unknown, known: string[]): Record<string, unknown> {
  if (!isObject(parsed)) throw new InputError('body', 'the body must be a JSON object');
  for (const key of Object.keys(parsed)) {
    if (!known.includes(key)) throw new InputError(key, `${key} is not a known field (known: ${known.join(', ')})`);
  }
  return parsed;
}

function checkSample(x: unknown): number {
  if (typeof x !== 'number' || !(x > 0 && x <= 1)) {
    throw new InputError('sample', `sample must be a number above 0 and at most 1; got ${JSON.stringify(x)}`);
  }
  return x;
}

function checkWeight(x: unknown, field: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
    throw new InputError(field, `${field} must be a number above 0; got ${JSON.stringify(x)}`);
  }
  return x;
}

function checkDescription(x: unknown): string {
  if (typeof x !== 'string') throw new InputError('description', 'description must be a string');
  if (x.length > MAX_DESCRIPTION) {
    throw new InputError('description', `description is longer than ${MAX_DESCRIPTION} characters`);
  }
  return x;
}

/** What `PUT /definition` may set. */
export interface DraftInput {
  description: string;
  variants: Variant[];
  sample: number;
  fallback: string;
}

/** Validates the body of `PUT /definition`: variants (2 or more, unique labels), weights, sample, fallback. */
export function parseDraft(parsed: unknown, config: Config): DraftInput {
  const body = bodyObject(parsed, ['description', 'variants', 'sample', 'fallback']);
  const list = body.variants;
  if (!Array.isArray(list) || list.length < 2) {
    throw new InputError('variants', 'variants must be an array of at least 2 {label, weight} objects');
  }
  const cap = config.max_variants_per_experiment;
  if (cap > 0 && list.length > cap) {
    throw new InputError('variants', `variants has ${list.length} entries; max_variants_per_experiment is ${cap}`);
  }
  const variants = list.map((v, i): Variant => {
    const field = `variants[${i}]`;
    if (!isObject(v)) throw new InputError(field, `${field} must be an object {label, weight}`);
    const problem = nameProblem(v.label, config.max_name_length);
    if (problem) throw new InputError(`${field}.label`, `${field}.label ${problem}`);
    const label = v.label as string;
    if (list.slice(0, i).some((w) => isObject(w) && w.label === label)) {
      throw new InputError(`${field}.label`, `${field}.label "${label}" appears twice`);
    }
    return { label, weight: v.weight === undefined ? 1 : checkWeight(v.weight, `${field}.weight`) };
  });
  const fallback = body.fallback === undefined ? variants[0].label : body.fallback;
  if (typeof fallback !== 'string' || !variants.some((v) => v.label === fallback)) {
    throw new InputError(
      'fallback',
      `fallback must be one of the variants (${variants.map((v) => v.label).join(', ')})`,
    );
  }
  return {
    description: body.description === undefined ? '' : checkDescription(body.description),
    variants,
    sample: body.sample === undefined ? 1 : checkSample(body.sample),
    fallback,
  };
}

/** A new draft, or `current` (a draft) with its fields replaced. */
export function draftDefinition(
  namespace: string,
  experiment: string,
  input: DraftInput,
  now: string,
  current: Definition | null,
): Definition {
  if (current) {
    refuseArchived(current);
    if (current.state !== 'draft') {
      throw new ConflictError(
        'state',
        `experiment "${experiment}" is ${current.state}: only a draft can be replaced; ` +
          'change weights with /definition/weights',
      );
    }
  }
  return {
    namespace,
    experiment,
    ...input,
    state: 'draft',
    winner: null,
    phase: 0,
    phases: [],
    created_at: current?.created_at ?? now,
    updated_at: now,
    version: (current?.version ?? 0) + 1,
  };
}

/**
 * The definition of an experiment first seen through Sixpack's `/participate`: running from
 * the start (phase 1), the alternatives in request order with equal weights, the first as
 * control and fallback, `traffic_fraction` as its sample.
 */
export function sixpackDefinition(
  namespace: string,
  experiment: string,
  alternatives: string[],
  sample: number,
  now: string,
): Definition {
  const variants = alternatives.map((label) => ({ label, weight: 1 }));
  const draft = draftDefinition(
    namespace,
    experiment,
    { description: '', variants, sample, fallback: alternatives[0] },
    now,
    null,
  );
  return { ...changeState(draft, { state: 'running', restart: false }, now), sixpack: true };
}

/** What each state may become (restart is running again with a new phase). */
const ALLOWED: Record<State, State[]> = {
  draft: ['running', 'archived'],
  running: ['paused', 'rolled_out', 'archived'],
  paused: ['running', 'archived'],
  rolled_out: ['running', 'archived'],
  archived: [],
};

function refuseArchived(d: Definition): void {
  if (d.state === 'archived') {
    throw new ConflictError('state', `experiment "${d.experiment}" is archived and read-only; allowed: none`);
  }
}

const endPhase = (d: Definition, now: string): Phase[] =>
  d.phases.map((p) => (p.phase === d.phase && p.ended_at === null ? { ...p, ended_at: now } : p));

const newPhase = (d: Definition, now: string, phases: Phase[]): Pick<Definition, 'phase' | 'phases'> => ({
  phase: phases.length + 1,
  phases: [
    ...phases,
    {
      phase: phases.length + 1,
      started_at: now,
      ended_at: null,
      weights: d.variants.map((v) => v.weight),
      sample: d.sample,
    },
  ],
});

/** Validates the body of `POST /definition/state`. */
export function parseStateChange(parsed: unknown): { state: State; winner?: string; restart: boolean } {
  const body = bodyObject(parsed, ['state', 'winner', 'restart']);
  const state = body.state as State;
  if (!STATES.includes(state)) throw new InputError('state', `state must be one of ${STATES.join(', ')}`);
  if (body.winner !== undefined && typeof body.winner !== 'string') {
    throw new InputError('winner', 'winner must be a variant label');
  }
  if (body.restart !== undefined && typeof body.restart !== 'boolean') {
    throw new InputError('restart', 'restart must be true or false');
  }
  return { state, winner: body.winner as string | undefined, restart: body.restart === true };
}

/** The definition after a change of state; a ConflictError (409) names the allowed transitions. */
export function changeState(
  d: Definition,
  change: { state: State; winner?: string; restart: boolean },
  now: string,
): Definition {
  const { state, winner, restart } = change;
  const allowed = ALLOWED[d.state];
  const from = d.state;
  const restartOnly = from === 'rolled_out' && state === 'running' && !restart;
  if (!allowed.includes(state) || restartOnly) {
    const names = allowed.map((s) => (s === 'running' && from === 'rolled_out' ? 'running (with restart: true)' : s));
    throw new ConflictError(
      'state',
      `experiment "${d.experiment}" cannot go from ${from} to ${state}; allowed: ${names.join(', ') || 'none'}`,
    );
  }
  if (winner !== undefined && state !== 'rolled_out') {
    throw new InputError('winner', 'winner is only taken with state rolled_out');
  }
  const next: Definition = { ...d, state, updated_at: now, version: d.version + 1 };
  if (state === 'rolled_out') {
    if (winner === undefined || !d.variants.some((v) => v.label === winner)) {
      throw new InputError(
        'winner',
        `winner must be one of the variants (${d.variants.map((v) => v.label).join(', ')})`,
      );
    }
    return { ...next, winner, phases: endPhase(d, now) };
  }
  if (state === 'paused' || state === 'archived') return { ...next, phases: endPhase(d, now) };
  // running: from draft or with restart a new phase; from paused the same phase resumes,
  // unless its weights or sample were changed meanwhile (each phase has one expected split).
  const current = d.phases.find((p) => p.phase === d.phase);
  const edited = current && (current.sample !== d.sample || current.weights.some((w, i) => w !== d.variants[i].weight));
  if (from === 'draft' || restart || edited) return { ...next, winner: null, ...newPhase(d, now, endPhase(d, now)) };
  return { ...next, phases: d.phases.map((p) => (p.phase === d.phase ? { ...p, ended_at: null } : p)) };
}

/** Validates the body of `POST /definition/weights` against the definition's variants. */
export function parseWeights(parsed: unknown, d: Definition): { weights: number[]; sample?: number } {
  const body = bodyObject(parsed, ['weights', 'sample']);
  const n = d.variants.length;
  if (!Array.isArray(body.weights) || body.weights.length !== n) {
    throw new InputError(
      'weights',
      `weights must be an array of ${n} numbers, one per variant (${d.variants.map((v) => v.label).join(', ')})`,
    );
  }
  const weights = body.weights.map((w, i) => checkWeight(w, `weights[${i}]`));
  return { weights, sample: body.sample === undefined ? undefined : checkSample(body.sample) };
}

/** New weights (and sample): a new phase while running, an edit otherwise. */
export function changeWeights(d: Definition, change: { weights: number[]; sample?: number }, now: string): Definition {
  refuseArchived(d);
  const variants = d.variants.map((v, i) => ({ ...v, weight: change.weights[i] }));
  const sample = change.sample ?? d.sample;
  const next: Definition = { ...d, variants, sample, updated_at: now, version: d.version + 1 };
  return d.state === 'running' ? { ...next, ...newPhase(next, now, endPhase(d, now)) } : next;
}

/** A new description (any state but archived). */
export function describe(d: Definition, parsed: unknown, now: string): Definition {
  refuseArchived(d);
  const body = bodyObject(parsed, ['description']);
  if (body.description === undefined) throw new InputError('description', 'description is missing');
  return { ...d, description: checkDescription(body.description), updated_at: now, version: d.version + 1 };
}
