import { PARTICIPATE } from './protocol';
import type { ExperimentResults, ExperimentSeries, SeriesPeriod, SeriesPoint } from './results';

/**
 * Counts over time: the UTC day an event counts in, and the grouping of day buckets into the
 * dense series of the results (days, ISO weeks that start on Monday, calendar months). Pure.
 */

/** The periods a series can be grouped by. */
export const SERIES_PERIODS: readonly SeriesPeriod[] = ['day', 'week', 'month'];

const MS_PER_DAY = 86_400_000;

/** The last day `dayOf` computed, and the instants it spans (every tracked event asks). */
let lastDay = { from: 0, to: 0, day: '' };

/** The UTC day of an instant, `YYYY-MM-DD`: the day bucket an event at that instant counts in. */
export function dayOf(at: Date): string {
  const ms = at.getTime();
  if (ms >= lastDay.from && ms < lastDay.to) return lastDay.day;
  const day = at.toISOString().slice(0, 10);
  // An invalid date throws above; only days of real instants are kept.
  const from = ms - (((ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY);
  lastDay = { from, to: from + MS_PER_DAY, day };
  return day;
}

/** What one day bucket holds: the events new to their counter that day. */
export interface DayCount {
  day: string;
  event: string;
  variant: string;
  count: number;
}

const toDate = (day: string): Date => new Date(`${day}T00:00:00Z`);

/** The first day of the period that `day` (`YYYY-MM-DD`) is in. */
export function periodStart(day: string, period: SeriesPeriod): string {
  if (period === 'day') return day;
  if (period === 'month') return `${day.slice(0, 7)}-01`;
  const d = toDate(day);
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return dayOf(new Date(d.getTime() - sinceMonday * MS_PER_DAY));
}

/** The first day of the period after the one that starts on `start`. */
function nextStart(start: string, period: SeriesPeriod): string {
  const d = toDate(start);
  if (period === 'month') return dayOf(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)));
  return dayOf(new Date(d.getTime() + (period === 'week' ? 7 : 1) * MS_PER_DAY));
}

/**
 * The series of one experiment's phase from its day buckets: every period from the first with
 * data to the last with data, or to `today` when `running` (a later bucket is kept). Variants
 * and goals come in the results' order; buckets of other variants or goals are left out, so the
 * last cumulative counts are the sums of the buckets of the results' variants and goals.
 */
export function buildSeries(
  r: Pick<ExperimentResults, 'variants' | 'goals'>,
  buckets: DayCount[],
  opts: { period: SeriesPeriod; phase: number; running: boolean; today: string },
): ExperimentSeries {
  const { period, phase } = opts;
  const labels = r.variants.map((v) => v.label);
  const goals = r.goals.map((g) => g.goal);
  const events = [PARTICIPATE, ...goals];
  // counts.get(periodStart)[variant index][event index]
  const counts = new Map<string, number[][]>();
  for (const b of buckets) {
    const v = labels.indexOf(b.variant);
    const e = events.indexOf(b.event);
    if (v < 0 || e < 0) continue;
    const start = periodStart(b.day, period);
    let cells = counts.get(start);
    if (!cells) counts.set(start, (cells = labels.map(() => events.map(() => 0))));
    cells[v][e] += b.count;
  }
  const starts = [...counts.keys()].sort();
  if (starts.length === 0) return { period, phase, points: [] };
  let last = starts[starts.length - 1];
  if (opts.running && periodStart(opts.today, period) > last) last = periodStart(opts.today, period);
  const totals = labels.map(() => events.map(() => 0));
  const points: SeriesPoint[] = [];
  for (let start = starts[0]; start <= last; start = nextStart(start, period)) {
    const cells = counts.get(start);
    points.push({
      start,
      variants: labels.map((label, v) => {
        const added = (e: number) => {
          const n = cells?.[v][e] ?? 0;
          totals[v][e] += n;
          return n;
        };
        return {
          label,
          participants: added(0),
          cumulative_participants: totals[v][0],
          goals: goals.map((goal, g) => ({
            goal,
            conversions: added(g + 1),
            cumulative_conversions: totals[v][g + 1],
          })),
        };
      }),
    });
  }
  return { period, phase, points };
}
