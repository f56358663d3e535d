import type { Definition } from '../experiments/definition';
import type { ExperimentResults } from '../results';
import { adoptButton, type AdminHooks, definitionPanel } from './admin';
import { rateChart } from './chart';
import { h } from './dom';
import { chance, type ExperimentView, formatCount, formatP, percent, signedPercent, verdict } from './model';

/** What a card needs from the page: the loaded results and definitions, and what to do on a click. */
export interface CardContext {
  results(name: string): ExperimentResults | undefined;
  definition(name: string): Definition | undefined;
  onControl(name: string, control: string): void;
  onDelete(name: string): void;
  hooks: AdminHooks;
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
  for (const g of v.goals) card.append(goalBlock(v, g.goal, g.stats));
  return card;
}

function goalBlock(v: ExperimentView, goal: string, stats: ExperimentView['goals'][number]['stats']): HTMLElement {
  const rows = stats.variants.map((s) => {
    const kind = verdict(s.pValue, s.diff?.value ?? null);
    const uplift =
      s.label === stats.control
        ? 'control'
        : s.uplift
          ? `${signedPercent(s.uplift.value)} (${signedPercent(s.uplift.interval[0])} to ${signedPercent(s.uplift.interval[1])})`
          : 'n/a (control rate is 0)';
    return h(
      'tr',
      { 'data-variant': s.label, class: kind },
      h('th', {}, s.label),
      h('td', { class: 'num', 'data-col': 'conversions' }, formatCount(s.successes, v.counting)),
      h('td', { class: 'num', 'data-col': 'trials' }, formatCount(s.trials, v.counting)),
      h(
        'td',
        { class: 'num', 'data-col': 'rate' },
        percent(s.rate, 2),
        h('span', { class: 'ci' }, ` ${percent(s.interval[0], 1)}\u2013${percent(s.interval[1], 1)}`),
      ),
      h('td', { class: 'num', 'data-col': 'uplift' }, uplift),
      h('td', { class: 'num', 'data-col': 'p' }, s.pValue === null ? '' : formatP(s.pValue)),
      h('td', { class: 'num', 'data-col': 'beat' }, s.probBeatControl === null ? '' : chance(s.probBeatControl)),
    );
  });
  return h(
    'div',
    { class: 'goal', 'data-goal': goal },
    h('h3', {}, 'goal ', h('q', {}, goal)),
    // Narrow screens scroll the table and chart sideways instead of squeezing them.
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...[
              'variant',
              'conversions',
              'participants',
              'rate (95% interval)',
              `uplift vs ${stats.control}`,
              'p-value',
              'chance to beat control',
            ].map((t, i) => h('th', i ? { class: 'num' } : {}, t)),
          ),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
    h('div', { class: 'scroll' }, rateChart(stats)),
  );
}
