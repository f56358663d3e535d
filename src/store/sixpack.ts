import { PARTICIPATE } from '../protocol';
import { dayOf } from '../series';
import { escapeName, type KeysOf } from './keys';
import { COUNT_LUA } from './scripts';
import { runScript, script, type HotClient } from './redis';

/*
 * The store's part of the Sixpack API (`/participate`, `/convert`): one script each, one round
 * trip on the hot path. Both read the experiment's meta hash (counting mode, tomb, current
 * phase; participate also its `d`, convert its `state`) and the hash of visitors assigned on
 * the server (`…:asg`, visitor id → variant, kept across phases so that a change of weights
 * moves nobody). The definition's JSON (`…:def`) is read only when the meta hash cannot answer.
 * They count into the same counters as the track script: the current phase's
 * `p<N>:variants`, `p<N>:goals` and `p<N>:c:<event>:<variant>`, with the uuid being the client
 * id, in the experiment's counting mode.
 */

/** Why a participate or convert did not answer an alternative. */
export type SixpackRefusal =
  | 'busy'
  | 'unknown'
  | 'traffic-fraction'
  | 'changed'
  | 'archived'
  | 'paused'
  | 'draft'
  | 'not-participating'
  | 'invalid-kpi'
  | 'goal-cap';

/** The script's first field: 1 for an answer, a negative code for a refusal. */
const REFUSALS: Record<string, SixpackRefusal> = {
  '-1': 'busy',
  '-2': 'unknown',
  '-3': 'traffic-fraction',
  '-4': 'changed',
  '-5': 'archived',
  '-6': 'paused',
  '-7': 'draft',
  '-8': 'not-participating',
  '-9': 'invalid-kpi',
  '-10': 'goal-cap',
};

/** What a participate or convert script answered. */
export type SixpackOutcome = { alternative: string; refusal?: undefined } | { refusal: SixpackRefusal };

// What both scripts share: the escape of names in counter keys (`esc`, as ./keys.ts escapes
// them; a variant read from Redis is escaped here, names the caller knows arrive escaped), the
// meta hash's tomb, mode, phase and `fields` (read in the same HMGET), and counting one member
// into one counter of the current phase with its day bucket (`countIn`, through the track
// script's COUNT_LUA, with the event and variant as escaped; DAY is 'YYYY-MM-DD', from
// Sixpack's `datetime` or now).
const common = (dayArg: number, fields: string): string => `${COUNT_LUA}
local function esc(name)
  if not string.find(name, '[%%:{}]') then return name end
  return (string.gsub(name, '[%%:{}]', {['%'] = '%25', [':'] = '%3A', ['{'] = '%7B', ['}'] = '%7D'}))
end
local m = redis.call('HMGET', KEYS[1], 'tomb', 'mode', 'phase', ${fields})
if m[1] then return {-1} end
local phaseKeys = ARGV[2] .. 'p' .. (m[3] or '0') .. ':'
local DAY = ARGV[${dayArg}]
local function countIn(e, v)
  return count(m[2], phaseKeys .. 'c:' .. e .. ':' .. v, ARGV[1], phaseKeys .. 'days', DAY .. ':' .. e .. ':' .. v)
end
`;

// KEYS: meta, def, assignments. ARGV: client id, key base, force ('' for none), record force
// ('1'/'0'), prefetch ('1'/'0'), traffic fraction out of range ('1'/'0'), Sixpack's sha1
// choice (28 bits), the traffic-fraction hash and src/assign.ts's hash (both in [0, 1), sent as
// integers of 32 bits: the script divides by 2^32, which gives the same doubles without writing
// 17 digits per call), day, the requested alternatives joined by newlines ('' when one holds a
// newline), then each of them. Returns {1, alternative} or {code}.
//
// What it needs of the definition is the meta field `d`, one string (reading and decoding the
// JSON was most of the script's cost: fields separated by tabs, lists by newlines, as names hold
// no control character): the definition's version, state, '1' when new visitors get Sixpack's
// sha1 choice (a Sixpack experiment with equal weights), sample, fallback, winner ('' for none),
// the weights and the labels in order. Numbers have 17 digits, which read back as the same
// double (the weighted choice must match src/assign.ts's arithmetic). The save script writes
// the JSON and `version` in one step, so a `d` of another version is stale: after any save (by
// this version or an older one, which knows nothing of it), and in data older than it. Then the
// script derives it from the JSON again and keeps it (unless the meta has no version: it went
// in a delete that died halfway, so there is nothing to keep it in).
//
// The requested alternatives must be the stored ones, in any order: as many, each stored, none
// twice. A request in the stored order (nearly all) is one comparison of the joined ARGV[11]
// with the labels (lines: no name holds a control character). The pick reads the k-th label
// without building a list (lineCount, line); a weighted one follows src/assign.ts's
// bucketRanges + chooseVariant, the same double arithmetic in the same order.
// (Comments stay out of the Lua text: every Lambda bundle carries it.)
const PARTICIPATE_SCRIPT = `${common(10, "'version', 'd'")}
local D = '^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t(.*)$'
local stamp, state, sha1, sample, fallback, winner, weights, labels = string.match(m[5] or '', D)
if not stamp or stamp ~= m[4] then
  local raw = redis.call('GET', KEYS[2])
  if not raw then return {-2} end
  local d = cjson.decode(raw)
  local ls, ws, equal = {}, {}, true
  for i, v in ipairs(d.variants) do
    ls[i] = v.label
    ws[i] = string.format('%.17g', v.weight)
    if v.weight ~= d.variants[1].weight then equal = false end
  end
  local text = table.concat({m[4] or '', d.state, (d.sixpack == true and equal) and '1' or '0',
    string.format('%.17g', d.sample), d.fallback, type(d.winner) == 'string' and d.winner or '',
    table.concat(ws, '\\n'), table.concat(ls, '\\n')}, '\\t')
  if m[4] then redis.call('HSET', KEYS[1], 'd', text) end
  stamp, state, sha1, sample, fallback, winner, weights, labels = string.match(text, D)
end
if ARGV[6] == '1' then return {-3} end
if ARGV[11] ~= labels then
  local stored = {}
  for label in string.gmatch(labels, '[^\\n]+') do stored[#stored + 1] = label end
  if #ARGV - 11 ~= #stored then return {-4} end
  for i = 12, #ARGV do
    local want, found = ARGV[i], false
    for k = 1, #stored do if stored[k] == want then found = true end end
    for j = 12, i - 1 do if ARGV[j] == want then found = false end end
    if not found then return {-4} end
  end
end
local function lineCount(text)
  local n, at = 1, string.find(text, '\\n', 1, true)
  while at do n = n + 1; at = string.find(text, '\\n', at + 1, true) end
  return n
end
local function line(text, k)
  local from = 1
  for _ = 2, k do from = string.find(text, '\\n', from, true) + 1 end
  local to = string.find(text, '\\n', from, true)
  return string.sub(text, from, to and to - 1 or -1)
end
local function record(variant, assign)
  if assign then redis.call('HSET', KEYS[3], ARGV[1], variant) end
  redis.call('SADD', phaseKeys .. 'variants', variant)
  countIn('${escapeName(PARTICIPATE)}', esc(variant))
end
if ARGV[3] ~= '' then
  if ARGV[4] == '1' and state == 'running' then record(ARGV[3], true) end
  return {1, ARGV[3]}
end
if state == 'rolled_out' then return {1, winner} end
if state ~= 'running' then return {1, fallback} end
local had = redis.call('HGET', KEYS[3], ARGV[1])
if had then
  if ARGV[5] ~= '1' then record(had, false) end
  return {1, had}
end
local pick
sample = tonumber(sample)
if sha1 == '1' then
  if tonumber(ARGV[8]) / 4294967296 >= sample then return {1, fallback} end
  pick = line(labels, tonumber(ARGV[7]) % lineCount(labels) + 1)
else
  local n, total, start, shares = tonumber(ARGV[9]) / 4294967296, 0, 0, {}
  for w in string.gmatch(weights, '[^\\n]+') do
    shares[#shares + 1] = tonumber(w)
    total = total + shares[#shares]
  end
  for i, w in ipairs(shares) do
    local share = w / total
    if n >= start and n < start + share * sample then pick = line(labels, i); break end
    start = start + share
  end
  if not pick then return {1, fallback} end
end
if ARGV[5] ~= '1' then record(pick, true) end
return {1, pick}
`;

// KEYS: meta, def, assignments. ARGV: client id, key base, goal, kpi invalid ('1'/'0'), max
// goals, day, the goal as escaped in keys. Returns {1, alternative} or {code}. A rolled-out
// experiment answers the visitor's variant without counting: its last phase ended at the
// rollout. The state is the meta's, which every version's save script writes with the JSON;
// the JSON answers only for a meta without it (none, or one that went in a delete that died
// halfway).
const CONVERT_SCRIPT = `${common(6, "'state'")}
local state = m[4]
if not state then
  local raw = redis.call('GET', KEYS[2])
  if not raw then return {-2} end
  state = cjson.decode(raw).state
end
if state == 'archived' then return {-5} end
if state == 'paused' then return {-6} end
if state == 'draft' then return {-7} end
local had = redis.call('HGET', KEYS[3], ARGV[1])
if not had then return {-8} end
if ARGV[4] == '1' then return {-9} end
if state == 'running' then
  local gkey = phaseKeys .. 'goals'
  if redis.call('SISMEMBER', gkey, ARGV[3]) == 0 then
    local cap = tonumber(ARGV[5])
    if cap > 0 and redis.call('SCARD', gkey) >= cap then return {-10} end
    redis.call('SADD', gkey, ARGV[3])
  end
  redis.call('SADD', phaseKeys .. 'variants', had)
  countIn(ARGV[7], esc(had))
end
return {1, had}
`;

const participateScript = script<[number, string?]>(3, PARTICIPATE_SCRIPT);
const convertScript = script<[number, string?]>(3, CONVERT_SCRIPT);

const flag = (b: boolean): string => (b ? '1' : '0');

/** What a script answered, as an outcome. */
const outcome = ([code, alternative]: [number, string?]): SixpackOutcome =>
  code === 1 ? { alternative: alternative ?? '' } : { refusal: REFUSALS[String(code)] ?? 'busy' };

/** Runs one of the scripts on a visitor of an experiment: KEYS meta, def, assignments; ARGV client id, key base, `rest`. */
function run(
  redis: HotClient,
  keysOf: KeysOf,
  s: typeof participateScript,
  v: { namespace: string; experiment: string; clientId: string },
  rest: string[],
): Promise<SixpackOutcome> {
  const keys = keysOf(v.namespace, v.experiment);
  return runScript(redis, s, [keys.meta, keys.def, keys.assignments, v.clientId, keys.base, ...rest]).then(outcome);
}

/** What a participate asks of the store (names checked, hashes computed by the route). */
export interface ParticipateInput {
  namespace: string;
  experiment: string;
  clientId: string;
  /** As requested (any order); compared as a sorted list with the stored ones. */
  alternatives: string[];
  /** One of the requested alternatives, or null. */
  force: string | null;
  recordForce: boolean;
  prefetch: boolean;
  /** The request's traffic_fraction is outside (0, 1]: refused for an existing experiment. */
  badTrafficFraction: boolean;
  /** Sixpack's choice: the first 28 bits of sha1(experiment.client_id). */
  choice: number;
  /** The traffic-fraction hash in [0, 1): other bits of the same sha1 (a multiple of 2^-32). */
  fraction: number;
  /** src/assign.ts's hash in [0, 1), for weighted definitions (a multiple of 2^-32). */
  weighted: number;
  /** The recording date (Sixpack's `datetime`, else now). */
  at: Date;
}

/** One participate: one script call. */
export function participate(redis: HotClient, keysOf: KeysOf, p: ParticipateInput): Promise<SixpackOutcome> {
  return run(redis, keysOf, participateScript, p, [
    p.force ?? '',
    flag(p.recordForce),
    flag(p.prefetch),
    flag(p.badTrafficFraction),
    String(p.choice),
    String(p.fraction * 4294967296),
    String(p.weighted * 4294967296),
    dayOf(p.at),
    p.alternatives.some((a) => a.includes('\n')) ? '' : p.alternatives.join('\n'),
    ...p.alternatives,
  ]);
}

/** What a convert asks of the store. */
export interface ConvertInput {
  namespace: string;
  experiment: string;
  clientId: string;
  /** The goal counted: the KPI, or the goal of conversions without one. */
  goal: string;
  badKpi: boolean;
  at: Date;
}

/** One convert: one script call. */
export function convert(redis: HotClient, keysOf: KeysOf, c: ConvertInput, maxGoals: number): Promise<SixpackOutcome> {
  return run(redis, keysOf, convertScript, c, [
    c.goal,
    flag(c.badKpi),
    String(maxGoals),
    dayOf(c.at),
    escapeName(c.goal),
  ]);
}
