import type { Definition } from '../experiments/definition';
import type { ExperimentResults } from '../results';
import { h } from './dom';
import { actionsFor, confirmation, phaseDates, weightsConfirmation, type LifecycleAction } from './lifecycle';

/**
 * The admin part of an experiment's card: state, phase, dates, description, the lifecycle
 * buttons (each after a confirmation saying what visitors will see), weights and sample, a
 * phase selector; for an undefined experiment, "Define…" (adopt it as a draft).
 */

/** What the panel needs from the page: an admin call (false when it failed and was reported), and a phase change. */
export interface AdminHooks {
  call(method: string, path: string, experiment: string, body?: unknown): Promise<boolean>;
  showPhase(experiment: string, phase: number): void;
}

const button = (label: string, cls: string, onClick: () => void) => {
  const b = h('button', { type: 'button', class: cls }, label);
  b.addEventListener('click', onClick);
  return b;
};

/** The panel of a defined experiment; `shown` is the phase the results show. */
export function definitionPanel(d: Definition, shown: number, hooks: AdminHooks): HTMLElement {
  const phase = d.phases.find((p) => p.phase === shown);
  const select = h(
    'select',
    { class: 'phase', 'aria-label': `phase of ${d.experiment}` },
    ...Array.from({ length: d.phase + 1 }, (_, i) => {
      const text = i === 0 ? 'phase 0 (before the definition)' : `phase ${i}${i === d.phase ? ' (current)' : ''}`;
      return h('option', i === shown ? { value: String(i), selected: '' } : { value: String(i) }, text);
    }),
  ) as HTMLSelectElement;
  select.addEventListener('change', () => hooks.showPhase(d.experiment, Number(select.value)));
  const head = h(
    'div',
    { class: 'def-head' },
    h('span', { class: `state-badge s-${d.state}`, 'data-state': d.state }, d.state.replace('_', ' ')),
    d.winner ? h('span', { class: 'winner' }, `winner ${d.winner}`) : null,
    select,
    h(
      'span',
      { class: 'muted dates' },
      phase ? phaseDates(phase) : shown === 0 ? 'counts from before the definition' : '',
    ),
  );
  const description = h(
    'p',
    { class: 'description' },
    d.description || h('span', { class: 'muted' }, 'no description'),
  );
  const panel = h('div', { class: 'definition', 'data-definition': d.state }, head, description);
  if (d.state === 'archived') {
    panel.append(h('p', { class: 'muted' }, 'Archived: read-only; the results are kept.'));
    return panel;
  }
  const labels = d.variants.map((v) => v.label);
  const act = (a: LifecycleAction) =>
    button(a.label, `act ${a.state}${a.restart ? ' restart' : ''}`, async () => {
      let winner: string | undefined;
      if (a.winner) {
        const ask = `Winner of \u201c${d.experiment}\u201d to roll out (one of: ${labels.join(', ')})`;
        winner = prompt(ask, labels[1] ?? labels[0])?.trim();
        if (!winner) return;
        if (!labels.includes(winner))
          return void alert(`\u201c${winner}\u201d is not a variant (${labels.join(', ')}).`);
      }
      if (!confirm(confirmation(d, a, winner))) return;
      const body = { state: a.state, ...(winner ? { winner } : {}), ...(a.restart ? { restart: true } : {}) };
      await hooks.call('POST', '/definition/state', d.experiment, body);
    });
  const actions = h(
    'div',
    { class: 'lifecycle' },
    ...actionsFor(d.state).map(act),
    button('Edit description', 'describe', async () => {
      const text = prompt(`Description of \u201c${d.experiment}\u201d`, d.description);
      if (text !== null) await hooks.call('POST', '/definition/describe', d.experiment, { description: text });
    }),
  );
  panel.append(actions, weightsForm(d, hooks));
  return panel;
}

function weightsForm(d: Definition, hooks: AdminHooks): HTMLElement {
  const number = (value: number, attrs: Record<string, string>) =>
    h('input', {
      type: 'number',
      min: '0',
      step: 'any',
      value: String(value),
      size: '4',
      ...attrs,
    }) as HTMLInputElement;
  const inputs = d.variants.map((v) =>
    number(v.weight, { 'aria-label': `weight of ${v.label}`, 'data-weight': v.label }),
  );
  const sample = number(d.sample, { max: '1', 'aria-label': 'sample', 'data-sample': '' });
  const form = h(
    'form',
    { class: 'weights' },
    ...d.variants.flatMap((v, i) => [h('label', {}, `${v.label} `, inputs[i])]),
    h('label', {}, 'sample ', sample),
    h('button', { type: 'submit' }, 'Save weights'),
    d.state === 'running' ? h('span', { class: 'warn' }, '\u26a0 saving starts a new phase (counts from zero)') : null,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const weights = inputs.map((x) => Number(x.value));
    if (!confirm(weightsConfirmation(d, weights, Number(sample.value)))) return;
    await hooks.call('POST', '/definition/weights', d.experiment, { weights, sample: Number(sample.value) });
  });
  return form;
}

/** "Define…" for an experiment known only from its counts: a draft with its variants in the order shown, equal weights. */
export function adoptButton(e: ExperimentResults, control: string, hooks: AdminHooks): HTMLElement {
  return button('Define\u2026', 'adopt', async () => {
    const labels = [control, ...e.variants.map((v) => v.label).filter((l) => l !== control)];
    const text =
      `Define \u201c${e.experiment}\u201d with variants ${labels.join(', ')} ` +
      `(equal weights, ${control} as control and fallback)? It starts as a draft; nothing changes for visitors ` +
      'until you start it. The counts so far stay readable as phase 0.';
    if (!confirm(text)) return;
    await hooks.call('PUT', '/definition', e.experiment, { variants: labels.map((label) => ({ label, weight: 1 })) });
  });
}
