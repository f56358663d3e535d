import type { Config, Counting } from '../config';
import { experimentKeys, namespaceKey, namespacesKey } from './keys';
import { checkDeadline, guard, type RedisClient } from './redis';
import { TRACK, withScripts, type ScriptClient } from './scripts';

export { createRedis, guard, type RedisClient } from './redis';

/** The pseudo-goal of entering an experiment: its counter is a variant's participants. */
export const PARTICIPATE = 'participate';

/** One tracking event, validated. */
export interface TrackEvent {
  namespace: string;
  experiment: string;
  variant: string;
  event: string;
  uuid: string;
}

/** What happened to a batch: events counted (new or already seen) and events a cap refused. */
export interface TrackOutcome {
  stored: number;
  rejected: { index: number; message: string }[];
}

export interface VariantCount {
  label: string;
  participants: number;
}
export interface GoalResult {
  goal: string;
  results: { label: string; successes: number; trials: number }[];
}
/** One experiment's counts. Variants and goals are sorted by name; the order is stable. */
export interface ExperimentCounts {
  experiment: string;
  counting: Counting;
  /** Relative standard error of each count: 0 when exact, 1.04/sqrt(16384) for HLL. */
  standard_error: number;
  variants: VariantCount[];
  goals: GoalResult[];
}

/** Relative standard error of a Redis HyperLogLog (16384 registers). */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(16384);

export const standardError = (mode: Counting): number => (mode === 'hll' ? HLL_STANDARD_ERROR : 0);

/** The counter store the handlers use. */
export interface CounterStore {
  track(events: TrackEvent[]): Promise<TrackOutcome>;
  results(namespace: string, scope?: string[]): Promise<ExperimentCounts[]>;
  /** Removes every key of an experiment and its index entry; false when it did not exist. */
  deleteExperiment(namespace: string, experiment: string): Promise<boolean>;
}

/**
 * The Redis counter store. Counting an event of a listed experiment is one script call (one
 * round trip); an experiment that is new, or deleted since, first takes its place in the
 * namespace index through the capped index script (see ./scripts for how this stays right
 * while other processes track and delete).
 */
export class RedisCounterStore implements CounterStore {
  private readonly redis: ScriptClient;
  /** The script arguments that come from the config, as strings once. */
  private readonly caps: { variants: string; goals: string; experiments: string; namespaces: string };

  constructor(redis: RedisClient, private readonly config: Config) {
    this.redis = withScripts(redis);
    this.caps = {
      variants: String(config.max_variants_per_experiment),
      goals: String(config.max_goals_per_experiment),
      experiments: String(config.max_experiments_per_namespace),
      namespaces: String(config.max_namespaces),
    };
  }

  async track(events: TrackEvent[]): Promise<TrackOutcome> {
    return guard(this.redis, this.config, async (deadline) => {
      const outcomes = await Promise.all(events.map((e, index) => this.count(e, index, deadline)));
      const rejected = outcomes.filter((o): o is TrackOutcome['rejected'][number] => o !== null);
      return { stored: events.length - rejected.length, rejected };
    });
  }

  /** Counts one event; `gen` is what the experiment's meta said before indexing ('' at first). */
  private async count(e: TrackEvent, index: number, deadline: number, gen = ''): Promise<TrackOutcome['rejected'][number] | null> {
    const { config } = this;
    const keys = experimentKeys(config.key_prefix, e.namespace, e.experiment);
    const [code, seen] = await this.redis.abtestTrack(
      keys.meta, keys.variants, keys.goals, keys.counter(e.event, e.variant),
      e.uuid, e.variant, e.event, config.counting, this.caps.variants, this.caps.goals,
      e.event === PARTICIPATE ? '0' : '1', gen,
    );
    const exceeds = (what: string, key: 'max_variants_per_experiment' | 'max_goals_per_experiment') =>
      ({ index, message: `${what} would exceed ${key} (${config[key]}) in experiment "${e.experiment}"` });
    if (code === TRACK.variantCap) return exceeds(`variant "${e.variant}"`, 'max_variants_per_experiment');
    if (code === TRACK.goalCap) return exceeds(`goal "${e.event}"`, 'max_goals_per_experiment');
    if (code >= 0) return null;
    checkDeadline(deadline);
    if (code === TRACK.busy) {
      // A delete of this experiment is running: count after it, as a new experiment.
      await new Promise((r) => setTimeout(r, 5));
      return this.count(e, index, deadline);
    }
    // needsIndex, or moved (a delete came between index and count): take a place, confirm.
    const refusal = await this.index(e);
    return refusal ? { index, message: refusal } : this.count(e, index, deadline, seen);
  }

  /** Puts an experiment in the namespace index unless a cap refuses; the refusal's text, else null. */
  private async index(e: { namespace: string; experiment: string }): Promise<string | null> {
    const { config } = this;
    const prefix = config.key_prefix;
    const { namespace, experiment } = e;
    const ok = await this.redis.abtestIndex(namespacesKey(prefix), namespaceKey(prefix, namespace),
      namespace, experiment, this.caps.experiments, this.caps.namespaces);
    if (ok === 1) return null;
    if (ok === 0) {
      const cap = config.max_experiments_per_namespace;
      return `experiment "${experiment}" would exceed max_experiments_per_namespace (${cap}) in namespace "${namespace}"`;
    }
    return `namespace "${namespace}" would exceed max_namespaces (${config.max_namespaces})`;
  }

  async results(namespace: string, scope?: string[]): Promise<ExperimentCounts[]> {
    const prefix = this.config.key_prefix;
    return guard(this.redis, this.config, async () => {
      const names = scope ?? (await this.redis.smembers(namespaceKey(prefix, namespace)));
      const sorted = [...new Set(names)].sort(byName);
      const all = await Promise.all(sorted.map((name) => this.experimentCounts(namespace, name)));
      return all.filter((x): x is ExperimentCounts => x !== null);
    });
  }

  private async experimentCounts(namespace: string, experiment: string): Promise<ExperimentCounts | null> {
    const keys = experimentKeys(this.config.key_prefix, namespace, experiment);
    const [mode, variantSet, goalSet] = await Promise.all([
      this.redis.hget(keys.meta, 'mode'),
      this.redis.smembers(keys.variants),
      this.redis.smembers(keys.goals),
    ]);
    if (!mode) return null;
    const counting: Counting = mode === 'exact' ? 'exact' : 'hll';
    const count = (key: string) => (counting === 'exact' ? this.redis.scard(key) : this.redis.pfcount(key));
    const variants = variantSet.sort(byName);
    const goals = goalSet.sort(byName);
    const [participants, ...goalCounts] = await Promise.all(
      [PARTICIPATE, ...goals].map((event) => Promise.all(variants.map((v) => count(keys.counter(event, v))))),
    );
    return {
      experiment,
      counting,
      standard_error: standardError(counting),
      variants: variants.map((label, i) => ({ label, participants: participants[i] })),
      goals: goals.map((goal, g) => ({
        goal,
        results: variants.map((label, i) => ({ label, successes: goalCounts[g][i], trials: participants[i] })),
      })),
    };
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
      const [existed, variants, goals] = await this.redis.abtestTomb(
        keys.meta, keys.variants, keys.goals, token, String(TOMB_MS));
      const counters = [PARTICIPATE, ...goals].flatMap((event) => variants.map((v) => keys.counter(event, v)));
      await this.redis.del(keys.variants, keys.goals, ...counters);
      const removed = await this.redis.srem(namespaceKey(prefix, namespace), experiment);
      const found = existed === 1 || removed > 0 || variants.length > 0;
      await this.redis.abtestUntomb(keys.meta, token, String(MARKER_MS), found ? '0' : '1');
      return existed === 1 || removed > 0;
    });
  }
}

/** How long a delete may block tracking if its process dies halfway. */
const TOMB_MS = 10_000;
/** How long the marker of a finished delete stays (longer than any tracking request). */
const MARKER_MS = 60_000;

const byName = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });
