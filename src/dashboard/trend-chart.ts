import { el } from './chart';
import { h } from './dom';
import { formatCount, percent } from './model';
import { type GoalTrend, trendGeometry } from './trend';

/**
 * One goal's trend as the page shows it: a legend, an inline SVG (the cumulative rate of each
 * variant with its 95% interval band, new participants per period below), and the same numbers
 * as a table for screen readers and for reading exact values.
 */

const PERIOD = { day: 'day', week: 'week', month: 'month' } as const;

/** The variant colour class: by position in the experiment, so each variant keeps its colour across goals. */
const tone = (j: number) => `s${j % 6}`;

/** The data tables open, by experiment and goal: a redraw (auto-refresh) keeps them open. */
const opened = new Set<string>();

/**
 * The trend block of one goal of `experiment`, drawn `width` units wide (the page passes its
 * width in CSS pixels, so that text stays readable on a phone).
 */
export function trendBlock(experiment: string, t: GoalTrend, counting: 'hll' | 'exact', width: number): HTMLElement {
  const g = trendGeometry(t, width);
  const per = PERIOD[t.period];
  const svg = el('svg', {
    viewBox: `0 0 ${g.width} ${g.height}`,
    class: 'trend',
    role: 'img',
    'aria-label': `cumulative conversion rate of each variant per ${per} with its 95% interval, and new participants per ${per}; the table below holds the numbers`,
  });
  const { rateBox: r, barBox: b } = g;
  for (const tick of g.yTicks) {
    svg.append(el('line', { x1: r.left, x2: r.right, y1: tick.y, y2: tick.y, class: 'grid' }));
    svg.append(el('text', { x: r.left - 6, y: tick.y + 4, 'text-anchor': 'end', class: 'tick' }, tick.label));
  }
  svg.append(el('line', { x1: b.left, x2: b.right, y1: b.bottom, y2: b.bottom, class: 'grid' }));
  svg.append(
    el(
      'text',
      { x: b.left - 6, y: b.top + 8, 'text-anchor': 'end', class: 'tick' },
      formatCount(g.maxParticipants, 'exact'),
    ),
  );
  svg.append(el('text', { x: b.left + 2, y: b.top - 4, class: 'tick' }, `new participants per ${per}`));
  for (const tick of g.xTicks)
    svg.append(el('text', { x: tick.x, y: b.bottom + 15, 'text-anchor': 'middle', class: 'tick' }, tick.label));
  g.variants.forEach((v, j) => {
    const group = el('g', { class: `variant ${tone(j)}`, 'data-variant': v.label });
    if (v.band) group.append(el('path', { d: v.band, class: 'band' }));
    if (v.line) group.append(el('path', { d: v.line, class: 'line' }));
    for (const d of v.dots) group.append(el('circle', { cx: d.x, cy: d.y, r: 2.5, class: 'dot' }));
    for (const bar of v.bars) if (bar.height > 0) group.append(el('rect', { ...bar, class: 'bar' }));
    svg.append(group);
  });
  const legend = h(
    'ul',
    { class: 'legend' },
    ...t.variants.map((v, j) => h('li', {}, h('span', { class: `swatch ${tone(j)}`, 'aria-hidden': 'true' }), v.label)),
  );
  return h(
    'div',
    { class: 'trend-block', 'data-period': t.period },
    h('h4', {}, `Cumulative conversion rate per ${per} (95% interval)`),
    legend,
    svg,
    dataTable(t, counting, `${experiment}\u0000${t.goal}`),
  );
}

/** The chart's numbers: one row per period and variant, folded away unless asked for. */
function dataTable(t: GoalTrend, counting: 'hll' | 'exact', key: string): HTMLElement {
  const per = PERIOD[t.period];
  const rows = (t.variants[0]?.points ?? []).flatMap((_, i) =>
    t.variants.map((v) => {
      const p = v.points[i];
      return h(
        'tr',
        { 'data-start': p.start, 'data-variant': v.label },
        h('td', {}, p.start),
        h('th', {}, v.label),
        h('td', { class: 'num' }, formatCount(p.participants, counting)),
        h('td', { class: 'num' }, formatCount(p.cumulativeParticipants, counting)),
        h('td', { class: 'num' }, formatCount(p.cumulativeConversions, counting)),
        h(
          'td',
          { class: 'num', 'data-col': 'rate' },
          p.rate === null || !p.interval
            ? '\u2013'
            : `${percent(p.rate, 2)} (${percent(p.interval[0], 1)}\u2013${percent(p.interval[1], 1)})`,
        ),
      );
    }),
  );
  const head = [
    `${per} from`,
    'variant',
    'new participants',
    'participants so far',
    'conversions so far',
    'rate so far (95% interval)',
  ];
  const details = h(
    'details',
    opened.has(key) ? { class: 'trend-data', open: '' } : { class: 'trend-data' },
    h('summary', {}, `The numbers per ${per}, as a table`),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...head.map((x, i) => h('th', i > 1 ? { class: 'num' } : {}, x)))),
        h('tbody', {}, ...rows),
      ),
    ),
  );
  details.addEventListener('toggle', () => {
    if ((details as HTMLDetailsElement).open) opened.add(key);
    else opened.delete(key);
  });
  return details;
}
