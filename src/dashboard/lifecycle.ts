import type { Definition } from '../experiments/definition';

/**
 * What the dashboard offers for an experiment definition: the state changes allowed from its
 * state, and the confirmation that says what visitors will see. Pure, tested in Node.
 */

/** One button: the state it asks for, with `restart` for a new phase, `winner` asked for first. */
export interface LifecycleAction {
  label: string;
  state: 'running' | 'paused' | 'rolled_out' | 'archived';
  restart?: boolean;
  winner?: boolean;
}

const START: LifecycleAction = { label: 'Start', state: 'running' };
const PAUSE: LifecycleAction = { label: 'Pause', state: 'paused' };
const RESUME: LifecycleAction = { label: 'Resume', state: 'running' };
const ROLLOUT: LifecycleAction = { label: 'Roll out winner\u2026', state: 'rolled_out', winner: true };
const RESTART: LifecycleAction = { label: 'Restart', state: 'running', restart: true };
const ARCHIVE: LifecycleAction = { label: 'Archive', state: 'archived' };

/** The buttons of a definition in `state` (the transitions the API allows). */
export function actionsFor(state: Definition['state']): LifecycleAction[] {
  switch (state) {
    case 'draft':
      return [START, ARCHIVE];
    case 'running':
      return [PAUSE, ROLLOUT, ARCHIVE];
    case 'paused':
      return [RESUME, RESTART, ARCHIVE];
    case 'rolled_out':
      return [RESTART, ARCHIVE];
    default:
      return [];
  }
}

const split = (d: Pick<Definition, 'variants' | 'sample'>): string => {
  const total = d.variants.reduce((a, v) => a + v.weight, 0);
  const shares = d.variants.map((v) => `${v.label} ${Math.round((v.weight / total) * 100)}%`).join(', ');
  return d.sample < 1 ? `${Math.round(d.sample * 100)}% of visitors enter (${shares})` : `visitors are split ${shares}`;
};

/** The confirmation of `action` on `d`: what visitors will see afterwards, and what happens to the counts. */
export function confirmation(d: Definition, action: LifecycleAction, winner?: string): string {
  const name = `\u201c${d.experiment}\u201d`;
  switch (action) {
    case START:
      return `Start ${name}? Phase 1 begins: ${split(d)}; the others see ${d.fallback}.`;
    case PAUSE:
      return `Pause ${name}? Every visitor will see ${d.fallback} (the fallback) and nothing is tracked until you resume.`;
    case RESUME:
      return `Resume ${name}? Phase ${d.phase} continues: ${split(d)}; visitors keep their variant.`;
    case ROLLOUT:
      return `Roll out ${winner} in ${name}? Every visitor will see ${winner}; nothing is tracked any more.`;
    case RESTART:
      return (
        `Restart ${name}? Phase ${d.phase + 1} begins with counts from zero: ${split(d)}. ` +
        `Phase ${d.phase} stays readable.`
      );
    case ARCHIVE:
      return (
        `Archive ${name}? Visitors will see what the page's code picks (the definition no longer applies), ` +
        'nothing is tracked, and the definition becomes read-only. Results are kept.'
      );
    default:
      return `${action.label} ${name}?`;
  }
}

/** The confirmation of new weights and sample: a running experiment starts a new phase. */
export function weightsConfirmation(d: Definition, weights: number[], sample: number): string {
  const next = split({ variants: d.variants.map((v, i) => ({ ...v, weight: weights[i] })), sample });
  if (d.state !== 'running') return `Save the weights of \u201c${d.experiment}\u201d? When it runs, ${next}.`;
  return (
    `Change the weights of \u201c${d.experiment}\u201d? This starts phase ${d.phase + 1} (counts from zero): ${next}. ` +
    'Visitors who already have a variant keep it.'
  );
}

/** "started 2026-11-23 12:00, ended …" of the phase shown; empty for a draft. */
export function phaseDates(p: { started_at: string | null; ended_at: string | null }): string {
  const at = (iso: string) => iso.slice(0, 16).replace('T', ' ');
  if (!p.started_at) return '';
  return p.ended_at ? `${at(p.started_at)} \u2013 ${at(p.ended_at)} UTC` : `since ${at(p.started_at)} UTC`;
}
