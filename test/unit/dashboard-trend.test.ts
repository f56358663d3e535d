import { tickDigits } from '../../src/dashboard/chart';
import { csvFilename, DASHBOARD_PAGE, signedPoints, statsMode } from '../../src/dashboard/model';
import { PAGE_LIMITS } from '../../src/results-route';
import { goalTrend, hasTrend, periodLabel, trendGeometry } from '../../src/dashboard/trend';
import type { ExperimentSeries } from '../../src/results';
import { wilsonInterval, Z95 } from '../../src/stats';

/** The dashboard's trend (series → per-goal cumulative rates → chart geometry) and its toggles, in Node. */

/** A variant in a point: new and cumulative participants, and per goal [goal, new, cumulative] conversions. */
const v = (label: string, n: number, cumulative: number, goals: [string, number, number][] = []) => ({
  label,
  participants: n,
  cumulative_participants: cumulative,
  goals: goals.map(([goal, c, cc]) => ({ goal, conversions: c, cumulative_conversions: cc })),
});

/** Three days; variant b starts on the second day; the goal `buy` is missing where nobody bought. */
const series: ExperimentSeries = {
  period: 'day',
  phase: 1,
  points: [
    { start: '2026-11-20', variants: [v('a', 100, 100)] },
    { start: '2026-11-21', variants: [v('a', 50, 150, [['buy', 15, 15]]), v('b', 80, 80, [['buy', 12, 12]])] },
    { start: '2026-11-22', variants: [v('a', 50, 200, [['buy', 5, 20]]), v('b', 120, 200, [['buy', 18, 30]])] },
  ],
};

test('the trend of a goal: cumulative rates with the Wilson interval (counting error included), missing counts as 0', () => {
  const t = goalTrend(series, 'buy', ['a', 'b'], 0.008125);
  expect(t.period).toBe('day');
  const [a, b] = t.variants;
  expect(a.points.map((p) => [p.participants, p.cumulativeParticipants, p.cumulativeConversions, p.rate])).toEqual([
    [100, 100, 0, 0],
    [50, 150, 15, 0.1],
    [50, 200, 20, 0.1],
  ]);
  expect(a.points[2].interval).toEqual(wilsonInterval(20, 200, Z95, 0.008125));
  // Before its first participant a variant has no rate (a gap, not a 0%).
  expect(b.points[0]).toMatchObject({ participants: 0, rate: null, interval: null });
  expect(b.points[2].rate).toBe(0.15);
  // A variant the series does not know is all gaps; nothing to draw without a participant.
  expect(goalTrend(series, 'buy', ['c']).variants[0].points.every((p) => p.rate === null)).toBe(true);
  expect(hasTrend(t)).toBe(true);
  expect(hasTrend(goalTrend(series, 'buy', ['c']))).toBe(false);
  expect(hasTrend(goalTrend({ ...series, points: [] }, 'buy', ['a']))).toBe(false);
});

test('the chart geometry: one x per period, rates on a round axis, a gap before a variant starts, bars to scale', () => {
  const g = trendGeometry(goalTrend(series, 'buy', ['a', 'b']), 640);
  const highest = wilsonInterval(30, 200)[1];
  expect(highest).toBeLessThan(0.25);
  expect(g.yTicks.map((t) => t.label)).toEqual(['0%', '5%', '10%', '15%', '20%', '25%']);
  expect(g.yTicks[0].y).toBe(g.rateBox.bottom);
  expect(g.yTicks[5].y).toBe(g.rateBox.top);
  expect(g.xTicks.map((t) => t.label)).toEqual(['Nov 20', 'Nov 21', 'Nov 22']);
  const [a, b] = g.variants;
  // a: three points on one line; b: a line from its first point on.
  expect(a.line.match(/[ML]/g)).toEqual(['M', 'L', 'L']);
  expect(b.line.match(/[ML]/g)).toEqual(['M', 'L']);
  expect(b.line.startsWith(`M${g.xTicks[1].x} `)).toBe(true);
  // One closed band per run of points.
  expect(a.band.match(/Z/g)).toHaveLength(1);
  expect(a.dots).toHaveLength(3);
  // Rate 10% sits 10/25 of the way up.
  const y10 = g.rateBox.bottom - (0.1 / 0.25) * (g.rateBox.bottom - g.rateBox.top);
  expect(a.dots[1].y).toBeCloseTo(y10, 0);
  // Bars: the biggest period (b's 120) fills the panel; b has no bar on the first day.
  expect(g.maxParticipants).toBe(120);
  expect(b.bars[2].height).toBe(g.barBox.bottom - g.barBox.top);
  expect(b.bars[0].height).toBe(0);
  expect(a.bars[0].height).toBeCloseTo((100 / 120) * (g.barBox.bottom - g.barBox.top), 0);
  // Side by side within a period, inside the drawing.
  expect(b.bars[1].x).toBeGreaterThan(a.bars[1].x);
  for (const v of g.variants) for (const r of v.bars) expect(r.x + r.width).toBeLessThanOrEqual(g.width);
});

test('a lone point still shows its band; a long series thins its labels and dots; a phone-width drawing', () => {
  const one: ExperimentSeries = { ...series, points: series.points.slice(2) };
  const lone = trendGeometry(goalTrend(one, 'buy', ['a']), 320);
  expect(lone.variants[0].band.match(/[ML]/g)).toHaveLength(4);
  expect(lone.width).toBe(320);
  // One period's bars stay bars, centred on its point, not slabs across the chart.
  const bar = lone.variants[0].bars[0];
  expect(bar.width).toBeLessThanOrEqual(24);
  expect(Math.abs(bar.x + bar.width / 2 - lone.variants[0].dots[0].x)).toBeLessThanOrEqual(1);
  const days = Array.from({ length: 90 }, (_, i) => ({
    start: new Date(Date.UTC(2026, 8, 1 + i)).toISOString().slice(0, 10),
    variants: [v('a', 10, 10 * (i + 1))],
  }));
  const long = trendGeometry(goalTrend({ period: 'day', phase: 1, points: days }, 'buy', ['a']), 320);
  expect(long.xTicks.length).toBeLessThanOrEqual(5);
  expect(long.xTicks.length).toBeGreaterThanOrEqual(2);
  for (let i = 1; i < long.xTicks.length; i++) expect(long.xTicks[i].x - long.xTicks[i - 1].x).toBeGreaterThan(50);
  expect(long.variants[0].dots).toHaveLength(1);
  // No conversions: the axis still reaches the final interval's end (0.4% of 900), no NaN anywhere.
  expect(long.yTicks.at(-1)!.label).toBe('0.5%');
  expect(JSON.stringify(long)).not.toMatch(/NaN|Infinity/);
});

test('period labels', () => {
  expect(periodLabel('2026-11-03', 'day')).toBe('Nov 3');
  expect(periodLabel('2026-11-02', 'week')).toBe('Nov 2');
  expect(periodLabel('2026-11-01', 'month')).toBe('Nov 2026');
  expect(tickDigits(0.25, 5)).toBe(0);
  expect(tickDigits(0.025, 5)).toBe(1);
  expect(tickDigits(0.01, 5)).toBe(1);
});

test('the statistics shown: always-valid while auto-refreshing, fixed-horizon otherwise, unless picked', () => {
  expect(statsMode(true, null)).toBe('sequential');
  expect(statsMode(false, null)).toBe('fixed');
  expect(statsMode(true, 'fixed')).toBe('fixed');
  expect(statsMode(false, 'sequential')).toBe('sequential');
});

test('formatting a difference in points, and the CSV file name', () => {
  expect(signedPoints(0.0123)).toBe('+1.23 pp');
  expect(signedPoints(-0.004)).toBe('\u22120.40 pp');
  expect(csvFilename('shop', 'checkout', 2)).toBe('shop-checkout-phase2.csv');
  expect(csvFilename('my shop', 'a/b: "c"?', 0)).toBe('my_shop-a_b_c_-phase0.csv');
});

test('a page of the dashboard is one answer of /experiments with a series', () => {
  expect(DASHBOARD_PAGE).toBeLessThanOrEqual(PAGE_LIMITS.series);
});
