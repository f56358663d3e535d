import { assign, eventUuid, pick } from '../assign';
import { isRetryable, MAX_BATCH, NAME_LENGTH_LIMIT, PARTICIPATE, type WireEvent } from '../protocol';
import { configUrl, parseConfig, usable, type Definitions } from './definitions';
import { eventKey, forcedVariants, invalidName, rejectedOf } from './wire';
import type { ClientEnv, ExperimentHandle, ExperimentOptions, GoalOptions, InitOptions } from './types';

export type { ClientEnv } from './types';
export { forcedVariants } from './wire';

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
  /** Unique goals already queued: `experiment\ngoal` (`\nphase` from phase 1 on) → 1. */
  done: Record<string, 1>;
  /** The phase of a defined experiment the visitor's participation was sent for. */
  p?: Record<string, number>;
}

/** How long a first visit waits for the definitions by default, in ms. */
export const WAIT_MS = 300;

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
  /** The server's definitions (cached or fresh); null while a first visit waits for them. */
  let defs: Definitions | null = {};
  /** Decisions waiting for the definitions, and the experiments this page decided (redone when they change). */
  let pending: (() => void)[] = [];
  let shown: { o: ExperimentOptions; handle: ExperimentHandle }[] = [];
  /**
   * Experiments this page entered on the code's definition because the wait ran out: when the
   * definitions come after all, their participation already counts in the server's phase.
   */
  let guessed: Set<string> | null = null;
  const settle = (found?: Definitions) => {
    if (defs) return;
    if (!found) guessed = new Set();
    defs = found || {};
    const run = pending;
    pending = [];
    run.forEach((fn) => fn());
  };
  /** The visitor id that makes event uuids of phase N ≥ 1 differ from those of other phases. */
  const phased = (phase: number) => (phase ? `${visitor}\n${phase}` : visitor);

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
      save(
        QUEUE_KEY,
        queue().filter((e) => !sent.has(eventKey(e))),
      );
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
    try {
      if (!o || !o.url) return env.warn('abtest: init needs { url }');
      opts = { url: o.url, namespace: o.namespace, userId: o.userId };
      defs = {};
      shown = [];
      const userId = o.userId === undefined || o.userId === null || o.userId === '' ? null : String(o.userId);
      if (userId) visitor = userId;
      else {
        visitor = load<string>(VISITOR_KEY, '');
        if (!visitor) save(VISITOR_KEY, (visitor = env.randomId()));
      }
      stateKey = `abtest:${o.namespace ?? ''}`;
      const saved = load<VisitorState | null>(stateKey, null);
      state =
        saved && saved.id === visitor && saved.a && saved.in && saved.done
          ? saved
          : { id: visitor, a: {}, in: {}, done: {} };
      failures = 0;
      schedule(0);
      fetchDefinitions(o);
    } catch (e) {
      opts = null;
      env.warn('abtest: init failed', e);
    }
  };

  /**
   * Definitions: the cached ones decide at once (a first visit waits up to `wait` ms); the
   * fresh answer is cached for the next page and, when it differs, decides again the
   * experiments this page showed (a paused one switches to its fallback and stops tracking).
   */
  const fetchDefinitions = (o: InitOptions) => {
    const url = configUrl(o.url, o.namespace, o.config);
    if (!url || !env.get) return;
    const key = `abtest:config:${o.namespace ?? ''}`;
    const cached = load<Definitions | null>(key, null);
    defs = cached;
    if (!cached) env.setTimeout(() => settle(), o.wait ?? WAIT_MS);
    env.get(url).then(
      ({ status, text }) => {
        const fresh = status === 200 ? parseConfig(text) : null;
        if (fresh) save(key, fresh);
        if (!defs || !fresh) return settle(fresh || {});
        if (JSON.stringify(defs) !== JSON.stringify(fresh)) {
          defs = fresh;
          shown.forEach(({ o: e, handle }) => decide(e, handle));
        }
      },
      () => settle(),
    );
  };

  const experiment = (o: ExperimentOptions): ExperimentHandle => {
    const handle: ExperimentHandle = { name: o && o.name, variant: null, tracked: false };
    try {
      const labels = Object.keys((o && o.variants) || {});
      if (!labels.length) {
        env.warn('abtest: an experiment needs a name and variants');
        return handle;
      }
      if (forced[o.name] !== undefined && labels.includes(forced[o.name])) {
        show(o, handle, forced[o.name], false);
      } else if (!opts) {
        env.warn('abtest: call abtest.init({ url }) before abtest.experiment; showing the first variant, untracked');
        show(o, handle, labels[0], false);
      } else if (!defs) {
        pending.push(() => decide(o, handle));
      } else decide(o, handle);
    } catch (e) {
      env.warn('abtest: experiment failed', e);
    }
    return handle;
  };

  /** Picks (or recalls) the variant with the server's definition when usable, else the code's, and tracks it. */
  const decide = (o: ExperimentOptions, handle: ExperimentHandle) => {
    try {
      if (!opts) return;
      if (!shown.some((x) => x.handle === handle)) shown.push({ o, handle });
      const labels = Object.keys(o.variants);
      const d = usable(o, defs![o.name]);
      if (defs![o.name] && !d)
        env.warn(`abtest: the server's definition of "${o.name}" names variants this page lacks; using the code's`);
      const phase = d ? d.phase : 0;
      const done = (variant: string, tracked: boolean) => {
        save(stateKey, state);
        show(o, handle, variant, tracked);
      };
      if (d && d.state !== 'running') {
        delete state.in[o.name];
        return done(d.state === 'rolled_out' && d.winner ? d.winner : d.fallback, false);
      }
      if (!state.in[o.name] && o.trigger && !safe(o.trigger)) return;
      const list = d ? d.variants : labels.map((label) => ({ label, weight: o.variants[label].weight }));
      const sample = d ? d.sample : o.sample === undefined ? 1 : o.sample;
      // A visitor keeps the variant given first (weights may change since): a user id's comes from
      // the hash (the same on every device), an anonymous visitor's from a random draw.
      let chosen = state.a[o.name];
      if (chosen === undefined || (chosen !== '' && !list.some((v) => v.label === chosen))) {
        const byUser = opts.userId !== undefined && opts.userId !== null && opts.userId !== '';
        const a = byUser ? assign(o.name, visitor, list, sample) : pick(env.random(), list, sample);
        chosen = state.a[o.name] = a.inSample ? a.variant : '';
      }
      const tracked = chosen !== '';
      const p = (state.p = state.p || {});
      let sent = false;
      if (tracked && (state.in[o.name] !== chosen || (p[o.name] || 0) !== phase)) {
        const counted = !!guessed && guessed.has(o.name) && state.in[o.name] === chosen && !p[o.name];
        state.in[o.name] = chosen;
        if (phase) p[o.name] = phase;
        else delete p[o.name];
        if (!counted) {
          const uuid = eventUuid(opts.namespace ?? '', o.name, PARTICIPATE, phased(phase));
          enqueue({ namespace: opts.namespace, experiment: o.name, variant: chosen, event: PARTICIPATE, uuid });
          sent = true;
        }
      }
      if (guessed && sent && !d) guessed.add(o.name);
      if (!tracked && d) delete state.in[o.name];
      done(tracked ? chosen : d ? d.fallback : labels[0], tracked);
    } catch (e) {
      env.warn('abtest: experiment failed', e);
    }
  };

  /** Shows `variant` (activates it unless it is already shown). */
  const show = (o: ExperimentOptions, handle: ExperimentHandle, variant: string, tracked: boolean) => {
    const changed = handle.variant !== variant;
    handle.variant = variant;
    handle.tracked = tracked;
    const activate = o.variants[variant].activate;
    if (changed && activate) safe(() => activate(variant));
  };

  /** Calls `fn` once the experiments are decided (at once, unless a first visit waits for the definitions). */
  const ready = (fn: () => void) => {
    if (defs) safe(fn);
    else pending.push(() => safe(fn));
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
    try {
      if (!opts) return env.warn('abtest: call abtest.init({ url }) first');
      const unique = !o || o.unique !== false;
      for (const exp of Object.keys(state.in)) {
        const d = defs && defs[exp];
        const phase = (state.p && state.p[exp]) || 0;
        // Forced, or defined and no longer running in the phase the visitor entered: not counted.
        if (forced[exp] !== undefined || (d && (d.state !== 'running' || d.phase !== phase))) continue;
        const done = phase ? `${exp}\n${name}\n${phase}` : `${exp}\n${name}`;
        if (unique && state.done[done]) continue;
        if (unique) state.done[done] = 1;
        const uuid = unique ? eventUuid(opts.namespace ?? '', exp, name, phased(phase)) : env.randomId();
        enqueue({ namespace: opts.namespace, experiment: exp, variant: state.in[exp], event: name, uuid });
      }
      save(stateKey, state);
    } catch (e) {
      env.warn('abtest: complete failed', e);
    }
  };

  return { init, experiment, complete, ready, flush, pageHidden };
}
