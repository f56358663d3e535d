import type { Config } from '../config';
import type { ExperimentResults, ExperimentSummary } from '../results';
import { experimentKeys, namespaceKey, namespacesKey } from './keys';
import { guard, type RedisClient } from './redis';
import { byName, experimentNames, experimentResults, experimentSummary, readAll } from './results';
import { PARTICIPATE, type TrackEvent } from '../protocol';

export { createRedis, guard, type RedisClient } from './redis';
export { HLL_STANDARD_ERROR, standardError } from './results';

export { PARTICIPATE, type TrackEvent } from '../protocol';

/** What happened to a batch: events counted (new or already seen) and events a cap refused. */
export interface TrackOutcome {
  stored: number;
  rejected: { index: number; message: string }[];
}

/** The counter store the handlers use. */
export interface CounterStore {
  track(events: TrackEvent[]): Promise<TrackOutcome>;
  /** The named experiments (sorted by name), or all of the namespace; missing ones are left out. */
  results(namespace: string, scope?: string[]): Promise<ExperimentResults[]>;
  /** The experiments of a namespace, sorted by name. */
  experimentNames(namespace: string): Promise<string[]>;
  /** Participants only, for the named experiments in the order given; missing ones are left out. */
  summaries(namespace: string, names: string[]): Promise<ExperimentSummary[]>;
  /** Removes every key of an experiment and its index entry; false when it did not exist. */
  deleteExperiment(namespace: string, experiment: string): Promise<boolean>;
}

// KEYS: meta, variants, goals, counter. ARGV: uuid, variant, event, default mode,
// max variants, max goals, is-goal. Caps are checked before anything is written.
// Returns {added (1 new, 0 seen before, -1 variant cap, -2 goal cap), fresh (meta was absent)}.
const TRACK_SCRIPT = `
local mode = redis.call('HGET', KEYS[1], 'mode')
local fresh = 0
if not mode then mode = ARGV[4]; fresh = 1 end
local newVariant = redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0
if newVariant then
  local cap = tonumber(ARGV[5])
  if cap > 0 and redis.call('SCARD', KEYS[2]) >= cap then return {-1, fresh} end
end
local newGoal = ARGV[7] == '1' and redis.call('SISMEMBER', KEYS[3], ARGV[3]) == 0
if newGoal then
  local cap = tonumber(ARGV[6])
  if cap > 0 and redis.call('SCARD', KEYS[3]) >= cap then return {-2, fresh} end
end
if fresh == 1 then redis.call('HSET', KEYS[1], 'mode', mode) end
if newVariant then redis.call('SADD', KEYS[2], ARGV[2]) end
if newGoal then redis.call('SADD', KEYS[3], ARGV[3]) end
if mode == 'exact' then
  return {redis.call('SADD', KEYS[4], ARGV[1]), fresh}
end
return {redis.call('PFADD', KEYS[4], ARGV[1]), fresh}
`;

// KEYS: namespaces index, experiments-of-namespace index. ARGV: namespace, experiment,
// max experiments per namespace, max namespaces. Returns 1 when indexed (now or before),
// 0 when the experiments cap refuses, -1 when the namespaces cap refuses.
const INDEX_SCRIPT = `
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return 1 end
local cap = tonumber(ARGV[3])
if cap > 0 and redis.call('SCARD', KEYS[2]) >= cap then return 0 end
local nscap = tonumber(ARGV[4])
if nscap > 0 and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('SCARD', KEYS[1]) >= nscap then return -1 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`;

type ScriptClient = RedisClient & {
  abtestTrack(k1: string, k2: string, k3: string, k4: string, ...argv: string[]): Promise<[number, number]>;
  abtestIndex(k1: string, k2: string, ...argv: string[]): Promise<number>;
};

const defined = new WeakSet<RedisClient>();

function withScripts(redis: RedisClient): ScriptClient {
  if (!defined.has(redis)) {
    redis.defineCommand('abtestTrack', { numberOfKeys: 4, lua: TRACK_SCRIPT });
    redis.defineCommand('abtestIndex', { numberOfKeys: 2, lua: INDEX_SCRIPT });
    defined.add(redis);
  }
  return redis as ScriptClient;
}

/**
 * The Redis counter store. One instance per process: it remembers which experiments it has
 * already put in the namespace index, so the hot path of a known experiment is one script
 * call (one round trip) per event.
 */
export class RedisCounterStore implements CounterStore {
  private readonly redis: ScriptClient;
  private readonly indexed = new Set<string>();
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
    return guard(async () => {
      // 1. Index experiments not yet known to this process (the cap on experiments is here).
      const fresh = new Set<string>();
      const refused = new Map<string, string>();
      for (const e of events) {
        const id = indexId(e);
        if (!this.indexed.has(id)) fresh.add(id);
      }
      if (fresh.size > 0) await Promise.all([...fresh].map((id) => this.index(id, refused)));
      // 2. Count every event of an admitted experiment: one script call each, pipelined.
      const outcomes = await Promise.all(events.map((e, index) => this.count(e, index, refused, fresh)));
      const rejected = outcomes.filter((o): o is TrackOutcome['rejected'][number] => o !== null);
      return { stored: events.length - rejected.length, rejected };
    });
  }

  private async index(id: string, refused: Map<string, string>): Promise<void> {
    const { config } = this;
    const [namespace, experiment] = id.split('\n');
    const prefix = config.key_prefix;
    const ok = await this.redis.abtestIndex(namespacesKey(prefix), namespaceKey(prefix, namespace), namespace, experiment, this.caps.experiments, this.caps.namespaces);
    if (ok === 1) this.indexed.add(id);
    else if (ok === 0) refused.set(id, `experiment "${experiment}" would exceed max_experiments_per_namespace (${config.max_experiments_per_namespace}) in namespace "${namespace}"`);
    else refused.set(id, `namespace "${namespace}" would exceed max_namespaces (${config.max_namespaces})`);
  }

  private async count(e: TrackEvent, index: number, refused: Map<string, string>, justIndexed: Set<string>): Promise<TrackOutcome['rejected'][number] | null> {
    const { config } = this;
    const id = indexId(e);
    const refusal = refused.get(id);
    if (refusal) return { index, message: refusal };
    const keys = experimentKeys(config.key_prefix, e.namespace, e.experiment);
    const [added, fresh] = await this.redis.abtestTrack(
      keys.meta, keys.variants, keys.goals, keys.counter(e.event, e.variant),
      e.uuid, e.variant, e.event, config.counting, this.caps.variants, this.caps.goals, e.event === PARTICIPATE ? '0' : '1',
    );
    if (added === -1) return { index, message: `variant "${e.variant}" would exceed max_variants_per_experiment (${config.max_variants_per_experiment}) in experiment "${e.experiment}"` };
    if (added === -2) return { index, message: `goal "${e.event}" would exceed max_goals_per_experiment (${config.max_goals_per_experiment}) in experiment "${e.experiment}"` };
    // The experiment was deleted (by anyone) since this process indexed it: index it again.
    if (fresh === 1 && !justIndexed.has(id)) {
      await Promise.all([this.redis.sadd(namespaceKey(config.key_prefix, e.namespace), e.experiment), this.redis.sadd(namespacesKey(config.key_prefix), e.namespace)]);
    }
    return null;
  }

  async results(namespace: string, scope?: string[]): Promise<ExperimentResults[]> {
    const { redis } = this;
    const prefix = this.config.key_prefix;
    return guard(async () => {
      const names = scope ? [...new Set(scope)].sort(byName) : await experimentNames(redis, prefix, namespace);
      return readAll(names, (name) => experimentResults(redis, prefix, namespace, name));
    });
  }

  async experimentNames(namespace: string): Promise<string[]> {
    return guard(() => experimentNames(this.redis, this.config.key_prefix, namespace));
  }

  async summaries(namespace: string, names: string[]): Promise<ExperimentSummary[]> {
    return guard(() => readAll(names, (name) => experimentSummary(this.redis, this.config.key_prefix, namespace, name)));
  }

  async deleteExperiment(namespace: string, experiment: string): Promise<boolean> {
    const prefix = this.config.key_prefix;
    const keys = experimentKeys(prefix, namespace, experiment);
    return guard(async () => {
      let existed = false;
      // A track racing with the delete may add a variant or goal between the read and the
      // DEL; go round until the experiment has no keys left.
      for (let round = 0; round < 5; round++) {
        const [mode, variants, goals] = await Promise.all([
          this.redis.hget(keys.meta, 'mode'),
          this.redis.smembers(keys.variants),
          this.redis.smembers(keys.goals),
        ]);
        if (!mode && variants.length === 0) break;
        existed = true;
        const counters = [PARTICIPATE, ...goals].flatMap((event) => variants.map((v) => keys.counter(event, v)));
        await this.redis.del(keys.meta, keys.variants, keys.goals, ...counters);
      }
      const removed = await this.redis.srem(namespaceKey(prefix, namespace), experiment);
      this.indexed.delete(indexId({ namespace, experiment }));
      return existed || removed > 0;
    });
  }
}

const indexId = (e: { namespace: string; experiment: string }): string => `${e.namespace}\n${e.experiment}`;
