import { assign, eventUuid, pick } from '../assign';
import {
  isRetryable, MAX_BATCH, NAME_LENGTH_LIMIT, nameProblem, PARTICIPATE, type TrackAnswer, type WireEvent,
} from '../protocol';
import type { ClientEnv, ExperimentHandle, ExperimentOptions, GoalOptions, InitOptions } from './types';

export type { ClientEnv } from './types';

/**
 * The browser client's logic, with the browser (storage, network, clock, randomness, page
 * URL) passed in, so that it runs the same in a page and in a unit test. `index.ts` wires it
 * to the real browser. Nothing here throws into the host page: every public entry catches.
 */

/** Events kept for retry at most; the oldest go first. */
export const QUEUE_MAX = 500;
/** Attempts within one page before waiting for the next page. */
export const RETRIES = 5;
const QUEUE_KEY = 'abtest:queue';
const VISITOR_KEY = 'abtest:visitor';

interface VisitorState {
  /** The visitor id this state belongs to. */
  id: string;
  /** Anonymous assignments: experiment → variant ('' = outside the sample). */
  a: Record<string, string>;
  /** Experiments the visitor is in: experiment → variant. */
  in: Record<string, string>;
  /** Unique goals already queued: `experiment\ngoal` → 1. */
  done: Record<string, 1>;
}

/**
 * Names no server takes are not queued. A server's own `max_name_length` may be lower: it then
 * refuses those events alone, and the client drops them.
 */
const invalidName = (s: unknown): boolean => nameProblem(s, NAME_LENGTH_LIMIT) !== null;

/** The identity of a queued event: the same event queued twice is kept once. */
const eventKey = (e: WireEvent): string => [e.namespace, e.experiment, e.variant, e.event, e.uuid].join('\n');

/** How many events a 2xx answer of /track lists as refused (0 when it lists none or is not JSON). */
function rejectedOf(text: string): number {
  try {
    return ((JSON.parse(text) as TrackAnswer).rejected || []).length;
  } catch {
    return 0;
  }
}

/** Parses `?abtest_force=experiment:variant,other:variant` (repeatable) into experiment → variant. */
export function forcedVariants(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  const params = new URLSearchParams(search);
  for (const value of params.getAll('abtest_force')) {
    for (const pair of value.split(',')) {
      const at = pair.lastIndexOf(':');
      if (at > 0) out[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return out;
}

/** The client: `init`, `experiment`, `complete`, plus `flush` and `pageHidden` for the page wiring. */
export function createClient(env: ClientEnv) {
  // Storage that falls back to memory when localStorage is missing or refuses (private mode).
  const memory: Record<string, string> = {};
  let persistent = !!env.storage;
  const load = <T>(key: string, fallback: T): T => {
    try {
      const text = persistent ? env.storage!.getItem(key) : memory[key];
      return text ? JSON.parse(text) : fallback;
    } catch {
      return fallback;
    }
  };
  const save = (key: string, value: unknown) => {
    const text = JSON.stringify(value);
    memory[key] = text;
    try {
      if (persistent) env.storage!.setItem(key, text);
    } catch {
      persistent = false;
    }
  };

  let opts: InitOptions | null = null;
  let visitor = '';
  let stateKey = '';
  let state: VisitorState = { id: '', a: {}, in: {}, done: {} };
  const forced = forcedVariants(env.search);
  let sending = false;
  let scheduled = false;
  let failures = 0;
  /** Events per POST: halved while the server refuses a batch as a whole (400, 413). */
  let limit = MAX_BATCH;

  const queue = (): WireEvent[] => load<WireEvent[]>(QUEUE_KEY, []);

  const enqueue = (e: WireEvent) => {
    const names = [e.experiment, e.variant, e.event];
    if (e.namespace !== undefined) names.push(e.namespace);
    if (names.some(invalidName)) {
      env.warn(`abtest: not tracked, a name is empty, longer than ${NAME_LENGTH_LIMIT}, or not text`, e);
      return;
    }
    const q = queue();
    const key = eventKey(e);
    if (q.some((x) => eventKey(x) === key)) return;
    q.push(e);
    save(QUEUE_KEY, q.slice(-QUEUE_MAX));
    schedule(0);
  };

  const schedule = (ms: number) => {
    if (scheduled) return;
    scheduled = true;
    env.setTimeout(() => {
      scheduled = false;
      flush();
    }, ms);
  };

  /**
   * Sends the queue in batches. A 2xx confirms the batch (events the server lists as
   * `rejected` are refused for good and go too); no answer, 408, 429 and 5xx are retried;
   * a 400 or 413 of a batch is retried in halves until the event at fault is alone; any
   * other answer is final.
   */
  const flush = async (): Promise<void> => {
    if (sending || !opts) return;
    const batch = queue().slice(0, limit);
    if (batch.length === 0) return;
    sending = true;
    let answer = { status: 0, text: '' };
    try {
      answer = await env.post(opts.url, JSON.stringify(batch));
    } catch {
      // no network: retried below
    }
    sending = false;
    const { status } = answer;
    if (isRetryable(status)) {
      // Try again later in this page, then on the next page.
      if (++failures < RETRIES) schedule(1000 * 2 ** (failures - 1));
      return;
    }
    failures = 0;
    if ((status === 400 || status === 413) && batch.length > 1) {
      limit = Math.ceil(batch.length / 2);
    } else {
      const refused = status < 300 ? rejectedOf(answer.text) : batch.length;
      if (refused > 0) env.warn(`abtest: the track endpoint refused ${refused} event(s) (HTTP ${status})`);
      const sent = new Set(batch.map(eventKey));
      save(QUEUE_KEY, queue().filter((e) => !sent.has(eventKey(e))));
    }
    if (queue().length > 0) schedule(0);
    else limit = MAX_BATCH;
  };

  /**
   * The page is going away: hand what is still queued to `sendBeacon`. The events stay queued
   * until a later POST confirms them; their uuids make the repeat count once.
   */
  const pageHidden = () => {
    try {
      if (!opts) return;
      const q = queue();
      for (let i = 0; i < q.length; i += MAX_BATCH) {
        const body = JSON.stringify(q.slice(i, i + MAX_BATCH));
        if (!env.beacon(opts.url, body)) env.post(opts.url, body).catch(() => null);
      }
    } catch {
      // nothing to do: the queue is still there for the next page
    }
  };

  const init = (o: InitOptions) => {
    if (!o || !o.url) {
      opts = null;
      return env.warn('abtest: init needs { url }');
    }
    try {
      opts = { url: o.url, namespace: o.namespace, userId: o.userId };
      const userId = o.userId === undefined || o.userId === null || o.userId === '' ? null : String(o.userId);
      if (userId) visitor = userId;
      else {
        visitor = load<string>(VISITOR_KEY, '');
        if (!visitor) save(VISITOR_KEY, (visitor = env.randomId()));
      }
      stateKey = `abtest:${o.namespace ?? ''}`;
      const saved = load<VisitorState | null>(stateKey, null);
      state = saved && saved.id === visitor && saved.a && saved.in && saved.done ? saved : { id: visitor, a: {}, in: {}, done: {} };
      failures = 0;
      schedule(0);
    } catch (e) {
      opts = null;
      env.warn('abtest: init failed', e);
    }
  };

  const experiment = (o: ExperimentOptions): ExperimentHandle => {
    const handle: ExperimentHandle = { name: o && o.name, variant: null, tracked: false };
    const labels = Object.keys((o && o.variants) || {});
    if (!labels.length) {
      env.warn('abtest: an experiment needs a name and variants');
      return handle;
    }
    try {
      const list = labels.map((label) => ({ label, weight: o.variants[label].weight }));
      let variant: string;
      let tracked = false;
      if (forced[o.name] !== undefined && labels.includes(forced[o.name])) {
        variant = forced[o.name];
      } else if (!opts) {
        env.warn('abtest: call abtest.init({ url }) before abtest.experiment; showing the first variant, untracked');
        variant = labels[0];
      } else {
        if (!state.in[o.name] && o.trigger && !safe(o.trigger)) return handle;
        const sample = o.sample === undefined ? 1 : o.sample;
        let chosen: string | undefined;
        if (opts.userId !== undefined && opts.userId !== null && opts.userId !== '') {
          const a = assign(o.name, visitor, list, sample);
          chosen = a.inSample ? a.variant : '';
        } else {
          chosen = state.a[o.name];
          if (chosen === undefined || (chosen !== '' && !labels.includes(chosen))) {
            const a = pick(env.random(), list, sample);
            chosen = state.a[o.name] = a.inSample ? a.variant : '';
          }
        }
        tracked = chosen !== '';
        variant = tracked ? chosen : labels[0];
        if (tracked && state.in[o.name] !== variant) {
          state.in[o.name] = variant;
          enqueue({ namespace: opts.namespace, experiment: o.name, variant, event: PARTICIPATE, uuid: eventUuid(opts.namespace ?? '', o.name, PARTICIPATE, visitor) });
        }
        save(stateKey, state);
      }
      handle.variant = variant;
      handle.tracked = tracked;
      const activate = o.variants[variant].activate;
      if (activate) safe(() => activate(variant));
    } catch (e) {
      env.warn('abtest: experiment failed', e);
    }
    return handle;
  };

  /** Calls host code; a throw is reported, not passed on. */
  const safe = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      env.warn('abtest: a trigger or activate function threw', e);
      return undefined;
    }
  };

  /** Counts goal `name` in every experiment the visitor is in (forced ones excepted). */
  const complete = (name: string, o?: GoalOptions) => {
    if (!opts) return env.warn('abtest: call abtest.init({ url }) first');
    try {
      const unique = !o || o.unique !== false;
      for (const exp of Object.keys(state.in)) {
        if (forced[exp] !== undefined) continue;
        const done = `${exp}\n${name}`;
        if (unique && state.done[done]) continue;
        if (unique) state.done[done] = 1;
        enqueue({ namespace: opts.namespace, experiment: exp, variant: state.in[exp], event: name, uuid: unique ? eventUuid(opts.namespace ?? '', exp, name, visitor) : env.randomId() });
      }
      save(stateKey, state);
    } catch (e) {
      env.warn('abtest: complete failed', e);
    }
  };

  return { init, experiment, complete, flush, pageHidden };
}
