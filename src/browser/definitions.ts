import type { ExperimentOptions, ServerDefinition } from './types';

/**
 * What the client takes from `GET /config`: the experiments the server defines (running,
 * paused, rolled out), cached in localStorage per namespace. Pure functions, no browser.
 */

/** experiment → its definition, as cached. */
export type Definitions = Record<string, ServerDefinition>;

/**
 * The URL of `/config` next to the track URL (`…/track` → `…/config?namespace=…`), `override`
 * when given, or null when there is none (`override` false, or a track URL not ending in /track).
 */
export function configUrl(trackUrl: string, namespace: string | undefined, override?: string | false): string | null {
  if (override === false) return null;
  const base = override || (/\/track$/.test(trackUrl) ? trackUrl.replace(/\/track$/, '/config') : '');
  if (!base) return null;
  if (namespace === undefined) return base;
  return `${base}${base.includes('?') ? '&' : '?'}namespace=${encodeURIComponent(namespace)}`;
}

/** The definitions in a `/config` answer, or null when it is not one. */
export function parseConfig(text: string): Definitions | null {
  try {
    const body = JSON.parse(text) as { experiments?: ServerDefinition[] };
    if (!Array.isArray(body.experiments)) return null;
    const out: Definitions = {};
    for (const d of body.experiments) {
      if (d && typeof d.experiment === 'string' && Array.isArray(d.variants)) out[d.experiment] = d;
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * The server's definition of experiment `o`, when it can be used: every label it names
 * (variants, fallback, winner) must be one the page's code can show. Null: the code decides.
 */
export function usable(o: ExperimentOptions, d: ServerDefinition | undefined): ServerDefinition | null {
  if (!d) return null;
  const labels = [...d.variants.map((v) => v.label), d.fallback, d.winner];
  return labels.every((l) => l == null || Object.hasOwn(o.variants, l)) ? d : null;
}
