import type { Client } from './client';
import type { SimExperimentReport, IndependenceReport } from './report';

/** What the report needs of a simulation's result (cli/commands/simulate.ts's `SimulateResult`). */
export interface Simulation {
  url: string;
  server: 'started' | 'given';
  namespace: string;
  visitors: number;
  seed: number;
  concurrency: number;
  requests: Client['tally'];
  seconds: number;
  experiments: SimExperimentReport[];
  independence: IndependenceReport[];
  problems: string[];
}

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const int = (x: number) => x.toLocaleString('en-US');

/** The lines `abtest simulate` prints. */
export function formatSimulation(r: Simulation): string[] {
  const q = r.requests;
  const started = r.server === 'started' ? ' (abtest dev started for this run)' : '';
  const lines = [
    `abtest simulate: ${int(r.visitors)} visitors, seed ${r.seed}, ${r.experiments.length} experiments, ` +
      `namespace "${r.namespace}" → ${r.url}${started}`,
    `  ${int(q.sent)} requests in ${r.seconds.toFixed(1)} s, ${r.concurrency} at a time: ` +
      `${int(q.duplicates)} duplicate sends, ${int(q.lostAndRetried)} cut off in flight and resent, ` +
      `${int(q.retries)} retries, ${int(q.failed)} failed` +
      (q.rejected ? `, ${int(q.rejected)} events refused (not stored)` : ''),
  ];
  for (const e of r.experiments) lines.push('', ...experimentLines(e));
  for (const d of r.independence) lines.push('', ...independenceLines(d));
  lines.push('');
  const variants = r.experiments.flatMap((e) => e.variants);
  const inside = variants.filter((v) => v.trueRateInInterval).length;
  lines.push(
    `true rate inside its 95% interval for ${inside} of ${variants.length} variants ` +
      '(about 1 in 20 falls outside by chance)',
  );
  const exact = r.experiments.every((e) => e.standardError === 0);
  if (r.problems.length > 0) for (const p of r.problems) lines.push(`✖ ${p}`);
  else if (exact) lines.push('✔ every counter equals the distinct visitors sent');
  else lines.push('✔ every counter is within 5 standard errors of the distinct visitors sent');
  return lines;
}

function experimentLines(e: SimExperimentReport): string[] {
  const error = e.standardError > 0 ? ` (relative error up to ${pct(e.standardError)} per counter)` : '';
  const header = ['variant', 'weight', 'expected', 'share', 'participants', 'sent', 'conversions', 'sent'];
  const rows = [[...header, 'rate [95% interval]', 'true rate', 'true rate is']];
  for (const v of e.variants) {
    rows.push([
      v.label,
      String(v.weight),
      pct(v.expectedShare),
      pct(v.share),
      int(v.participants),
      int(v.sentParticipants),
      int(v.conversions),
      int(v.sentConversions),
      `${pct(v.rate)} [${pct(v.interval[0])}, ${pct(v.interval[1])}]`,
      pct(v.trueRate),
      v.trueRateInInterval ? 'inside' : 'outside',
    ]);
  }
  const s = e.srm;
  const lines = [`${e.name} (goal ${e.goal}), counting ${e.counting}${error}`, ...indent(table(rows))];
  lines.push(
    `  sample ratio: χ² = ${s.chiSquare.toFixed(2)}, df ${s.df}, p = ${s.pValue.toPrecision(3)} → ` +
      (s.mismatch ? 'MISMATCH (p < 0.001)' : 'no mismatch'),
  );
  for (const v of e.stats.variants.slice(1)) {
    lines.push(
      `  ${v.label} vs ${e.stats.control}: uplift ${pct(v.uplift?.value ?? 0, 1)}, p = ${v.pValue!.toPrecision(3)}, ` +
        `P(beats control) = ${pct(v.probBeatControl!, 1)}, P(best) = ${pct(v.probBest, 1)}`,
    );
  }
  return lines;
}

function independenceLines(d: IndependenceReport): string[] {
  const [a, b] = d.experiments;
  const cells = d.cells.map((c) => {
    const sign = c.joint >= c.product ? '+' : '';
    return [`${c.a} × ${c.b}`, pct(c.joint), pct(c.product), `${sign}${pct(c.joint - c.product)}`];
  });
  return [
    `independence of ${a} × ${b} (joint share of the visitors sent against the product of the marginal shares)`,
    ...indent(table([['cell', 'joint', 'product', 'difference'], ...cells])),
    `  χ² = ${d.chiSquare.toFixed(2)}, df ${d.df}, p = ${d.pValue.toPrecision(3)} → ` +
      (d.pValue < 0.001 ? 'DEPENDENT (p < 0.001)' : 'independent'),
  ];
}

const indent = (lines: string[]) => lines.map((l) => `  ${l}`);

/** Columns padded to their widest cell: the first left-aligned, the others right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const cell = (text: string, j: number) => (j === 0 ? text.padEnd(widths[j]) : text.padStart(widths[j]));
  return rows.map((r) => r.map(cell).join('  ').trimEnd());
}
