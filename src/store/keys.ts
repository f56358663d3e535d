/**
 * Redis key layout. Every key of one experiment carries the same Cluster hash tag
 * `{namespace:experiment}`, so one pipeline or script reads or writes an experiment on one
 * node. The indexes (namespaces, experiments of a namespace) share the tag `{index}`, so the
 * script that checks the caps can touch both. Names are escaped so that `:`, `{`, `}` and `%`
 * in a name cannot move a key into another experiment or another slot.
 */
const SPECIAL = /[%:{}]/;
const escapeName = (name: string): string =>
  SPECIAL.test(name) ? name.replace(/[%:{}]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()) : name;

export interface ExperimentKeys {
  /** Hash: `mode` (hll | exact) fixed when the experiment is first seen. */
  meta: string;
  /** Set of variant labels seen. */
  variants: string;
  /** Set of goal names seen (every event but participate). */
  goals: string;
  /** The counter of one (event, variant): a HyperLogLog or a set of uuids. */
  counter(event: string, variant: string): string;
}

export function experimentKeys(prefix: string, namespace: string, experiment: string): ExperimentKeys {
  const base = `${prefix}{${escapeName(namespace)}:${escapeName(experiment)}}:`;
  return {
    meta: base + 'meta',
    variants: base + 'variants',
    goals: base + 'goals',
    counter: (event, variant) => `${base}c:${escapeName(event)}:${escapeName(variant)}`,
  };
}

/** Set of namespaces that hold experiments. */
export const namespacesKey = (prefix: string): string => `${prefix}{index}:namespaces`;

/** Set of the experiments of one namespace. */
export const namespaceKey = (prefix: string, namespace: string): string => `${prefix}{index}:ns:${escapeName(namespace)}`;
