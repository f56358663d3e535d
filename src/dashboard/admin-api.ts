import type { Definition } from '../experiments/definition';
import type { ExperimentResults, SeriesPeriod } from '../results';
import type { AdminHooks } from './admin';
import { parseResults } from './model';

/** The dashboard's calls of the definition routes: the definitions, results of a chosen phase or period, and the admin changes. */

interface PageApi {
  request(method: string, path: string, params: Record<string, string>, body?: unknown): Promise<Response>;
  refresh(): Promise<void>;
  failure(res: Response): Promise<string>;
  namespace(): string;
  /** The phase chosen per experiment (absent: the current one); changed here. */
  phases: Map<string, number>;
  /** The period chosen per experiment (absent: a day); changed by the card. */
  periods: Map<string, SeriesPeriod>;
  defs(): Map<string, Definition>;
}

/** The definition calls of the page `o`. */
export function definitionsApi(o: PageApi) {
  const { phases } = o;
  /** Every definition of the namespace (archived too); none when the API has no admin routes. */
  async function definitions(): Promise<Map<string, Definition>> {
    try {
      const res = await o.request('GET', '/definitions', { namespace: o.namespace(), archived: '1' });
      if (!res.ok) return new Map();
      return new Map(((await res.json()).definitions as Definition[]).map((d) => [d.experiment, d]));
    } catch {
      return new Map();
    }
  }

  /** Back to the current phase, per day: the choice could not be read. */
  const forget = (name: string) => {
    phases.delete(name);
    o.periods.delete(name);
  };

  /** The results of the experiments shown in another phase than their current one, or per another period than a day. */
  async function chosenViews(): Promise<Map<string, ExperimentResults>> {
    const out = new Map<string, ExperimentResults>();
    await Promise.all(
      [...new Set([...phases.keys(), ...o.periods.keys()])].map(async (name) => {
        const phase = phases.get(name);
        try {
          const res = await o.request('GET', '/experiments', {
            namespace: o.namespace(),
            scope: name,
            phase: phase === undefined ? '' : String(phase),
            series: o.periods.get(name) ?? 'day',
          });
          const found = res.ok ? parseResults(await res.json()).experiments[0] : undefined;
          if (found) out.set(name, found);
          else forget(name);
        } catch {
          forget(name);
        }
      }),
    );
    return out;
  }

  const hooks: AdminHooks = {
    call: async (method, path, experiment, body) => {
      try {
        const res = await o.request(method, path, { namespace: o.namespace(), experiment }, body);
        if (!res.ok) alert(`Could not change \u201c${experiment}\u201d: ${await o.failure(res)}`);
        await o.refresh();
        return res.ok;
      } catch {
        alert(`Could not change \u201c${experiment}\u201d: the API cannot be reached.`);
        return false;
      }
    },
    showPhase: (experiment, phase) => {
      if (phase === o.defs().get(experiment)?.phase) phases.delete(experiment);
      else phases.set(experiment, phase);
      void o.refresh();
    },
  };
  return { definitions, chosenViews, hooks };
}
