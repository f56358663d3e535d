import { AbtestError } from '../../src/errors';
import type { CommandDeps } from '../command';
import type { Definition } from '../experiment/api';
import { readDefinitionsFile } from '../experiment/file';
import { applyStep, planAll, stepKey } from '../experiment/plan';
import { silentReporter } from '../deploy/reporter';
import type { ApiOptions, Describe } from '../target';
import { definitionsTarget } from './experiment';

export interface ApplyOptions extends ApiOptions {
  /** The definitions file (JSON). */
  file: string;
  /** Namespace of the experiments the file gives none. @default config namespace */
  namespace?: string;
  /** Print the plan and change nothing. @default false */
  dryRun?: boolean;
  /** Print the result as one JSON object (the plan then goes to stderr). @default false */
  json?: boolean;
}

export interface ApplyResult {
  file: string;
  api: string;
  dryRun: boolean;
  /** The plan, one line per change; empty when the file already holds. */
  plan: string[];
  /** The experiments of the file. */
  experiments: number;
  /** The definitions the changes left (one per changed experiment, the last answer); none in a dry run. */
  changed: Definition[];
}

/**
 * `abtest experiment apply FILE`: reads the definitions file (checked first, errors name the
 * file and the field), reads the current definitions, plans the changes (shown before any is
 * made) and, unless `dryRun`, makes them in order. Run again, it finds nothing to change.
 */
export async function run(opts: ApplyOptions, deps: CommandDeps & { describe?: Describe } = {}): Promise<ApplyResult> {
  const report = deps.reporter ?? silentReporter;
  const { base, client, namespace } = await definitionsTarget(opts, deps);
  const wanted = readDefinitionsFile(opts.file, namespace);
  const { steps, versions } = await planAll(client, wanted);
  report.plan(steps.map((s) => s.text));
  const changed = new Map<string, Definition>();
  if (!opts.dryRun) {
    for (const s of steps) {
      report.stage(s.text);
      try {
        // Each change expects the version the plan (or the change before it) saw: no one else's edit is overwritten.
        const d = await applyStep(client, s, versions.get(stepKey(s)) ?? null);
        versions.set(stepKey(s), d.version);
        changed.set(stepKey(s), d);
      } catch (e) {
        const hint = 'the steps before it were made; fix the cause and run apply again: it plans from what holds now';
        throw new AbtestError('apply', `${s.text.slice(2)} failed: ${(e as Error).message}`, { hint, cause: e });
      }
    }
  }
  const plan = steps.map((s) => s.text);
  const experiments = wanted.length;
  return { file: opts.file, api: base, dryRun: !!opts.dryRun, plan, experiments, changed: [...changed.values()] };
}

const changes = (n: number) => `${n} change${n === 1 ? '' : 's'}`;

/** What `abtest experiment apply` prints after the plan: the outcome, or the result as JSON. */
export function format(r: ApplyResult, opts: ApplyOptions): string[] {
  if (opts.json) return [JSON.stringify(r, null, 2)];
  const all = `${r.experiments} experiment${r.experiments === 1 ? '' : 's'} of ${r.file}`;
  if (r.dryRun) return [`dry run: nothing changed (${changes(r.plan.length)} planned for the ${all})`];
  if (r.plan.length === 0) return [`✔ no changes: the ${all} already hold at ${r.api}`];
  return [`✔ applied ${changes(r.plan.length)} (${all}) at ${r.api}`];
}
