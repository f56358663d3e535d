import { AbtestError, InputError } from '../../src/errors';
import type { CommandDeps } from '../command';
import { commandConfig } from '../context';
import { DefinitionsApi, type Definition, type StateBody } from '../experiment/api';
import { listLines, showLines, stateLine, visitorsLine } from '../experiment/format';
import { resolveApi, type ApiOptions, type Describe } from '../target';

/** The verbs of `abtest experiment` but apply (cli/commands/experiment-apply.ts). */
export type ExperimentAction =
  | 'list'
  | 'show'
  | 'create'
  | 'describe'
  | 'weights'
  | 'start'
  | 'pause'
  | 'resume'
  | 'rollout'
  | 'restart'
  | 'archive';

export interface ExperimentOptions extends ApiOptions {
  action: ExperimentAction;
  /** The experiment (every action but list). */
  name?: string;
  /** Namespace of the experiments. @default config namespace */
  namespace?: string;
  /** rollout: the variant everyone gets. */
  winner?: string;
  /** describe: the new description. */
  text?: string;
  /** create: `red,green` or `red=2,green=1` (the first is the control). */
  variants?: string;
  /** create, weights: one weight per variant in order, `2,1`, or by label, `red=2,green=1`. */
  weights?: string;
  /** create, weights: share of visitors who enter, above 0 and at most 1. */
  sample?: string;
  /** create: what visitors outside the sample (and while paused) see. @default the control */
  fallback?: string;
  /** create: free text. */
  description?: string;
  /** list: archived experiments too. @default false */
  archived?: boolean;
  /** Print the result as JSON. @default false */
  json?: boolean;
}

export interface ExperimentResult {
  action: ExperimentAction;
  namespace: string;
  api: string;
  /** list: the definitions. */
  definitions?: Definition[];
  /** Every other action: the definition after it. */
  definition?: Definition;
  /** create: true when it was created, false when a draft was replaced. */
  created?: boolean;
}

/** The state each transition verb asks for. */
const TRANSITIONS: Partial<Record<ExperimentAction, (o: ExperimentOptions) => StateBody>> = {
  start: () => ({ state: 'running' }),
  pause: () => ({ state: 'paused' }),
  resume: () => ({ state: 'running' }),
  restart: () => ({ state: 'running', restart: true }),
  archive: () => ({ state: 'archived' }),
  rollout: (o) => ({ state: 'rolled_out', winner: o.winner }),
};

/** A share above 0 and at most 1, read from `flag`. */
export function parseSample(text: string, flag = '--sample'): number {
  const n = Number(text);
  if (!/^\d*\.?\d+$/.test(text.trim()) || !(n > 0 && n <= 1)) {
    throw new InputError(flag, `${flag} must be a share above 0 and at most 1 (e.g. 0.5), got "${text}"`);
  }
  return n;
}

/** `2,1` or `red=2,green=1`: the pairs, labels null when not given. */
function parsePairs(text: string, flag: string): { label: string | null; weight: number }[] {
  return text.split(',').map((part) => {
    const m = /^\s*(?:([^=]+?)\s*=\s*)?([^=]*?)\s*$/.exec(part)!;
    const weight = m[2] === '' ? NaN : Number(m[2]);
    if (!(weight > 0) || !Number.isFinite(weight)) {
      throw new InputError(flag, `${flag}: "${part.trim()}" needs a weight above 0, as in red=2,green=1 or 2,1`);
    }
    return { label: m[1] ?? null, weight };
  });
}

/** The variants of `--variants red,green` or `red=2,green=1`, weighted by `--weights` when given. */
export function parseVariants(text: string, weights?: string): { label: string; weight: number }[] {
  const labels = text.split(',').map((s) => s.trim());
  if (labels.length < 2 || labels.some((l) => l === '')) {
    const why = `--variants needs two labels or more, comma-separated (e.g. red,green), got "${text}"`;
    throw new InputError('--variants', why);
  }
  const variants = labels.map((l) => {
    const [label, w] = l.split('=').map((s) => s.trim());
    return { label, weight: w === undefined ? 1 : parsePairs(w, '--variants')[0].weight };
  });
  if (new Set(variants.map((v) => v.label)).size !== variants.length) {
    throw new InputError('--variants', `--variants names a label twice: "${text}"`);
  }
  if (weights === undefined) return variants;
  const pairs = parsePairs(weights, '--weights');
  const w = weightsFor(variants, pairs);
  return variants.map((v, i) => ({ label: v.label, weight: w[i] }));
}

/** One weight per variant in order, from `--weights` pairs given in order or by label. */
function weightsFor(variants: { label: string }[], pairs: { label: string | null; weight: number }[]): number[] {
  const labels = variants.map((v) => v.label).join(',');
  if (pairs.every((p) => p.label === null)) {
    if (pairs.length !== variants.length) {
      throw new InputError('--weights', `--weights needs ${variants.length} weights, one per variant (${labels})`);
    }
    return pairs.map((p) => p.weight);
  }
  const stranger = pairs.find((p) => !variants.some((v) => v.label === p.label));
  if (stranger) throw new InputError('--weights', `--weights names "${stranger.label}", not a variant (${labels})`);
  return variants.map((v) => {
    const p = pairs.find((x) => x.label === v.label);
    if (!p) throw new InputError('--weights', `--weights has no weight for "${v.label}" (variants: ${labels})`);
    return p.weight;
  });
}

/** The definition, or a not-found error with the way to define it. */
async function mustGet(client: DefinitionsApi, namespace: string, name: string): Promise<Definition> {
  const d = await client.get(namespace, name);
  if (d) return d;
  throw new AbtestError('not-found', `experiment "${name}" is not defined in namespace "${namespace}"`, {
    hint: 'abtest experiment list shows the defined ones; abtest experiment create defines one',
  });
}

const needName = (o: ExperimentOptions): string => {
  if (!o.name) throw new InputError('experiment', `abtest experiment ${o.action} needs the experiment's name`);
  return o.name;
};

/** The API and key an experiment verb talks to (as `dashboard` finds them), and the namespace. */
export async function definitionsTarget(
  opts: ApiOptions & { namespace?: string },
  deps: CommandDeps & { describe?: Describe },
) {
  const { config } = commandConfig(opts, deps.env);
  const api = await resolveApi(opts, config, deps.describe);
  if (!api.apiKey) {
    throw new InputError('--key', `no API key for the admin routes of ${api.base}`, 400);
  }
  const client = new DefinitionsApi(api.base, api.apiKey);
  return { base: api.base, apiKey: api.apiKey, client, namespace: opts.namespace ?? config.namespace };
}

/**
 * `abtest experiment <action>`: lists, shows, creates and changes experiment definitions
 * through the admin routes of the API (`--url`, `--dev` or the deployed one).
 */
export async function run(
  opts: ExperimentOptions,
  deps: CommandDeps & { describe?: Describe } = {},
): Promise<ExperimentResult> {
  const { action } = opts;
  if (action === 'create' && !opts.variants) {
    throw new InputError('--variants', 'abtest experiment create needs --variants, e.g. --variants red,green');
  }
  if (action === 'weights' && opts.weights === undefined && opts.sample === undefined) {
    throw new InputError('--weights', 'abtest experiment weights needs the weights (e.g. 2,1) or --sample');
  }
  const sample = opts.sample === undefined ? undefined : parseSample(opts.sample);
  const variants = action === 'create' ? parseVariants(opts.variants!, opts.weights) : undefined;
  const { base, client, namespace } = await definitionsTarget(opts, deps);
  const result = { action, namespace, api: base };
  if (action === 'list') return { ...result, definitions: await client.list(namespace, opts.archived) };
  const name = needName(opts);
  const transition = TRANSITIONS[action];
  if (transition) return { ...result, definition: await client.setState(namespace, name, transition(opts)) };
  switch (action) {
    case 'show': {
      return { ...result, definition: await mustGet(client, namespace, name) };
    }
    case 'create': {
      const body = { variants: variants!, sample, fallback: opts.fallback, description: opts.description };
      return { ...result, ...(await client.put(namespace, name, body)) };
    }
    case 'describe':
      return { ...result, definition: await client.describe(namespace, name, opts.text ?? '') };
    default: {
      const current = await mustGet(client, namespace, name);
      const given = opts.weights === undefined ? null : parsePairs(opts.weights, '--weights');
      const weights = given ? weightsFor(current.variants, given) : current.variants.map((v) => v.weight);
      return { ...result, definition: await client.setWeights(namespace, name, { weights, sample }) };
    }
  }
}

/** What `abtest experiment <action>` prints: the definition(s) in words, or JSON with `json`. */
export function format(r: ExperimentResult, opts: ExperimentOptions): string[] {
  if (opts.json) return [JSON.stringify(r.definitions ?? r.definition, null, 2)];
  if (r.definitions) return listLines(r.namespace, r.definitions);
  const d = r.definition!;
  if (r.action === 'show') return showLines(d);
  const what = r.action === 'create' ? (r.created ? 'created' : 'replaced (draft)') : stateLine(d);
  return [`✔ ${d.experiment} (namespace ${d.namespace}): ${what}`, `  ${visitorsLine(d)}`];
}
