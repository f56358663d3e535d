import { NAME_LENGTH_LIMIT, nameProblem, type TrackAnswer, type WireEvent } from '../protocol';

/** The client's pure helpers around events: names, identity, answers, forced variants. */

/**
 * Names no server takes are not queued. A server's own `max_name_length` may be lower: it then
 * refuses those events alone, and the client drops them.
 */
export const invalidName = (s: unknown): boolean => nameProblem(s, NAME_LENGTH_LIMIT) !== null;

/** The identity of a queued event: the same event queued twice is kept once. */
export const eventKey = (e: WireEvent): string => [e.namespace, e.experiment, e.variant, e.event, e.uuid].join('\n');

/** How many events a 2xx answer of /track lists as refused (0 when it lists none or is not JSON). */
export function rejectedOf(text: string): number {
  try {
    return ((JSON.parse(text) as TrackAnswer).rejected || []).length;
  } catch {
    return 0;
  }
}

/** Parses `?abtest_force=experiment:variant,other:variant` (repeatable) into experiment → variant. */
export function forcedVariants(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  const params = new URLSearchParams(search);
  for (const value of params.getAll('abtest_force')) {
    for (const pair of value.split(',')) {
      const at = pair.lastIndexOf(':');
      if (at > 0) out[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return out;
}
