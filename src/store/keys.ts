/**
 * Redis key layout. Every key of one experiment carries the same Cluster hash tag
 * `{namespace:experiment}`, so one pipeline or script reads or writes an experiment on one
 * node. The indexes (namespaces, experiments of a namespace) share the tag `{index}`, so the
 * script that checks the caps can touch both. Names are escaped so that `:`, `{`, `}` and `%`
 * in a name cannot move a key into another experiment or another slot.
 */
const SPECIAL = /[%:{}]/;
/** A name as it appears in keys (the Lua scripts of ./sixpack.ts escape the same way). */
export const escapeName = (name: string): string =>
  SPECIAL.test(name) ? name.replace(/[%:{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : name;
const unescapeName = (text: string): string =>
  text.includes('%')
    ? text.replace(/%([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16)))
    : text;

export interface ExperimentKeys {
  /**
   * Hash: `mode` (hll | exact) fixed when the experiment is first seen; for a defined one also
   * `state`, `phase`, `version` and a `v:<label>` field per declared variant, read by the track
   * script, and `d`, what the Sixpack scripts need of the definition (./sixpack.ts).
   */
  meta: string;
  /** String: the experiment's definition (JSON), when it has one. */
  def: string;
  /** Hash: visitor id → variant, of visitors assigned on the server (Sixpack's /participate); every phase. */
  assignments: string;
  /** What every key of the experiment starts with. */
  base: string;
  /** Set of variant labels seen. */
  variants: string;
  /** Set of goal names seen (every event but participate). */
  goals: string;
  /** The counter of one (event, variant): a HyperLogLog or a set of uuids. */
  counter(event: string, variant: string): string;
  /**
   * Hash of the day buckets: field {@link dayField} → how many events were new to their counter
   * that day (UTC). Bounded by days × variants × (goals + 1).
   */
  days: string;
}

/**
 * The keys of an experiment. The counts of phase N ≥ 1 of a defined experiment carry a `pN:`
 * segment; phase 0 (the undefined experiment) keeps the keys it always had.
 */
export function experimentKeys(prefix: string, namespace: string, experiment: string, phase = 0): ExperimentKeys {
  const base = `${prefix}{${escapeName(namespace)}:${escapeName(experiment)}}:`;
  const counts = phase > 0 ? `${base}p${phase}:` : base;
  return {
    meta: `${base}meta`,
    def: `${base}def`,
    assignments: `${base}asg`,
    base,
    variants: `${counts}variants`,
    goals: `${counts}goals`,
    counter: (event, variant) => `${counts}c:${escapeName(event)}:${escapeName(variant)}`,
    days: `${counts}days`,
  };
}

/** The phase-0 keys of an experiment, by namespace and name. */
export type KeysOf = (namespace: string, experiment: string) => ExperimentKeys;

/**
 * {@link experimentKeys} remembering the last `size` experiments it was asked for: the hot
 * path (every tracked event, every Sixpack call) would otherwise build the same key strings
 * per request. Past `size` (names come from requests) it forgets them all and starts again.
 */
export function keysCache(prefix: string, size = 1000): KeysOf {
  let byNamespace = new Map<string, Map<string, ExperimentKeys>>();
  let count = 0;
  return (namespace, experiment) => {
    let byName = byNamespace.get(namespace);
    let keys = byName?.get(experiment);
    if (keys) return keys;
    if (count >= size) {
      byNamespace = new Map();
      byName = undefined;
      count = 0;
    }
    if (!byName) byNamespace.set(namespace, (byName = new Map()));
    keys = experimentKeys(prefix, namespace, experiment);
    byName.set(experiment, keys);
    count++;
    return keys;
  };
}

/** The field of the day bucket of (day `YYYY-MM-DD`, event, variant) in {@link ExperimentKeys.days}. */
export const dayField = (day: string, event: string, variant: string): string =>
  `${day}:${escapeName(event)}:${escapeName(variant)}`;

/** What a {@link dayField} names, or null for a field of another shape (a mark). */
export function parseDayField(field: string): { day: string; event: string; variant: string } | null {
  const parts = field.split(':');
  if (parts.length !== 3 || field.startsWith('~')) return null;
  return { day: parts[0], event: unescapeName(parts[1]), variant: unescapeName(parts[2]) };
}

/**
 * What a mark of the day buckets says (HLL mode, see COUNT_LUA in ./scripts): field
 * `~event:variant`, value `YYYY-MM-DD:estimate`, the day of the counter's last event and its
 * estimate when that day began; null for a field of another shape.
 */
export function parseMark(
  field: string,
  value: string,
): { day: string; event: string; variant: string; estimate: number } | null {
  const parts = field.slice(1).split(':');
  if (!field.startsWith('~') || parts.length !== 2) return null;
  const [event, variant] = parts.map(unescapeName);
  return { day: value.slice(0, 10), event, variant, estimate: Number(value.slice(11)) };
}

/** Set of the experiments of one namespace that have a definition. */
export const definitionsKey = (prefix: string, namespace: string): string =>
  `${prefix}{index}:defs:${escapeName(namespace)}`;

/** Set of namespaces that hold experiments. */
export const namespacesKey = (prefix: string): string => `${prefix}{index}:namespaces`;

/** Set of the experiments of one namespace. */
export const namespaceKey = (prefix: string, namespace: string): string =>
  `${prefix}{index}:ns:${escapeName(namespace)}`;
