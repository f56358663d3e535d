import type { Definition } from '../experiments/definition';
import type { ExperimentResults, SeriesPeriod } from '../results';
import { adoptButton, type AdminHooks, definitionPanel } from './admin';
import { h } from './dom';
import { goalBlock } from './goal';
import { type ExperimentView, formatCount, formatP, percent, type StatsMode } from './model';
import { goalTrend } from './trend';

/** What a card needs from the page: the loaded results and definitions, and what to do on a click. */
export interface CardContext {
  results(name: string): ExperimentResults | undefined;
  definition(name: string): Definition | undefined;
  onControl(name: string, control: string): void;
  onDelete(name: string): void;
  /** The statistics shown (always-valid or fixed-horizon). */
  mode(): StatsMode;
  onPeriod(name: string, period: SeriesPeriod): void;
  onDownload(name: string): void;
  hooks: AdminHooks;
}

const PERIODS: SeriesPeriod[] = ['day', 'week', 'month'];

/** The width the charts are drawn at: the card's content width, so that their text keeps its size on a phone. */
export function chartWidth(): number {
  const page = document.documentElement.clientWidth;
  return Math.round(Math.max(300, Math.min(720, page - (page <= 600 ? 50 : 100))));
}

/** "Over time, per [day|week|month]" and the CSV download of an experiment whose results carry a series. */
function overTime(e: ExperimentResults, ctx: CardContext): HTMLElement | null {
  if (!e.series) return null;
  const select = h(
    'select',
    { class: 'period', 'aria-label': `period of ${e.experiment}` },
    ...PERIODS.map((p) => h('option', p === e.series!.period ? { value: p, selected: '' } : { value: p }, `per ${p}`)),
  ) as HTMLSelectElement;
  select.addEventListener('change', () => ctx.onPeriod(e.experiment, select.value as SeriesPeriod));
  const csv = h('button', { type: 'button', class: 'csv' }, 'Download CSV');
  csv.addEventListener('click', () => ctx.onDownload(e.experiment));
  return h('div', { class: 'over-time' }, h('label', {}, 'over time ', select), csv);
}

/**
 * One experiment's card: counting badge, control selector, delete, its definition (or the
 * offer to define it), the sample-ratio warning, participants, and one block per goal.
 */
export function experimentCard(v: ExperimentView, ctx: CardContext): HTMLElement {
  const select = h(
    'select',
    { 'aria-label': `control of ${v.name}`, class: 'control' },
    ...v.variants.map((x) =>
      h('option', x.label === v.control ? { value: x.label, selected: '' } : { value: x.label }, x.label),
    ),
  ) as HTMLSelectElement;
  select.addEventListener('change', () => ctx.onControl(v.name, select.value));
  const del = h('button', { type: 'button', class: 'danger delete' }, 'Delete');
  del.addEventListener('click', () => ctx.onDelete(v.name));
  const counting =
    v.counting === 'hll'
      ? h(
          'span',
          {
            class: 'badge hll',
            title:
              'HyperLogLog counting: every count is an estimate (relative standard error up to this, smaller for small counts); the intervals and p-values include this error',
          },
          `HLL counts, error \u2264 \u00b1${percent(v.standardError, 2)}`,
        )
      : h('span', { class: 'badge exact' }, 'exact counts');
  const card = h(
    'section',
    { class: 'experiment', 'data-experiment': v.name },
    h('header', {}, h('h2', {}, v.name), counting, h('label', { class: 'control-label' }, 'control ', select), del),
  );
  const d = ctx.definition(v.name);
  const e = ctx.results(v.name)!;
  card.append(
    d
      ? definitionPanel(d, e.definition?.phase ?? d.phase, ctx.hooks)
      : h(
          'div',
          { class: 'definition undefined' },
          h('span', { class: 'muted' }, 'Undefined experiment (known from its counts only). '),
          adoptButton(e, v.control, ctx.hooks),
        ),
  );
  if (v.srm?.mismatch) {
    const expected = v.srm.expectedShares.map((s) => percent(s, 0)).join(' / ');
    const actual = v.variants.map((x) => percent(x.share)).join(' / ');
    card.append(
      h(
        'div',
        { class: 'srm', role: 'alert', 'data-srm': 'mismatch' },
        h('strong', {}, '\u26a0 Sample ratio mismatch. '),
        `Participants split ${actual}, expected ${expected} by ${v.expected} (\u03c7\u00b2 test p ${v.srm.pValue < 0.001 ? '< 0.001' : `= ${formatP(v.srm.pValue)}`}). Assignment or tracking is broken for some visitors; do not trust these results until it is fixed.${v.expected === 'declared weights' ? '' : ' (If the variants have different weights on purpose, define the experiment with its weights: this check then uses them.)'}`,
      ),
    );
  }
  card.append(
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'participants' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'variant'),
            h('th', { class: 'num' }, 'participants'),
            h('th', { class: 'num' }, 'share'),
          ),
        ),
        h(
          'tbody',
          {},
          ...v.variants.map((x) =>
            h(
              'tr',
              { 'data-variant': x.label },
              h('th', {}, x.label),
              h('td', { class: 'num', 'data-col': 'participants' }, formatCount(x.participants, v.counting)),
              h('td', { class: 'num' }, percent(x.share)),
            ),
          ),
        ),
      ),
    ),
  );
  if (v.goals.length === 0)
    card.append(h('p', { class: 'muted no-goals' }, 'No goal completed yet: participants only.'));
  const series = overTime(e, ctx);
  if (series) card.append(series);
  const labels = v.variants.map((x) => x.label);
  const width = chartWidth();
  for (const g of v.goals) {
    const trend = e.series && goalTrend(e.series, g.goal, labels, v.standardError);
    card.append(goalBlock(v, g.goal, g.stats, { mode: ctx.mode(), trend, width }));
  }
  return card;
}
