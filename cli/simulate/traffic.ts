import { assign, eventUuid } from '../../src/assign';
import { InputError } from '../../src/errors';
import { prng, type Prng } from './prng';

/** One simulated experiment: variants with weights and the true conversion rate of each. */
export interface SimExperiment {
  name: string;
  goal: string;
  variants: { label: string; weight: number; rate: number }[];
}

/** Two concurrent experiments: an even two-way test and a weighted three-way test. */
export const DEFAULT_EXPERIMENTS: SimExperiment[] = [
  {
    name: 'button',
    goal: 'click',
    variants: [
      { label: 'red', weight: 1, rate: 0.1 },
      { label: 'green', weight: 1, rate: 0.12 },
    ],
  },
  {
    name: 'pricing',
    goal: 'buy',
    variants: [
      { label: 'low', weight: 2, rate: 0.05 },
      { label: 'mid', weight: 1, rate: 0.04 },
      { label: 'high', weight: 1, rate: 0.03 },
    ],
  },
];

/** One tracking event as the browser client sends it. */
export type Event = { namespace: string; experiment: string; variant: string; event: string; uuid: string };

/** A request to send: a GET of one event or a POST of a visitor's events. */
export type Send = { kind: 'get'; event: Event } | { kind: 'post'; events: Event[] };

/** What was sent: distinct visitors and conversions per variant, and joint assignments per pair. */
export interface Truth {
  participants: number[][];
  conversions: number[][];
  /** Per pair of experiments `"a,b"`: visitors in variant i of a and j of b. */
  joint: Map<string, number[][]>;
}

/** The shares of requests sent twice and of requests cut off in flight before they are resent. */
export interface Faults {
  duplicates: number;
  lost: number;
}

/** One request of the plan and the faults it meets. */
export interface Planned {
  send: Send;
  duplicate: boolean;
  lost: boolean;
}

/**
 * The visitors' requests, in order, deterministic for a seed; `truth` fills in as the
 * generator runs. Each visitor is assigned with src/assign.ts (as the browser client does) and
 * converts with the variant's true rate.
 */
export function plan(
  experiments: SimExperiment[],
  namespace: string,
  visitors: number,
  seed: number,
  faults: Faults,
): { truth: Truth; requests: Generator<Planned> } {
  const random = prng(seed);
  const truth: Truth = {
    participants: experiments.map((e) => e.variants.map(() => 0)),
    conversions: experiments.map((e) => e.variants.map(() => 0)),
    joint: new Map(),
  };
  const track = (e: SimExperiment, variant: string, event: string, visitor: string): Event => ({
    namespace,
    experiment: e.name,
    variant,
    event,
    uuid: eventUuid(namespace, e.name, event, visitor),
  });
  function* requests(): Generator<Planned> {
    for (let v = 0; v < visitors; v++) {
      const visitor = visitorId(random);
      const events: Event[] = [];
      const chosen = experiments.map((e, i) => {
        const { index, variant } = assign(e.name, visitor, e.variants);
        truth.participants[i][index]++;
        events.push(track(e, variant, 'participate', visitor));
        if (random.next() < e.variants[index].rate) {
          truth.conversions[i][index]++;
          events.push(track(e, variant, e.goal, visitor));
        }
        return index;
      });
      countJoint(experiments, truth.joint, chosen);
      // Half the visitors send each event as a GET (Alephbet's GimelAdapter), half batch them in one POST.
      // GET /track reads + as a space (as Alephbet sends spaces), so events with a + in a name are POSTed.
      const get = random.next() < 0.5 && !events.some(hasPlus);
      const sends: Send[] = get ? events.map((event) => ({ kind: 'get', event })) : [{ kind: 'post', events }];
      for (const s of sends) {
        yield { send: s, duplicate: random.next() < faults.duplicates, lost: random.next() < faults.lost };
      }
    }
  }
  return { truth, requests: requests() };
}

/** Whether a name of the event holds a `+`, which GET /track would read as a space. */
const hasPlus = (e: Event): boolean => Object.values(e).some((name) => name.includes('+'));

/** Adds one visitor's variants (`chosen[i]` in experiment i) to the joint table of every pair. */
function countJoint(experiments: SimExperiment[], joint: Truth['joint'], chosen: number[]): void {
  for (let a = 0; a < experiments.length; a++) {
    for (let b = a + 1; b < experiments.length; b++) {
      const key = `${a},${b}`;
      if (!joint.has(key))
        joint.set(
          key,
          experiments[a].variants.map(() => experiments[b].variants.map(() => 0)),
        );
      joint.get(key)![chosen[a]][chosen[b]]++;
    }
  }
}

/** 64 random bits as hex: a visitor id like the browser client's. */
const visitorId = (random: Prng): string =>
  random.uint32().toString(16).padStart(8, '0') + random.uint32().toString(16).padStart(8, '0');

/** Refuses an empty list, a name given twice, or an experiment with fewer than two variants. */
export function checkExperiments(experiments: SimExperiment[]): void {
  if (experiments.length === 0) throw new InputError('--experiment', 'simulate needs at least one experiment');
  const names = new Set<string>();
  for (const e of experiments) {
    if (names.has(e.name)) throw new InputError('--experiment', `experiment "${e.name}" is given twice`);
    names.add(e.name);
    if (e.variants.length < 2) {
      throw new InputError('--experiment', `experiment "${e.name}" needs at least two variants`);
    }
  }
}

/**
 * Parses `--experiment name[/goal]:label=weight@rate,label=weight@rate,...`, e.g.
 * `button/click:red=1@0.10,green=1@0.12`. The goal defaults to "convert".
 */
export function parseExperiment(text: string): SimExperiment {
  const m = /^([^:/]+)(?:\/([^:]+))?:(.+)$/.exec(text.trim());
  const hint = 'write it as name[/goal]:label=weight@rate,label=weight@rate, e.g. button/click:red=1@0.10,green=1@0.12';
  if (!m) throw new InputError('--experiment', `cannot read --experiment "${text}": ${hint}`);
  const variants = m[3].split(',').map((part) => {
    const v = /^([^=@]+)=([0-9.]+)@([0-9.]+)$/.exec(part.trim());
    const weight = Number(v?.[2]);
    const rate = Number(v?.[3]);
    if (!v || !(weight > 0) || !(rate >= 0 && rate <= 1)) {
      throw new InputError(
        '--experiment',
        `cannot read variant "${part}" of --experiment "${text}" (weight > 0, rate from 0 to 1): ${hint}`,
      );
    }
    return { label: v[1], weight, rate };
  });
  return { name: m[1], goal: m[2] ?? 'convert', variants };
}
