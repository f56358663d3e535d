import { InputError } from '../../src/errors';
import type { Definition, DefinitionsApi, DraftBody, State, StateBody } from './api';
import type { Wanted } from './file';

/** One change of a plan, with the sentence that describes it. */
export type Step = { namespace: string; experiment: string; text: string } & (
  | { kind: 'create' | 'replace'; body: DraftBody }
  | { kind: 'describe'; description: string }
  | { kind: 'weights'; body: { weights: number[]; sample: number } }
  | { kind: 'state'; body: StateBody }
);

/** The first steps from each state towards running (archived is read-only: no way out). */
const TO_RUNNING: Record<Exclude<State, 'archived'>, StateBody[]> = {
  draft: [{ state: 'running' }],
  running: [],
  paused: [{ state: 'running' }],
  rolled_out: [{ state: 'running', restart: true }],
};

/** A step without the experiment it changes. */
type StepChange = Step extends infer S ? (S extends Step ? Omit<S, 'namespace' | 'experiment'> : never) : never;

/** The transitions that lead from one state to another (through running), as the API allows them. */
function path(from: Exclude<State, 'archived'>, to: State, winner: string | undefined, where: string): StateBody[] {
  if (to === 'archived') return [{ state: 'archived' }];
  if (to === 'draft') {
    throw new InputError(`${where}.state`, `${where}.state: a ${from} experiment cannot go back to draft`);
  }
  const then: StateBody[] = to === 'paused' ? [{ state: to }] : to === 'rolled_out' ? [{ state: to, winner }] : [];
  return [...TO_RUNNING[from], ...then];
}

const sameList = <T>(a: T[], b: T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

const splitText = (w: Wanted) => w.variants.map((v) => `${v.label} ${v.weight}`).join(' : ');

const nameOf = (w: Wanted) => `"${w.experiment}" (namespace ${w.namespace})`;

/** The changes of variants, weights, sample, fallback and description that make `want` true of `cur`. */
function shapeSteps(want: Wanted, cur: Definition | null): StepChange[] {
  const { where } = want;
  const name = nameOf(want);
  const shape = `${splitText(want)}, sample ${want.sample}, fallback ${want.fallback}`;
  const body = { variants: want.variants, sample: want.sample, fallback: want.fallback };
  if (!cur) {
    const description = want.description === undefined ? {} : { description: want.description };
    return [{ kind: 'create', body: { ...body, ...description }, text: `+ define ${name}: ${shape}` }];
  }
  const labels = want.variants.map((v) => v.label);
  const weights = want.variants.map((v) => v.weight);
  const sameLabels = sameList(
    cur.variants.map((v) => v.label),
    labels,
  );
  const sameSplit =
    sameLabels &&
    sameList(
      cur.variants.map((v) => v.weight),
      weights,
    );
  const sameShape = sameSplit && cur.sample === want.sample && cur.fallback === want.fallback;
  const describe = want.description !== undefined && want.description !== cur.description;
  const refuse = (field: string, why: string): never => {
    throw new InputError(`${where}${field}`, `${where}${field}: ${why}`);
  };
  switch (cur.state) {
    case 'archived':
      if (want.state === 'archived' || (want.state === undefined && sameShape && !describe)) return [];
      return refuse('', `${name} is archived, and an archived experiment cannot change`);
    case 'draft': {
      const description = want.description ?? cur.description;
      const text = `~ replace draft ${name}: ${shape}`;
      return sameShape && !describe ? [] : [{ kind: 'replace', body: { ...body, description }, text }];
    }
  }
  if (!sameLabels) {
    const now = cur.variants.map((v) => v.label).join(', ');
    refuse(
      '.variants',
      `the variants of ${cur.state} ${name} are ${now}; they cannot change once started ` +
        '(archive it and define a new experiment)',
    );
  }
  if (cur.fallback !== want.fallback) {
    refuse('.fallback', `the fallback of ${cur.state} ${name} is ${cur.fallback}; it cannot change once started`);
  }
  const out: StepChange[] = [];
  if (!sameShape) {
    const phase = { running: ` (a new phase ${cur.phase + 1} starts)`, paused: ' (a resume then starts a new phase)' };
    const text = `~ weights of ${name}: ${splitText(want)}, sample ${want.sample}${phase[cur.state as 'paused'] ?? ''}`;
    out.push({ kind: 'weights', body: { weights, sample: want.sample }, text });
  }
  if (describe) out.push({ kind: 'describe', description: want.description!, text: `~ describe ${name}` });
  return out;
}

/** The steps that make `want` true of `cur` (null: not defined yet), in order; none when it holds. */
export function planOne(want: Wanted, cur: Definition | null): Step[] {
  const { namespace, experiment } = want;
  const step = (s: StepChange) => ({ namespace, experiment, ...s }) as Step;
  const steps = shapeSteps(want, cur).map(step);
  const from = (cur?.state ?? 'draft') as Exclude<State, 'archived'>;
  const newWinner = want.state === 'rolled_out' && from === 'rolled_out' && cur?.winner !== want.winner;
  if (want.state !== undefined && (want.state !== from || newWinner)) {
    // A rolled-out experiment gets another winner through a restart.
    const transitions = path(newWinner ? 'running' : from, want.state, want.winner, want.where);
    if (newWinner) transitions.unshift(...TO_RUNNING.rolled_out);
    for (const b of transitions) {
      const how = b.restart ? ' (restart: a new phase)' : b.winner ? ` (winner ${b.winner})` : '';
      steps.push(step({ kind: 'state', body: b, text: `> ${nameOf(want)}: ${b.state.replace('_', ' ')}${how}` }));
    }
  }
  return steps;
}

/**
 * Reads the current definitions of the wanted experiments and plans every change, in file order;
 * `versions` holds the version each existing definition had (by `stepKey`).
 */
export async function planAll(api: DefinitionsApi, wanted: Wanted[]) {
  const steps: Step[] = [];
  const versions = new Map<string, number>();
  for (const w of wanted) {
    const cur = await api.get(w.namespace, w.experiment);
    if (cur) versions.set(stepKey(w), cur.version);
    steps.push(...planOne(w, cur));
  }
  return { steps, versions };
}

/** The key of a step's experiment in the maps of apply. */
export const stepKey = (s: { namespace: string; experiment: string }): string =>
  JSON.stringify([s.namespace, s.experiment]);

/**
 * Makes one step true through the API; with `version`, only if the definition still has it
 * (`If-Match`: a 412 when someone changed it since the plan).
 */
export async function applyStep(api: DefinitionsApi, s: Step, version: number | null = null): Promise<Definition> {
  api.ifMatch = version;
  try {
    return await change(api, s);
  } finally {
    api.ifMatch = null;
  }
}

function change(api: DefinitionsApi, s: Step): Promise<Definition> {
  switch (s.kind) {
    case 'create':
    case 'replace':
      return api.put(s.namespace, s.experiment, s.body).then((r) => r.definition);
    case 'describe':
      return api.describe(s.namespace, s.experiment, s.description);
    case 'weights':
      return api.setWeights(s.namespace, s.experiment, s.body);
    case 'state':
      return api.setState(s.namespace, s.experiment, s.body);
  }
}
