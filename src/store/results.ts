import type { Counting } from '../config';
import type { ExperimentResults, ExperimentSummary } from '../results';
import { experimentKeys, namespaceKey, parseDayField, parseMark, type ExperimentKeys } from './keys';
import { runScript, script, type RedisClient } from './redis';
import { PARTICIPATE } from '../protocol';
import type { DayCount } from '../series';

/**
 * Reading results from Redis: the names of a namespace, one experiment's counts, and the
 * cheap summary (participants only) that a listing of a full namespace can afford.
 */

/** Relative standard error of a Redis HyperLogLog (16384 registers). */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(16384);

/** Relative standard error of a count in a counting mode: 0 when exact. */
export const standardError = (mode: Counting): number => (mode === 'hll' ? HLL_STANDARD_ERROR : 0);

// One collator: localeCompare with options builds one per call (70 ms to sort 1000 names).
const collator = new Intl.Collator('en', { numeric: true });

/** Sorts names for people: numbers in names sort as numbers. */
export const byName = (a: string, b: string): number => collator.compare(a, b);

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

async function shape(
  redis: RedisClient,
  prefix: string,
  namespace: string,
  experiment: string,
  phase: number,
): Promise<Shape | null> {
  const keys = experimentKeys(prefix, namespace, experiment, phase);
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

/** One experiment's counts in one phase (0: the undefined experiment's keys); null when it does not exist. */
export async function experimentResults(
  redis: RedisClient,
  prefix: string,
  namespace: string,
  experiment: string,
  phase = 0,
): Promise<ExperimentResults | null> {
  const s = await shape(redis, prefix, namespace, experiment, phase);
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

/**
 * The day buckets of one phase's keys, in no order. In HLL mode the growth of each counter's
 * estimate since its mark (see COUNT_LUA in ./scripts) is added to the mark's day, so that a
 * counter's days add up to its PFCOUNT now.
 */
export async function dayCounts(redis: RedisClient, keys: ExperimentKeys): Promise<DayCount[]> {
  const fields = Object.entries(await redis.hgetall(keys.days));
  const buckets = fields.flatMap(([field, n]) => {
    const at = parseDayField(field);
    return at ? [{ ...at, count: Number(n) }] : [];
  });
  const marks = fields.flatMap(([field, value]) => parseMark(field, value) ?? []);
  const now = await Promise.all(marks.map((m) => redis.pfcount(keys.counter(m.event, m.variant))));
  marks.forEach(({ estimate, ...at }, i) => {
    if (now[i] !== estimate) buckets.push({ ...at, count: now[i] - estimate });
  });
  return buckets;
}

// KEYS: meta, variants, goals (one hash tag). ARGV: the participate counters' key without the
// variant, the experiment's key base. The counters share the tag, so they live on the same
// Cluster node and slot. A defined experiment's current phase (meta `phase`) is read.
// Returns false when the experiment does not exist, else {mode, goals, variant1, n1, ...}.
const SUMMARY_SCRIPT = `
local m = redis.call('HMGET', KEYS[1], 'mode', 'phase')
local mode, phase = m[1], m[2]
if not mode then return false end
local vkey, gkey, counter = KEYS[2], KEYS[3], ARGV[1]
if phase and phase ~= '0' then
  local p = ARGV[2] .. 'p' .. phase .. ':'
  vkey, gkey, counter = p .. 'variants', p .. 'goals', p .. string.sub(ARGV[1], #ARGV[2] + 1)
end
local out = {mode, redis.call('SCARD', gkey)}
for _, v in ipairs(redis.call('SMEMBERS', vkey)) do
  local key = counter .. (string.gsub(v, '[%%:{}]', function(c) return string.format('%%%02X', string.byte(c)) end))
  out[#out + 1] = v
  out[#out + 1] = mode == 'exact' and redis.call('SCARD', key) or redis.call('PFCOUNT', key)
end
return out
`;

const summaryScript = script<(string | number)[] | null>(3, SUMMARY_SCRIPT);

/**
 * One experiment's participants per variant (current phase) and its number of goals, in one script call (a
 * listing of a full namespace is 1000 calls, not 13,000 commands); null when it does not exist.
 */
export async function experimentSummary(
  redis: RedisClient,
  prefix: string,
  namespace: string,
  experiment: string,
): Promise<ExperimentSummary | null> {
  const keys = experimentKeys(prefix, namespace, experiment);
  const out = await runScript(redis, summaryScript, [
    keys.meta,
    keys.variants,
    keys.goals,
    keys.counter(PARTICIPATE, ''),
    keys.base,
  ]);
  if (!out) return null;
  const variants: { label: string; participants: number }[] = [];
  for (let i = 2; i < out.length; i += 2) variants.push({ label: String(out[i]), participants: Number(out[i + 1]) });
  variants.sort((a, b) => byName(a.label, b.label));
  return {
    experiment,
    counting: out[0] === 'exact' ? 'exact' : 'hll',
    participants: variants.reduce((sum, v) => sum + v.participants, 0),
    variants,
    goals: Number(out[1]),
  };
}

/** Reads each named experiment with `read`, in the order given, leaving out those that do not exist. */
export async function readAll<T>(names: string[], read: (name: string) => Promise<T | null>): Promise<T[]> {
  const all = await Promise.all([...new Set(names)].map(read));
  return all.filter((x): x is Awaited<T> => x !== null) as T[];
}
