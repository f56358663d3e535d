import { script } from './redis';

/*
 * The Lua scripts of the store. An experiment's keys live in its own Cluster slot and the
 * namespace index in the `{index}` slot, so no script touches both. What ties them together is
 * the experiment's meta hash:
 *   live   `mode` is set: the experiment is in the index; events are counted in one round trip.
 *   tomb   `tomb` is set: a delete runs; tracking waits for it to end.
 *   marker only `gen`: a delete ended (expires after a minute); like an absent meta, but its
 *          `gen` tells a tracker that a delete happened since it last looked.
 * A tracker that finds no live meta asks the capped index script for a place, then confirms
 * with the `gen` it saw first: if a delete came in between, it starts again.
 */

/** What the track script answers in its first field besides 1 (new) and 0 (seen before). */
export const TRACK = {
  variantCap: -1,
  goalCap: -2,
  needsIndex: -3,
  busy: -4,
  moved: -5,
  notRunning: -6,
  undeclared: -7,
} as const;

/**
 * The Lua function that counts one member into one counter and into the day bucket of the day
 * it is counted on: `count(mode, ckey, member, dkey, dfield)` returns 1 (new) or 0 (seen before).
 * `dkey` is the hash of day buckets, `dfield` the bucket's field, `YYYY-MM-DD:event:variant`
 * (src/store/keys.ts `dayField`).
 *
 * Exact mode (`mode == 'exact'`): SADD into the set `ckey`; a new member adds 1 to the bucket.
 *
 * HLL mode: PFADD into `ckey`; a day's bucket gets the growth of the HyperLogLog's estimate over
 * the day. A mark field `~event:variant` holds the day of the counter's last event and its
 * estimate when that day began (`YYYY-MM-DD:estimate`); the first event of another day adds
 * PFCOUNT minus that estimate to the mark's day and moves the mark. So a counter's buckets plus
 * the growth since its mark (the reader adds it: src/store/results.ts `dayCounts`) are its
 * PFCOUNT, and PFCOUNT runs once per counter and day, not per new member (a dense PFCOUNT
 * takes tens of µs). Counting 1 per change PFADD reports would undercount badly: of 200,000
 * uniques, 40,506 changed a register. Every event goes through the mark, so the growth since it
 * belongs to the mark's day, also when a caller's time (Sixpack's `datetime`) goes back.
 *
 * Scripts that count events (track, Sixpack's participate and convert) start with this fragment.
 */
export const COUNT_LUA = `
local function count(mode, ckey, member, dkey, dfield)
  if mode == 'exact' then
    local added = redis.call('SADD', ckey, member)
    if added == 1 then redis.call('HINCRBY', dkey, dfield, 1) end
    return added
  end
  local day, counter = string.sub(dfield, 1, 10), string.sub(dfield, 12)
  local mfield = '~' .. counter
  local mark = redis.call('HGET', dkey, mfield)
  if not mark or string.sub(mark, 1, 10) ~= day then
    local estimate = redis.call('PFCOUNT', ckey)
    if mark then
      local grown = estimate - tonumber(string.sub(mark, 12))
      if grown ~= 0 then redis.call('HINCRBY', dkey, string.sub(mark, 1, 10) .. ':' .. counter, grown) end
    end
    redis.call('HSET', dkey, mfield, day .. ':' .. estimate)
  end
  return redis.call('PFADD', ckey, member)
end
`;

// KEYS: meta, variants, goals, counter, day buckets (of phase 0). ARGV: uuid, variant, event,
// default mode, max variants, max goals, is-goal, expected gen ('' on the hot path), the
// experiment's key base, the day bucket's field. A defined experiment (meta has `state`) counts
// only while running, only its declared variants (`v:<label>` in meta), into the keys of its
// current phase: base .. 'p<N>:' .. the same suffix (same hash tag, so same slot).
// Returns {code, gen, state}.
const TRACK_SCRIPT = `${COUNT_LUA}
local m = redis.call('HMGET', KEYS[1], 'mode', 'tomb', 'gen', 'state', 'phase', 'v:' .. ARGV[2])
local mode, gen = m[1], m[3] or '0'
if m[2] then return {-4, gen} end
local vkey, gkey, ckey, dkey = KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if m[4] then
  if m[4] ~= 'running' then return {-6, gen, m[4]} end
  if not m[6] then return {-7, gen} end
  local base = ARGV[9]
  local p = base .. 'p' .. m[5] .. ':'
  vkey = p .. 'variants'
  gkey = p .. 'goals'
  ckey = p .. string.sub(KEYS[4], #base + 1)
  dkey = p .. string.sub(KEYS[5], #base + 1)
end
local fresh = false
if not mode then
  if ARGV[8] == '' then return {-3, gen} end
  if ARGV[8] ~= gen then return {-5, gen} end
  mode = ARGV[4]; fresh = true
end
local newVariant = redis.call('SISMEMBER', vkey, ARGV[2]) == 0
if newVariant then
  local cap = tonumber(ARGV[5])
  if cap > 0 and redis.call('SCARD', vkey) >= cap then return {-1, gen} end
end
local newGoal = ARGV[7] == '1' and redis.call('SISMEMBER', gkey, ARGV[3]) == 0
if newGoal then
  local cap = tonumber(ARGV[6])
  if cap > 0 and redis.call('SCARD', gkey) >= cap then return {-2, gen} end
end
if fresh then
  redis.call('HSET', KEYS[1], 'mode', mode)
  redis.call('PERSIST', KEYS[1])
end
if newVariant then redis.call('SADD', vkey, ARGV[2]) end
if newGoal then redis.call('SADD', gkey, ARGV[3]) end
return {count(mode, ckey, ARGV[1], dkey, ARGV[10]), gen}
`;

// KEYS: namespaces index, experiments-of-namespace index. ARGV: namespace, experiment,
// max experiments per namespace, max namespaces. Returns 1 when indexed (now or before),
// 0 when the experiments cap refuses, -1 when the namespaces cap refuses.
const INDEX_SCRIPT = `
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return 1 end
local cap = tonumber(ARGV[3])
if cap > 0 and redis.call('SCARD', KEYS[2]) >= cap then return 0 end
local nscap = tonumber(ARGV[4])
if nscap > 0 and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('SCARD', KEYS[1]) >= nscap then
  return -1
end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`;

// Step 1 of a delete. KEYS: meta, variants, goals. ARGV: token, tomb lifetime (ms).
// Blocks tracking with a tomb and returns {existed, variants, goals, phase} for the counters'
// names (phase: the last phase of a defined experiment, 0 otherwise).
const TOMB_SCRIPT = `
local existed = redis.call('HEXISTS', KEYS[1], 'mode')
local phase = tonumber(redis.call('HGET', KEYS[1], 'phase') or '0')
local variants = redis.call('SMEMBERS', KEYS[2])
local goals = redis.call('SMEMBERS', KEYS[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'tomb', '1', 'gen', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {existed, variants, goals, phase}
`;

// Last step of a delete. KEYS: meta. ARGV: token, marker lifetime (ms), '1' when the delete
// found nothing (then no tracker can have indexed meanwhile, and no marker is left). Turns
// this delete's tomb into a marker; a later delete's tomb is left to that delete.
const UNTOMB_SCRIPT = `
if redis.call('HGET', KEYS[1], 'gen') ~= ARGV[1] then return 0 end
if ARGV[3] == '1' then return redis.call('DEL', KEYS[1]) end
redis.call('HDEL', KEYS[1], 'tomb')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** The track script: {code, gen, state}. */
export const trackScript = script<[number, string, string?]>(5, TRACK_SCRIPT);
/** The capped index script: 1, 0 or -1. */
export const indexScript = script<number>(2, INDEX_SCRIPT);
/** A delete's first step: {existed, variants, goals, last phase}. */
export const tombScript = script<[number, string[], string[], number]>(3, TOMB_SCRIPT);
/** A delete's last step. */
export const untombScript = script<number>(1, UNTOMB_SCRIPT);
