import type { Definition } from '../experiments/definition';
import { ConflictError } from '../errors';
import { definitionsKey, experimentKeys } from './keys';
import { runScript, script, type RedisClient } from './redis';
import { byName, readAll } from './results';

/**
 * Definitions in Redis, under the experiment's hash tag: the JSON in `…:def`, and in the meta
 * hash what the track script needs to decide in the same round trip (`state`, `phase`,
 * `version`, a `v:<label>` field per declared variant). A set per namespace lists them. The
 * Sixpack scripts keep their own digest of the JSON in the meta (`d`, ./sixpack.ts), stamped
 * with the `version` written here: a save makes it stale without touching it.
 */

// KEYS: def, meta. ARGV: expected version ('0' for a new one), JSON, state, phase, new
// version, default mode, labels... Writes both when the version still matches; returns 1,
// 0 when another change came first, -1 while a delete of the experiment runs.
const SAVE_SCRIPT = `
if redis.call('HEXISTS', KEYS[2], 'tomb') == 1 then return -1 end
if (redis.call('HGET', KEYS[2], 'version') or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
  if string.sub(f, 1, 2) == 'v:' then redis.call('HDEL', KEYS[2], f) end
end
redis.call('HSET', KEYS[2], 'state', ARGV[3], 'phase', ARGV[4], 'version', ARGV[5])
redis.call('HSETNX', KEYS[2], 'mode', ARGV[6])
redis.call('PERSIST', KEYS[2])
for i = 7, #ARGV do redis.call('HSET', KEYS[2], 'v:' .. ARGV[i], '1') end
return 1
`;

const saveScript = script<number>(2, SAVE_SCRIPT);

/** One experiment's definition, or null. */
export async function readDefinition(
  redis: RedisClient,
  prefix: string,
  namespace: string,
  experiment: string,
): Promise<Definition | null> {
  const text = await redis.get(experimentKeys(prefix, namespace, experiment).def);
  return text ? (JSON.parse(text) as Definition) : null;
}

/** The definitions of a namespace sorted by experiment name, or those of the named experiments that have one. */
export async function readDefinitions(
  redis: RedisClient,
  prefix: string,
  namespace: string,
  only?: string[],
): Promise<Definition[]> {
  const listed = await redis.smembers(definitionsKey(prefix, namespace));
  // Named ones: only those listed are read (a namespace without definitions costs one command).
  const set = new Set(listed);
  const names = only ? only.filter((n) => set.has(n)) : listed.sort(byName);
  return readAll(names, (name) => readDefinition(redis, prefix, namespace, name));
}

/**
 * Writes `d` if the stored version is still `previous` (0: none stored yet); a ConflictError
 * (409, field `version`) when another change came first.
 */
export async function writeDefinition(
  redis: RedisClient,
  prefix: string,
  d: Definition,
  previous: number,
  mode: string,
): Promise<void> {
  const keys = experimentKeys(prefix, d.namespace, d.experiment);
  await redis.sadd(definitionsKey(prefix, d.namespace), d.experiment);
  const ok = await runScript(redis, saveScript, [
    keys.def,
    keys.meta,
    String(previous),
    JSON.stringify(d),
    d.state,
    String(d.phase),
    String(d.version),
    mode,
    ...d.variants.map((v) => v.label),
  ]);
  if (ok !== 1) {
    const why = ok === 0 ? 'was changed meanwhile; read it again and retry' : 'is being deleted';
    throw new ConflictError('version', `the definition of experiment "${d.experiment}" ${why}`);
  }
}
