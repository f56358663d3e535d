import type { ExperimentResults, ExperimentSeries } from './results';

/**
 * The one CSV export of results over time, for the CLI (`abtest experiment export`) and the
 * dashboard's download: pure, no Node APIs. RFC 4180: CRLF after every record, a cell with a
 * comma, a quote or a line break is quoted, quotes doubled. A text cell that a spreadsheet would
 * read as a formula (it starts with = + - @, a tab or a CR) gets a leading `'`.
 */

/** Results that carry a series (asked with `series=day|week|month`). */
export type SeriesResults = ExperimentResults & { series: ExperimentSeries };

/** The columns of {@link seriesCsv}, in order. */
export const CSV_COLUMNS = [
  'experiment',
  'phase',
  'period',
  'start',
  'variant',
  'goal',
  'participants',
  'cumulative_participants',
  'conversions',
  'cumulative_conversions',
] as const;

const FORMULA = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: numbers as they are, text made inert and quoted when needed, null as an empty cell. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Records, each ended by CRLF. */
export const csvRecords = (rows: (string | number | null)[][]): string =>
  rows.map((row) => `${row.map(csvCell).join(',')}\r\n`).join('');

/**
 * The series of experiments as CSV with a header row: one record per experiment, period,
 * variant and goal (in the results' order, oldest period first). An experiment without goals
 * has one record per period and variant, its goal and conversion cells empty.
 */
export function seriesCsv(results: SeriesResults[]): string {
  const rows: (string | number | null)[][] = [[...CSV_COLUMNS]];
  for (const r of results) {
    const { period, phase, points } = r.series;
    for (const point of points) {
      for (const v of point.variants) {
        const lead = [r.experiment, phase, period, point.start, v.label];
        const people = [v.participants, v.cumulative_participants];
        if (v.goals.length === 0) rows.push([...lead, null, ...people, null, null]);
        for (const g of v.goals) rows.push([...lead, g.goal, ...people, g.conversions, g.cumulative_conversions]);
      }
    }
  }
  return csvRecords(rows);
}
