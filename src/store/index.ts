import type { Config } from '../config';
import type { ExperimentResults, ExperimentSummary } from '../results';
import type { Definition } from '../experiments/definition';
import { InputError } from '../errors';
import { readDefinition, readDefinitions, writeDefinition } from './definitions';
import { dayField, definitionsKey, experimentKeys, keysCache, type KeysOf, namespaceKey, namespacesKey } from './keys';
import { checkDeadline, guard, hotClient, ping, runScript, type HotClient, type RedisClient } from './redis';
import { byName, dayCounts, experimentNames, experimentResults, experimentSummary, readAll } from './results';
import { indexScript, TRACK, tombScript, trackScript, untombScript } from './scripts';
import { convert, participate, type ConvertInput, type ParticipateInput, type SixpackOutcome } from './sixpack';
import { PARTICIPATE, type TrackEvent } from '../protocol';
import { dayOf, type DayCount } from '../series';

export { createRedis, guard, type RedisClient } from './redis';
export { HLL_STANDARD_ERROR, standardError } from './results';

export { PARTICIPATE, type TrackEvent } from '../protocol';
export type { ConvertInput, ParticipateInput, SixpackOutcome, SixpackRefusal } from './sixpack';

/** What happened to a batch: events counted (new or already seen) and events a cap refused. */
export interface TrackOutcome {
  stored: number;
  /** Events refused on their own: `field` names the part of the event that is refused. */
  rejected: { index: number; field: 'namespace' | 'experiment' | 'variant' | 'event'; message: string }[];
}

/** The counter store the handlers use. */
export interface CounterStore {
  /** The store's clock: the instant whose UTC day events count in when `track` is given no time. */
  now(): Date;
  /** Counts events; those new to their counter also count in the day bucket of `at` (UTC). @default at: now() */
  track(events: TrackEvent[], at?: Date): Promise<TrackOutcome>;
  /**
   * The named experiments (sorted by name), or all of the namespace; missing ones are left out.
   * `phases` says which phase to read of an experiment (default 0: the undefined experiment's keys).
   */
  results(namespace: string, scope?: string[], phases?: Record<string, number>): Promise<ExperimentResults[]>;
  /** The day buckets of the named experiments, each in its phase of `phases` (default 0); none for a missing one. */
  dayCounts(namespace: string, names: string[], phases?: Record<string, number>): Promise<Map<string, DayCount[]>>;
  /** The experiments of a namespace, sorted by name. */
  experimentNames(namespace: string): Promise<string[]>;
  /** Participants only, for the named experiments in the order given; missing ones are left out. */
  summaries(namespace: string, names: string[]): Promise<ExperimentSummary[]>;
  /** Removes every key of an experiment (all phases, its definition) and its index entries; false when it did not exist. */
  deleteExperiment(namespace: string, experiment: string): Promise<boolean>;
  /** One experiment's definition, or null. */
  definition(namespace: string, experiment: string): Promise<Definition | null>;
  /** The definitions of a namespace sorted by experiment name, or those of the named experiments that have one. */
  definitions(namespace: string, names?: string[]): Promise<Definition[]>;
  /**
   * Stores `d` if the stored version is still `previous` (0: a new definition, which takes a
   * place in the namespace index under the caps); else a ConflictError (409).
   */
  saveDefinition(d: Definition, previous: number): Promise<void>;
  /** Sixpack's `/participate` on a defined experiment: one round trip (src/store/sixpack.ts). */
  participate(p: ParticipateInput): Promise<SixpackOutcome>;
  /** Sixpack's `/convert`: one round trip. */
  convert(c: ConvertInput): Promise<SixpackOutcome>;
  /** Resolves when Redis answers PING within the deadline (else an UnavailableError). */
  ping(): Promise<void>;
}

/**
 * The Redis counter store. Counting an event of a listed experiment is one script call (one
 * round trip); an experiment that is new, or deleted since, first takes its place in the
 * namespace index through the capped index script (see ./scripts for how this stays right
 * while other processes track and delete).
 */
export class RedisCounterStore implements CounterStore {
  /** Runs the hot path: track (with indexing), participate, convert, ping. */
  private readonly hot: HotClient;
  /** The script arguments that come from the config, as strings once. */
  private readonly caps: { variants: string; goals: string; experiments: string; namespaces: string };
  /** The keys of the experiments the hot path counts into, remembered. */
  private readonly keysOf: KeysOf;

  /** @param clock what `now` is for the day buckets (tests pass a controlled one) @default the system clock */
  constructor(
    private readonly redis: RedisClient,
    private readonly config: Config,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.hot = hotClient(redis);
    this.keysOf = keysCache(config.key_prefix);
    this.caps = {
      variants: String(config.max_variants_per_experiment),
      goals: String(config.max_goals_per_experiment),
      experiments: String(config.max_experiments_per_namespace),
      namespaces: String(config.max_namespaces),
    };
  }

  now(): Date {
    return this.clock();
  }

  async track(events: TrackEvent[], at?: Date): Promise<TrackOutcome> {
    const day = dayOf(at ?? this.clock());
    return guard(this.hot, this.config, (deadline) => {
      // One event (every GET, most POSTs): no Promise.all.
      if (events.length === 1)
        return this.count(events[0], 0, day, deadline).then((o) => ({ stored: o ? 0 : 1, rejected: o ? [o] : [] }));
      return Promise.all(events.map((e, index) => this.count(e, index, day, deadline))).then((outcomes) => {
        const rejected = outcomes.filter((o): o is TrackOutcome['rejected'][number] => o !== null);
        return { stored: events.length - rejected.length, rejected };
      });
    });
  }

  /** Counts one event on `day`; `gen` is what the experiment's meta said before indexing ('' at first). */
  private async count(
    e: TrackEvent,
    index: number,
    day: string,
    deadline: number,
    gen = '',
  ): Promise<TrackOutcome['rejected'][number] | null> {
    const { config } = this;
    const keys = this.keysOf(e.namespace, e.experiment);
    const [code, seen, state] = await runScript(this.hot, trackScript, [
      keys.meta,
      keys.variants,
      keys.goals,
      keys.counter(e.event, e.variant),
      keys.days,
      e.uuid,
      e.variant,
      e.event,
      config.counting,
      this.caps.variants,
      this.caps.goals,
      e.event === PARTICIPATE ? '0' : '1',
      gen,
      keys.base,
      dayField(day, e.event, e.variant),
    ]);
    if (code === TRACK.notRunning) {
      return {
        index,
        field: 'experiment',
        message: `experiment "${e.experiment}" is ${STATE_WORDS[state ?? ''] ?? state}: events are not counted`,
      };
    }
    if (code === TRACK.undeclared) {
      return {
        index,
        field: 'variant',
        message: `variant "${e.variant}" is not a variant of the definition of experiment "${e.experiment}"`,
      };
    }
    const exceeds = (
      field: 'variant' | 'event',
      what: string,
      key: 'max_variants_per_experiment' | 'max_goals_per_experiment',
    ) => ({
      index,
      field,
      message: `${what} would exceed ${key} (${config[key]}) in experiment "${e.experiment}"`,
    });
    if (code === TRACK.variantCap) return exceeds('variant', `variant "${e.variant}"`, 'max_variants_per_experiment');
    if (code === TRACK.goalCap) return exceeds('event', `goal "${e.event}"`, 'max_goals_per_experiment');
    if (code >= 0) return null;
    checkDeadline(deadline);
    if (code === TRACK.busy) {
      // A delete of this experiment is running: count after it, as a new experiment.
      await new Promise((r) => setTimeout(r, 5));
      return this.count(e, index, day, deadline);
    }
    // needsIndex, or moved (a delete came between index and count): take a place, confirm.
    const refusal = await this.index(e);
    return refusal ? { index, ...refusal } : this.count(e, index, day, deadline, seen);
  }

  /** Puts an experiment in the namespace index unless a cap refuses; the refusal, else null. */
  private async index(e: {
    namespace: string;
    experiment: string;
  }): Promise<Omit<TrackOutcome['rejected'][number], 'index'> | null> {
    const { config } = this;
    const prefix = config.key_prefix;
    const { namespace, experiment } = e;
    const ok = await runScript(this.hot, indexScript, [
      namespacesKey(prefix),
      namespaceKey(prefix, namespace),
      namespace,
      experiment,
      this.caps.experiments,
      this.caps.namespaces,
    ]);
    if (ok === 1) return null;
    if (ok === 0) {
      const cap = config.max_experiments_per_namespace;
      const message = `experiment "${experiment}" would exceed max_experiments_per_namespace (${cap}) in namespace "${namespace}"`;
      return { field: 'experiment', message };
    }
    return {
      field: 'namespace',
      message: `namespace "${namespace}" would exceed max_namespaces (${config.max_namespaces})`,
    };
  }

  async results(
    namespace: string,
    scope?: string[],
    phases: Record<string, number> = {},
  ): Promise<ExperimentResults[]> {
    const { redis } = this;
    const prefix = this.config.key_prefix;
    return guard(redis, this.config, async () => {
      const names = scope ? [...new Set(scope)].sort(byName) : await experimentNames(redis, prefix, namespace);
      return readAll(names, (name) => experimentResults(redis, prefix, namespace, name, phases[name] ?? 0));
    });
  }

  async dayCounts(
    namespace: string,
    names: string[],
    phases: Record<string, number> = {},
  ): Promise<Map<string, DayCount[]>> {
    const prefix = this.config.key_prefix;
    return guard(this.redis, this.config, async () => {
      const all = await Promise.all(
        names.map((name) => dayCounts(this.redis, experimentKeys(prefix, namespace, name, phases[name] ?? 0))),
      );
      return new Map(names.map((name, i) => [name, all[i]]));
    });
  }

  async definition(namespace: string, experiment: string): Promise<Definition | null> {
    return guard(this.redis, this.config, () =>
      readDefinition(this.redis, this.config.key_prefix, namespace, experiment),
    );
  }

  async definitions(namespace: string, names?: string[]): Promise<Definition[]> {
    return guard(this.redis, this.config, () => readDefinitions(this.redis, this.config.key_prefix, namespace, names));
  }

  async saveDefinition(d: Definition, previous: number): Promise<void> {
    return guard(this.redis, this.config, async () => {
      if (previous === 0) {
        const refusal = await this.index(d);
        if (refusal) throw new InputError(refusal.field, refusal.message);
      }
      await writeDefinition(this.redis, this.config.key_prefix, d, previous, this.config.counting);
    });
  }

  participate(p: ParticipateInput): Promise<SixpackOutcome> {
    return this.untilNotBusy(() => participate(this.hot, this.keysOf, p));
  }

  convert(c: ConvertInput): Promise<SixpackOutcome> {
    return this.untilNotBusy(() => convert(this.hot, this.keysOf, c, this.config.max_goals_per_experiment));
  }

  /**
   * Runs a Sixpack script again while a delete of its experiment runs (as track does), within
   * the deadline. Promise chains rather than async functions: this runs on every request.
   */
  private untilNotBusy(run: () => Promise<SixpackOutcome>): Promise<SixpackOutcome> {
    return guard(this.hot, this.config, (deadline) => {
      const attempt = (): Promise<SixpackOutcome> =>
        run().then((out) => {
          if (out.refusal !== 'busy') return out;
          checkDeadline(deadline);
          return new Promise((r) => setTimeout(r, 5)).then(attempt);
        });
      return attempt();
    });
  }

  async ping(): Promise<void> {
    await guard(this.hot, this.config, () => ping(this.hot));
  }

  async experimentNames(namespace: string): Promise<string[]> {
    return guard(this.redis, this.config, () => experimentNames(this.redis, this.config.key_prefix, namespace));
  }

  async summaries(namespace: string, names: string[]): Promise<ExperimentSummary[]> {
    return guard(this.redis, this.config, () =>
      readAll(names, (name) => experimentSummary(this.redis, this.config.key_prefix, namespace, name)),
    );
  }

  /**
   * Deletes in an order that no tracking process can undo halfway: a tomb in the experiment's
   * meta stops tracking, the counters go, the index entry goes, and the tomb becomes a
   * short-lived marker whose new `gen` tells a tracker that was indexing meanwhile to start
   * again.
   */
  async deleteExperiment(namespace: string, experiment: string): Promise<boolean> {
    const prefix = this.config.key_prefix;
    const keys = experimentKeys(prefix, namespace, experiment);
    return guard(this.redis, this.config, async () => {
      const token = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
      const [existed, variants, goals, last] = await runScript(this.redis, tombScript, [
        keys.meta,
        keys.variants,
        keys.goals,
        token,
        String(TOMB_MS),
      ]);
      const counters = [PARTICIPATE, ...goals].flatMap((event) => variants.map((v) => keys.counter(event, v)));
      await this.redis.del(keys.variants, keys.goals, keys.days, keys.def, keys.assignments, ...counters);
      for (let phase = 1; phase <= last; phase++)
        await this.deletePhase(experimentKeys(prefix, namespace, experiment, phase));
      await this.redis.srem(definitionsKey(prefix, namespace), experiment);
      const removed = await this.redis.srem(namespaceKey(prefix, namespace), experiment);
      const found = existed === 1 || removed > 0 || variants.length > 0;
      await runScript(this.redis, untombScript, [keys.meta, token, String(MARKER_MS), found ? '0' : '1']);
      return existed === 1 || removed > 0;
    });
  }

  /** Removes the counters of one phase (tracking is blocked by the delete's tomb meanwhile). */
  private async deletePhase(keys: ReturnType<typeof experimentKeys>): Promise<void> {
    const [variants, goals] = await Promise.all([this.redis.smembers(keys.variants), this.redis.smembers(keys.goals)]);
    const counters = [PARTICIPATE, ...goals].flatMap((event) => variants.map((v) => keys.counter(event, v)));
    await this.redis.del(keys.variants, keys.goals, keys.days, ...counters);
  }
}

/** What a state is called in a refusal. */
const STATE_WORDS: Record<string, string> = { draft: 'a draft (not started)', rolled_out: 'rolled out' };

/** How long a delete may block tracking if its process dies halfway. */
const TOMB_MS = 10_000;
/** How long the marker of a finished delete stays (longer than any tracking request). */
const MARKER_MS = 60_000;
