import { seriesCsv, type SeriesResults } from '../../src/csv';
import { InputError } from '../../src/errors';
import type { SeriesPeriod } from '../../src/results';
import { SERIES_PERIODS } from '../../src/series';
import type { CommandDeps } from '../command';
import { fetchSeries } from '../experiment/series';
import type { ApiOptions, Describe } from '../target';
import { definitionsTarget } from './experiment';

export interface ExportOptions extends ApiOptions {
  /** The experiment. */
  name: string;
  /** Namespace of the experiment. @default config namespace */
  namespace?: string;
  /** The phase to export, a whole number. @default the current phase (0 for an undefined experiment) */
  phase?: string;
  /** day, week or month. @default day */
  period?: string;
  /** Print the results with their series as JSON instead of CSV. @default false */
  json?: boolean;
}

export interface ExportResult {
  namespace: string;
  api: string;
  results: SeriesResults;
  /** The CSV (src/csv.ts): a header row and one record per period, variant and goal, each ended by CRLF. */
  csv: string;
}

/** `--phase`: a whole number, or undefined when not given. */
function phaseOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text))
    throw new InputError('--phase', `--phase must be a whole number (0, 1, 2...), got "${text}"`);
  return Number(text);
}

function periodOf(text: string | undefined): SeriesPeriod {
  if (text === undefined) return 'day';
  if (!SERIES_PERIODS.includes(text as SeriesPeriod)) {
    throw new InputError('--period', `--period must be one of ${SERIES_PERIODS.join(', ')}, got "${text}"`);
  }
  return text as SeriesPeriod;
}

/**
 * `abtest experiment export NAME [--phase N] [--period day|week|month]`: one experiment's
 * participants and conversions per variant, goal and period as CSV, read from `/experiments`
 * of the API (`--url`, `--dev` or the deployed one).
 */
export async function run(
  opts: ExportOptions,
  deps: CommandDeps & { describe?: Describe } = {},
): Promise<ExportResult> {
  const phase = phaseOf(opts.phase);
  const period = periodOf(opts.period);
  const { base, apiKey, namespace } = await definitionsTarget(opts, deps);
  const results = await fetchSeries({ base, apiKey }, namespace, opts.name, { period, phase });
  return { namespace, api: base, results, csv: seriesCsv([results]) };
}

/** The CSV as it is (the entry ends the last line), or the results as JSON with `json`. */
export function format(r: ExportResult, opts: ExportOptions): string[] {
  if (opts.json) return [JSON.stringify(r.results, null, 2)];
  // The entry prints each line and a \n: the CSV's last CRLF loses its \n here and gets it back there.
  return [r.csv.slice(0, -1)];
}
