import fs from 'node:fs';
import { InputError } from '../../src/errors';
import { STATES, type State, type Variant } from './api';

/** One experiment as a definitions file wants it; `where` names it in messages (`file: experiments[2]`). */
export interface Wanted {
  namespace: string;
  experiment: string;
  /** Left as it is when the file does not give it. */
  description?: string;
  variants: Variant[];
  sample: number;
  fallback: string;
  /** Left as it is when the file does not give it (a new definition stays a draft). */
  state?: State;
  winner?: string;
  where: string;
}

const FILE_KEYS = ['namespace', 'experiments'];
const EXPERIMENT_KEYS = ['namespace', 'experiment', 'description', 'variants', 'sample', 'fallback', 'state', 'winner'];
/** Names, as the API limits them: 1 to 128 characters, no control characters. */
const NAME = /^[^\x00-\x1f\x7f]{1,128}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a definitions file: `{"namespace"?, "experiments": [{"experiment", "variants", ...}]}`
 * (variants as `"red"` or `{"label": "red", "weight": 2}`), every field checked, an error
 * naming the file and the field (`defs.json: experiments[1].variants[0].weight ...`) otherwise.
 * @param namespace of the experiments the file does not give one to
 */
export function readDefinitionsFile(file: string, namespace: string): Wanted[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, `cannot read ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, `${file} is not JSON: ${(e as Error).message}`);
  }
  const fail = (field: string, message: string): never => {
    throw new InputError(`${file}: ${field}`, `${file}: ${field} ${message}`);
  };
  if (!isObject(doc)) return fail('(top level)', 'must be an object: {"namespace": ..., "experiments": [...]}');
  unknownKeys(doc, FILE_KEYS, '', fail);
  const ns = doc.namespace === undefined ? namespace : name(doc.namespace, 'namespace', fail);
  if (!Array.isArray(doc.experiments)) return fail('experiments', 'must be a list of experiments');
  const seen = new Set<string>();
  return doc.experiments.map((e: unknown, i: number) => {
    const wanted = experimentOf(e, `experiments[${i}]`, ns, fail);
    const key = JSON.stringify([wanted.namespace, wanted.experiment]);
    if (seen.has(key)) fail(`experiments[${i}].experiment`, `"${wanted.experiment}" is given twice`);
    seen.add(key);
    return { ...wanted, where: `${file}: experiments[${i}]` };
  });
}

type Fail = (field: string, message: string) => never;

function unknownKeys(o: Record<string, unknown>, known: string[], at: string, fail: Fail): void {
  const odd = Object.keys(o).find((k) => !known.includes(k));
  if (odd) fail(`${at}${odd}`, `is not a known field (known: ${known.join(', ')})`);
}

function name(v: unknown, field: string, fail: Fail): string {
  if (typeof v !== 'string' || !NAME.test(v)) fail(field, 'must be a name of 1 to 128 characters');
  return v as string;
}

function experimentOf(e: unknown, at: string, namespace: string, fail: Fail): Omit<Wanted, 'where'> {
  if (!isObject(e)) return fail(at, 'must be an object with "experiment" and "variants"');
  unknownKeys(e, EXPERIMENT_KEYS, `${at}.`, fail);
  const experiment = name(e.experiment, `${at}.experiment`, fail);
  const ns = e.namespace === undefined ? namespace : name(e.namespace, `${at}.namespace`, fail);
  if (e.description !== undefined && (typeof e.description !== 'string' || e.description.length > 1000)) {
    fail(`${at}.description`, 'must be text of at most 1000 characters');
  }
  const variants = variantsOf(e.variants, `${at}.variants`, fail);
  const labels = variants.map((v) => v.label);
  const sample = e.sample === undefined ? 1 : e.sample;
  if (typeof sample !== 'number' || !(sample > 0 && sample <= 1)) {
    fail(`${at}.sample`, 'must be a number above 0, at most 1');
  }
  const label = (field: string, v: unknown) => {
    if (!labels.includes(v as string)) fail(`${at}.${field}`, `must be one of the variants (${labels.join(', ')})`);
    return v as string;
  };
  const fallback = e.fallback === undefined ? labels[0] : label('fallback', e.fallback);
  if (e.state !== undefined && !STATES.includes(e.state as State)) {
    fail(`${at}.state`, `must be one of ${STATES.join(', ')}`);
  }
  const state = e.state as State | undefined;
  if (state === 'rolled_out' && e.winner === undefined) fail(`${at}.winner`, 'is needed with "state": "rolled_out"');
  if (e.winner !== undefined && state !== 'rolled_out') fail(`${at}.winner`, 'goes only with "state": "rolled_out"');
  const winner = e.winner === undefined ? undefined : label('winner', e.winner);
  const description = e.description as string | undefined;
  return { namespace: ns, experiment, description, variants, sample: sample as number, fallback, state, winner };
}

function variantsOf(v: unknown, at: string, fail: Fail): Variant[] {
  if (!Array.isArray(v) || v.length < 2) return fail(at, 'must list two variants or more, the control first');
  const variants = v.map((x: unknown, i: number): Variant => {
    if (typeof x === 'string') return { label: name(x, `${at}[${i}]`, fail), weight: 1 };
    if (!isObject(x)) return fail(`${at}[${i}]`, 'must be a label or {"label": ..., "weight": ...}');
    unknownKeys(x, ['label', 'weight'], `${at}[${i}].`, fail);
    const weight = x.weight === undefined ? 1 : x.weight;
    if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) {
      fail(`${at}[${i}].weight`, 'must be a number above 0');
    }
    return { label: name(x.label, `${at}[${i}].label`, fail), weight: weight as number };
  });
  const dup = variants.find((x, i) => variants.findIndex((y) => y.label === x.label) !== i);
  if (dup) fail(at, `names "${dup.label}" twice`);
  return variants;
}
