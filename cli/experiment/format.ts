import type { Definition } from './api';

/** `red 1 : green 1` — the variants with their weights, control first. */
export const split = (d: Pick<Definition, 'variants'>): string =>
  d.variants.map((v) => `${v.label} ${v.weight}`).join(' : ');

/** The state of a definition in words: with its phase, and the winner of a rollout. */
export function stateLine(d: Definition): string {
  if (d.state === 'draft') return 'draft (nothing counted yet)';
  const phase = d.phases.find((p) => p.phase === d.phase);
  const since = phase ? (d.state === 'running' ? ` since ${phase.started_at}` : ` ended ${phase.ended_at ?? '?'}`) : '';
  const winner = d.state === 'rolled_out' && d.winner ? ` to ${d.winner}` : '';
  return `${d.state.replace('_', ' ')}${winner}, phase ${d.phase}${since}`;
}

/** What a visitor sees and what is counted, in the definition's state. */
export function visitorsLine(d: Definition): string {
  switch (d.state) {
    case 'draft':
      return 'visitors: the code decides (no definition is served yet); nothing is counted for it';
    case 'running': {
      const share = `${+(d.sample * 100).toFixed(2)}%`;
      const sample = d.sample < 1 ? `${share} of visitors enter, the rest see ${d.fallback}; ` : '';
      return `visitors: ${sample}split ${split(d)}; counted into phase ${d.phase}`;
    }
    case 'paused':
      return (
        `visitors: everyone sees the fallback ${d.fallback}; nothing is counted ` +
        `(resume continues phase ${d.phase})`
      );
    case 'rolled_out':
      return `visitors: everyone sees the winner ${d.winner}; nothing is counted`;
    case 'archived':
      return 'read-only: hidden from the default listings; its results are kept';
  }
}

/** A definition, every field, for `abtest experiment show`. */
export function showLines(d: Definition): string[] {
  const lines = [`${d.experiment}  (namespace ${d.namespace}, version ${d.version})`];
  if (d.description) lines.push(`  description  ${d.description}`);
  lines.push(`  state        ${stateLine(d)}`);
  lines.push(`  variants     ${split(d)}   (control: ${d.variants[0]?.label})`);
  lines.push(`  sample       ${d.sample}`, `  fallback     ${d.fallback}`);
  lines.push(`  ${visitorsLine(d)}`);
  if (d.phases.length) lines.push('  phases');
  for (const p of d.phases) {
    const span = `${p.started_at} → ${p.ended_at ?? 'now'}`;
    lines.push(`    ${p.phase}  ${span}  weights ${p.weights.join(':')}  sample ${p.sample}`);
  }
  lines.push(`  created ${d.created_at}, updated ${d.updated_at}`);
  return lines;
}

/** A table of definitions, for `abtest experiment list`. */
export function listLines(namespace: string, defs: Definition[]): string[] {
  if (defs.length === 0) return [`no defined experiments in namespace "${namespace}"`];
  const rows = defs.map((d) => [d.experiment, d.state.replace('_', ' '), String(d.phase), split(d), String(d.sample)]);
  const head = ['EXPERIMENT', 'STATE', 'PHASE', 'VARIANTS', 'SAMPLE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [`namespace ${namespace}`, line(head), ...rows.map(line)];
}
