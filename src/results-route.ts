import type { Config } from './config';
import { checkName, plusOrSpace } from './events';
import { InputError } from './errors';
import type { ProxyEvent } from './http';
import type { ExperimentResults, ExperimentSummary, ExperimentsAnswer, ResultsMeta, SeriesPeriod } from './results';
import { definedResults, definedSummary, expectedSplit } from './experiments/results';
import type { Definition } from './experiments/definition';
import { buildSeries, dayOf, SERIES_PERIODS } from './series';
import { withStats } from './stats';
import { standardError, type CounterStore } from './store';

/**
 * `GET /experiments`: what to read for a request and the answer's shape. Every answer is
 * bounded, whatever the namespace holds: at most {@link PAGE_LIMITS} experiments per answer.
 *
 * - `scope=a,b`: the full results of the named experiments (Gimel's shape), at most the page limit.
 * - no scope: the full results of one page of the namespace, sorted by name: `limit`
 *   (default and maximum the page limit) from `offset` (default 0); `meta` says `total` and the
 *   `next` offset (null on the last page).
 * - `summary=1`: the cheap listing, one page of {@link ExperimentSummary} (participants only).
 * - `stats=1`: statistics on each experiment of the answer (not with `summary`).
 * - `phase=N`: the counts of phase N of defined experiments (default: each one's current phase;
 *   0, the counts from before any definition, for undefined ones). A defined experiment comes
 *   with its `definition` and its variants in declared order; its statistics take the declared
 *   control and, for the sample-ratio check, the declared weights of the phase.
 * - `series=day|week|month`: each experiment's counts over time in the phase shown (see
 *   {@link buildSeries}), at most {@link PAGE_LIMITS}.series experiments per answer (not with
 *   `summary`).
 */

/** Experiments per answer: full results, full results with statistics, summaries. */
export const PAGE_LIMITS = { full: 50, stats: 20, series: 10, summary: 1000 } as const;

/** A whole number in [min, max] from a query parameter, `fallback` when absent. */
function intParam(
  query: Record<string, string | undefined>,
  field: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = query[field];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new InputError(field, `${field} must be a whole number from ${min} to ${max}; got "${text}"`);
  return n;
}

/** Reads and shapes the answer to `GET /experiments` for `namespace`. */
export async function experimentsAnswer(
  event: ProxyEvent,
  namespace: string,
  config: Config,
  store: CounterStore,
): Promise<ExperimentsAnswer> {
  const query = event.queryStringParameters ?? {};
  const scopeText = query.scope;
  const summary = query.summary === '1';
  const stats = query.stats === '1' && !summary;
  const period = seriesParam(query.series, summary);
  const pageMax = summary
    ? PAGE_LIMITS.summary
    : period
      ? PAGE_LIMITS.series
      : stats
        ? PAGE_LIMITS.stats
        : PAGE_LIMITS.full;
  const now = store.now();
  const meta: ResultsMeta = {
    namespace,
    scope: scopeText ?? null,
    counting: config.counting,
    standard_error: standardError(config.counting),
    generated_at: now.toISOString(),
  };
  let names: string[];
  if (scopeText) {
    const asked = scopeText.split(',');
    if (asked.length > pageMax)
      throw new InputError('scope', `scope names ${asked.length} experiments; at most ${pageMax} per request`);
    names = asked.flatMap((s, i) => plusOrSpace(checkName(s, `scope[${i}]`, config)));
  } else {
    const limit = intParam(query, 'limit', pageMax, 1, pageMax);
    const offset = intParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const all = await store.experimentNames(namespace);
    names = all.slice(offset, offset + limit);
    Object.assign(meta, {
      total: all.length,
      offset,
      limit,
      next: offset + limit < all.length ? offset + limit : null,
    });
  }
  const defs = new Map((await store.definitions(namespace, names)).map((d) => [d.experiment, d]));
  if (summary) {
    const summaries = (await store.summaries(namespace, names)).map((s) => {
      const d = defs.get(s.experiment);
      return d ? definedSummary(s, d) : s;
    });
    return [{ meta }, ...summaries] as [{ meta: ResultsMeta }, ...ExperimentSummary[]];
  }
  const phases = phasesOf(query.phase, names, defs);
  const [read, days] = await Promise.all([
    store.results(namespace, names, phases),
    period ? store.dayCounts(namespace, names, phases) : null,
  ]);
  const results = read.map((r) => {
    const d = defs.get(r.experiment);
    const shown = d ? definedResults(r, d, phases[r.experiment]) : r;
    if (!period || !days) return shown;
    const phase = phases[r.experiment];
    const running = d?.state === 'running' && d.phase === phase;
    const series = buildSeries(shown, days.get(r.experiment) ?? [], { period, phase, running, today: dayOf(now) });
    return { ...shown, series };
  });
  return [{ meta }, ...(stats ? results.map((r) => statsOf(r, query.control)) : results)] as [
    { meta: ResultsMeta },
    ...ExperimentResults[],
  ];
}

/** The period of `series=`, or null when no series is asked. */
function seriesParam(text: string | undefined, summary: boolean): SeriesPeriod | null {
  if (text === undefined || text === '') return null;
  if (!SERIES_PERIODS.includes(text as SeriesPeriod)) {
    throw new InputError('series', `series must be one of ${SERIES_PERIODS.join(', ')}; got "${text}"`);
  }
  if (summary) throw new InputError('series', 'series cannot be combined with summary=1 (summaries carry no series)');
  return text as SeriesPeriod;
}

/** The phase to read of each experiment: `phase=N`, or a defined one's current phase (0 if undefined). */
function phasesOf(text: string | undefined, names: string[], defs: Map<string, Definition>): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const name of names) {
    const last = defs.get(name)?.phase ?? 0;
    const asked = intParam({ phase: text }, 'phase', last, 0, Number.MAX_SAFE_INTEGER);
    if (asked > last)
      throw new InputError('phase', `phase ${asked} does not exist in experiment "${name}" (its phases: 0 to ${last})`);
    phases[name] = asked;
  }
  return phases;
}

/** Statistics of one experiment: the declared control and weights of a defined one. */
function statsOf(r: ExperimentResults, control: string | undefined): ExperimentResults {
  const { weights, expected } = expectedSplit(r);
  const out = withStats(r, { control: control ?? r.definition?.variants[0]?.label, weights });
  return { ...out, srm: out.srm && { ...out.srm, expected } };
}
