import type { ExperimentSeries, SeriesPeriod } from '../results';
import { wilsonInterval, Z95 } from '../stats';
import { axisMax, tickDigits } from './chart';
import { percent } from './model';

/**
 * The trend of one goal: per variant, the cumulative conversion rate at the end of each period
 * with its 95% interval (the same Wilson interval, with the counting error, as the
 * fixed-horizon numbers, computed from the cumulative counts), and the new participants of each
 * period. Pure: the data and the chart geometry, tested in Node; trend-chart.ts draws them.
 */

/** One variant's value at the end of one period. */
export interface TrendPoint {
  start: string;
  /** New participants in the period. */
  participants: number;
  cumulativeParticipants: number;
  cumulativeConversions: number;
  /** Cumulative rate, capped into [0, 1]; null before the variant's first participant. */
  rate: number | null;
  interval: [number, number] | null;
}

/** One goal's trend: the variants in the order given, each with one point per period. */
export interface GoalTrend {
  goal: string;
  period: SeriesPeriod;
  variants: { label: string; points: TrendPoint[] }[];
}

/**
 * The trend of `goal` for `labels` (the experiment's variants, in its order) from a series; a
 * variant or goal missing from a point counts 0.
 * @param standardError relative standard error of each count (HLL), as for the fixed-horizon numbers. @default 0
 */
export function goalTrend(series: ExperimentSeries, goal: string, labels: string[], standardError = 0): GoalTrend {
  return {
    goal,
    period: series.period,
    variants: labels.map((label) => ({
      label,
      points: series.points.map((p) => {
        const v = p.variants.find((x) => x.label === label);
        const g = v?.goals.find((x) => x.goal === goal);
        const n = v?.cumulative_participants ?? 0;
        const s = g?.cumulative_conversions ?? 0;
        return {
          start: p.start,
          participants: v?.participants ?? 0,
          cumulativeParticipants: n,
          cumulativeConversions: s,
          rate: n > 0 ? Math.min(1, s / n) : null,
          interval: n > 0 ? wilsonInterval(s, n, Z95, standardError) : null,
        };
      }),
    })),
  };
}

/** Whether a trend has anything to draw: a participant counted per day by its end (counts from before day buckets have none). */
export const hasTrend = (t: GoalTrend): boolean =>
  t.variants.some((v) => (v.points.at(-1)?.cumulativeParticipants ?? 0) > 0);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A period's start as an axis label: `Nov 3` (day, week) or `Nov 2026` (month). */
export function periodLabel(start: string, period: SeriesPeriod): string {
  const [y, m, d] = start.split('-').map(Number);
  const month = MONTHS[m - 1] ?? '?';
  return period === 'month' ? `${month} ${y}` : `${month} ${d}`;
}

/** Where the chart draws: boxes, ticks, and per variant its line, band, dots and bars. */
export interface TrendGeometry {
  width: number;
  height: number;
  /** The rate panel and the participants panel: left, right, top, bottom. */
  rateBox: { left: number; right: number; top: number; bottom: number };
  barBox: { left: number; right: number; top: number; bottom: number };
  yTicks: { y: number; label: string }[];
  xTicks: { x: number; label: string }[];
  /** The largest number of new participants of a variant in one period (the top of the bars). */
  maxParticipants: number;
  variants: {
    label: string;
    /** SVG path of the cumulative rate (a new subpath after a gap). */
    line: string;
    /** SVG path of the interval band, one closed shape per run of points. */
    band: string;
    dots: { x: number; y: number }[];
    bars: { x: number; y: number; width: number; height: number }[];
  }[];
}

const LEFT = 44;
const RIGHT = 10;
const TOP = 10;
const RATE_HEIGHT = 150;
const GAP = 22;
const BAR_HEIGHT = 50;
const AXIS = 20;
/** Dots mark each point when there are at most this many (more would be a blur). */
const MAX_DOTS = 31;

const round = (x: number) => Math.round(x * 10) / 10;

/**
 * The chart geometry of a goal trend in a `width`-unit-wide drawing: the rate panel on top
 * (its axis from 0 to a round number at or above the highest rate and final interval end; the
 * band is clipped to it), the new participants per period below as grouped bars, period labels
 * at the bottom, as many as fit.
 * @param width the drawing's width in SVG units (the page draws at its CSS pixel width). @default 640
 */
export function trendGeometry(t: GoalTrend, width = 640): TrendGeometry {
  const n = Math.max(1, t.variants[0]?.points.length ?? 0);
  const rateBox = { left: LEFT, right: width - RIGHT, top: TOP, bottom: TOP + RATE_HEIGHT };
  const barBox = {
    left: LEFT,
    right: width - RIGHT,
    top: rateBox.bottom + GAP,
    bottom: rateBox.bottom + GAP + BAR_HEIGHT,
  };
  const slot = (rateBox.right - rateBox.left) / n;
  const x = (i: number) => round(rateBox.left + (i + 0.5) * slot);
  const highest = Math.max(
    0,
    ...t.variants.flatMap((v) => v.points.map((p) => p.rate ?? 0)),
    ...t.variants.map((v) => v.points.at(-1)?.interval?.[1] ?? 0),
  );
  const max = axisMax(highest);
  const y = (r: number) => round(rateBox.bottom - (Math.min(Math.max(r, 0), max) / max) * RATE_HEIGHT);
  const digits = tickDigits(max, 5);
  const yTicks = Array.from({ length: 6 }, (_, i) => ({ y: y((max * i) / 5), label: percent((max * i) / 5, digits) }));
  const every = Math.ceil(n / Math.max(1, Math.floor((rateBox.right - rateBox.left) / 64)));
  const points = t.variants[0]?.points ?? [];
  const xTicks = points
    .map((p, i) => ({ x: x(i), label: periodLabel(p.start, t.period), i }))
    .filter(({ i }) => i % every === 0)
    .map(({ x, label }) => ({ x, label }));
  const maxParticipants = Math.max(0, ...t.variants.flatMap((v) => v.points.map((p) => p.participants)));
  const k = Math.max(1, t.variants.length);
  // A period's bars take 80% of its slot, at most 24 units a bar (a few periods would make slabs).
  const group = Math.min(slot * 0.8, 24 * k);
  const barWidth = group / k;
  return {
    width,
    height: barBox.bottom + AXIS,
    rateBox,
    barBox,
    yTicks,
    xTicks,
    maxParticipants,
    variants: t.variants.map((v, j) => {
      let line = '';
      let band = '';
      let run: { i: number; lo: number; hi: number }[] = [];
      const close = () => {
        if (run.length === 0) return;
        // A lone point gets a band a few units wide, so that it shows.
        const cols =
          run.length === 1
            ? [-6, 6].map((d) => ({ ...run[0], px: x(run[0].i) + d }))
            : run.map((r) => ({ ...r, px: x(r.i) }));
        const upper = cols.map((c, m) => `${m ? 'L' : 'M'}${round(c.px)} ${y(c.hi)}`);
        const lower = cols.map((c) => `L${round(c.px)} ${y(c.lo)}`).reverse();
        band += `${upper.join('')}${lower.join('')}Z`;
        run = [];
      };
      v.points.forEach((p, i) => {
        if (p.rate === null || p.interval === null) {
          close();
          return;
        }
        line += `${run.length ? 'L' : 'M'}${x(i)} ${y(p.rate)}`;
        run.push({ i, lo: p.interval[0], hi: p.interval[1] });
      });
      close();
      const dots = v.points.flatMap((p, i) =>
        p.rate !== null && (n <= MAX_DOTS || i === n - 1) ? [{ x: x(i), y: y(p.rate) }] : [],
      );
      const bars = v.points.map((p, i) => {
        const height = maxParticipants > 0 ? round((p.participants / maxParticipants) * BAR_HEIGHT) : 0;
        return {
          x: round(x(i) - group / 2 + j * barWidth),
          y: round(barBox.bottom - height),
          width: round(Math.max(0.5, barWidth - (barWidth > 3 ? 1 : 0))),
          height,
        };
      });
      return { label: v.label, line, band, dots, bars };
    }),
  };
}
