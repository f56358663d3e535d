import { type GoalStats, SEQUENTIAL_METHOD, sequentialVerdict, type VariantStats } from '../stats';
import { rateChart } from './chart';
import { h } from './dom';
import {
  chance,
  type ExperimentView,
  formatCount,
  formatP,
  percent,
  signedPercent,
  signedPoints,
  type StatsMode,
  verdict,
} from './model';
import { type GoalTrend, hasTrend } from './trend';
import { trendBlock } from './trend-chart';

/**
 * One goal of an experiment's card: which statistics are shown and why, the table of the
 * variants (fixed-horizon or always-valid columns), the chart of the rates, and the trend.
 */

/** A variant's verdict by the always-valid p-value. */
const sequentialKind = (s: VariantStats) => verdict(s.sequential?.pValue ?? null, s.diff?.value ?? null);

/** What each mode says about itself, above the table. */
export const MODE_NOTES: Record<StatsMode, string> = {
  sequential: 'Always-valid results (mSPRT) \u2014 safe to check often',
  fixed: 'Fixed-horizon results \u2014 valid when read once, at a sample size fixed in advance',
};

/** The fixed-horizon cells of a variant: uplift with its interval, z-test p-value, chance to beat control. */
function fixedCells(s: VariantStats, control: string): HTMLElement[] {
  const uplift =
    s.label === control
      ? 'control'
      : s.uplift
        ? `${signedPercent(s.uplift.value)} (${signedPercent(s.uplift.interval[0])} to ${signedPercent(s.uplift.interval[1])})`
        : 'n/a (control rate is 0)';
  return [
    h('td', { class: 'num', 'data-col': 'uplift' }, uplift),
    h('td', { class: 'num', 'data-col': 'p' }, s.pValue === null ? '' : formatP(s.pValue)),
    h('td', { class: 'num', 'data-col': 'beat' }, s.probBeatControl === null ? '' : chance(s.probBeatControl)),
  ];
}

/** The always-valid cells of a variant: the difference with its confidence sequence, the always-valid p-value. */
function sequentialCells(s: VariantStats, control: string): HTMLElement[] {
  const q = s.sequential;
  const diff =
    s.label === control
      ? 'control'
      : q && s.diff
        ? `${signedPoints(s.diff.value)} (${signedPoints(q.interval[0])} to ${signedPoints(q.interval[1])})`
        : 'n/a';
  return [
    h('td', { class: 'num', 'data-col': 'diff' }, diff),
    h('td', { class: 'num', 'data-col': 'seq-p' }, q ? formatP(q.pValue) : ''),
  ];
}

const HEADS: Record<StatsMode, (control: string) => string[]> = {
  fixed: (c) => [`uplift vs ${c}`, 'p-value', 'chance to beat control'],
  sequential: (c) => [`difference vs ${c} (always-valid 95%)`, 'always-valid p-value'],
};

/** The block of one goal in `mode`, with its trend when the results carry a series. */
export function goalBlock(
  v: ExperimentView,
  goal: string,
  stats: GoalStats,
  o: { mode: StatsMode; trend?: GoalTrend; width: number },
): HTMLElement {
  const kind = o.mode === 'sequential' ? sequentialKind : (s: VariantStats) => verdict(s.pValue, s.diff?.value ?? null);
  const cells = o.mode === 'sequential' ? sequentialCells : fixedCells;
  const rows = stats.variants.map((s) =>
    h(
      'tr',
      { 'data-variant': s.label, class: s.label === stats.control ? 'control' : kind(s) },
      h('th', {}, s.label),
      h('td', { class: 'num', 'data-col': 'conversions' }, formatCount(s.successes, v.counting)),
      h('td', { class: 'num', 'data-col': 'trials' }, formatCount(s.trials, v.counting)),
      h(
        'td',
        { class: 'num', 'data-col': 'rate' },
        percent(s.rate, 2),
        h('span', { class: 'ci' }, ` ${percent(s.interval[0], 1)}\u2013${percent(s.interval[1], 1)}`),
      ),
      ...cells(s, stats.control),
    ),
  );
  const head = ['variant', 'conversions', 'participants', 'rate (95% interval)', ...HEADS[o.mode](stats.control)];
  const sentence = o.mode === 'sequential' ? sequentialVerdict(stats) : '';
  return h(
    'div',
    { class: 'goal', 'data-goal': goal, 'data-mode': o.mode },
    h('h3', {}, 'goal ', h('q', {}, goal)),
    h(
      'p',
      {
        class: `mode-note ${o.mode}`,
        'data-mode-note': o.mode,
        title: o.mode === 'sequential' ? `${SEQUENTIAL_METHOD.name}; ${SEQUENTIAL_METHOD.tuning}` : undefined,
      },
      MODE_NOTES[o.mode],
    ),
    sentence ? h('p', { class: 'verdict', 'data-verdict': '' }, sentence) : null,
    // Narrow screens scroll the table and chart sideways instead of squeezing them.
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...head.map((t, i) => h('th', i ? { class: 'num' } : {}, t)))),
        h('tbody', {}, ...rows),
      ),
    ),
    h('div', { class: 'scroll' }, rateChart(stats, kind, o.width)),
    o.trend && hasTrend(o.trend)
      ? trendBlock(v.name, o.trend, v.counting, o.width)
      : o.trend
        ? h('p', { class: 'muted no-trend' }, 'No counts per day in this phase yet.')
        : null,
  );
}
