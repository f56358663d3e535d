import type { Counting } from '../config';
import type { ExperimentResults, ExperimentSummary } from '../results';
import { experimentKeys, namespaceKey } from './keys';
import type { RedisClient } from './redis';

/**
 * Reading results from Redis: the names of a namespace, one experiment's counts, and the
 * cheap summary (participants only) that a listing of a full namespace can afford.
 */

/** The pseudo-goal of entering an experiment: its counter is a variant's participants. */
export const PARTICIPATE = 'participate';

/** Relative standard error of a Redis HyperLogLog (16384 registers). */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(16384);

/** Relative standard error of a count in a counting mode: 0 when exact. */
export const standardError = (mode: Counting): number => (mode === 'hll' ? HLL_STANDARD_ERROR : 0);

/** Sorts names for people: numbers in names sort as numbers. */
export const byName = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** The experiments of a namespace, sorted by name (numbers in names sort as numbers). */
export async function experimentNames(redis: RedisClient, prefix: string, namespace: string): Promise<string[]> {
  return (await redis.smembers(namespaceKey(prefix, namespace))).sort(byName);
}

interface Shape {
  counting: Counting;
  variants: string[];
  goals: string[];
  count: (event: string, variant: string) => Promise<number>;
}

async function shape(redis: RedisClient, prefix: string, namespace: string, experiment: string): Promise<Shape | null> {
  const keys = experimentKeys(prefix, namespace, experiment);
  const [mode, variants, goals] = await Promise.all([
    redis.hget(keys.meta, 'mode'),
    redis.smembers(keys.variants),
    redis.smembers(keys.goals),
  ]);
  if (!mode) return null;
  const counting: Counting = mode === 'exact' ? 'exact' : 'hll';
  const count = (event: string, variant: string) =>
    counting === 'exact' ? redis.scard(keys.counter(event, variant)) : redis.pfcount(keys.counter(event, variant));
  return { counting, variants: variants.sort(byName), goals: goals.sort(byName), count };
}

/** One experiment's counts; null when it does not exist. */
export async function experimentResults(redis: RedisClient, prefix: string, namespace: string, experiment: string): Promise<ExperimentResults | null> {
  const s = await shape(redis, prefix, namespace, experiment);
  if (!s) return null;
  const [participants, ...goalCounts] = await Promise.all(
    [PARTICIPATE, ...s.goals].map((event) => Promise.all(s.variants.map((v) => s.count(event, v)))),
  );
  return {
    experiment,
    counting: s.counting,
    standard_error: standardError(s.counting),
    variants: s.variants.map((label, i) => ({ label, participants: participants[i] })),
    goals: s.goals.map((goal, g) => ({
      goal,
      results: s.variants.map((label, i) => ({ label, successes: goalCounts[g][i], trials: participants[i] })),
    })),
  };
}

/** One experiment's participants per variant and its number of goals; null when it does not exist. */
export async function experimentSummary(redis: RedisClient, prefix: string, namespace: string, experiment: string): Promise<ExperimentSummary | null> {
  const s = await shape(redis, prefix, namespace, experiment);
  if (!s) return null;
  const participants = await Promise.all(s.variants.map((v) => s.count(PARTICIPATE, v)));
  return {
    experiment,
    counting: s.counting,
    participants: participants.reduce((a, b) => a + b, 0),
    variants: s.variants.map((label, i) => ({ label, participants: participants[i] })),
    goals: s.goals.length,
  };
}

/** Reads each named experiment with `read`, in the order given, leaving out those that do not exist. */
export async function readAll<T>(names: string[], read: (name: string) => Promise<T | null>): Promise<T[]> {
  const all = await Promise.all([...new Set(names)].map(read));
  return all.filter((x): x is Awaited<T> => x !== null) as T[];
}
