import { AbtestError } from '../../src/errors';
import { commandConfig, loadWiring } from '../context';
import { commandStage, resourceNames } from '../deploy/names';
import { openSession, type AwsCommandOptions, type AwsDeps } from '../deploy/session';
import { pointAlias, readAlias } from '../deploy/steps/alias';
import { listVersions } from '../deploy/steps/version';

export interface RollbackOptions extends AwsCommandOptions {
  /** Only this function (wiring name such as `track`). @default every wired function */
  function?: string;
  /** The stage whose functions move; other stages stay. @default config `stage` ("prod") */
  stage?: string;
}

export interface RollbackResult {
  moved: { fn: string; from: string; to: string }[];
}

/**
 * `abtest rollback`: points alias `live` of each function of one stage at the version before
 * the one it serves. Checks every function first and changes nothing when one has no earlier version.
 */
export async function run(opts: RollbackOptions, deps: AwsDeps = {}): Promise<RollbackResult> {
  const { config } = commandConfig(opts, deps.env);
  const wiring = loadWiring(config);
  const names = resourceNames(config, commandStage(opts.stage, config));
  const chosen = opts.function
    ? wiring.functions.filter((f) => f.name === opts.function || names.fn(f.name) === opts.function)
    : wiring.functions;
  if (!chosen.length)
    throw new AbtestError('rollback', `there is no function "${opts.function}" in the wiring`, {
      hint: `use one of ${wiring.functions.map((f) => f.name).join(', ')}`,
    });
  const { ctx } = await openSession(opts, config, deps);
  ctx.report.stage('read the versions');
  const moves: RollbackResult['moved'] = [];
  for (const f of chosen) {
    const fn = names.fn(f.name);
    const current = await readAlias(ctx, fn, names.alias);
    if (!current)
      throw new AbtestError('rollback', `${fn} has no alias ${names.alias}: it was never deployed`, {
        hint: 'run abtest deploy first',
      });
    const previous = (await listVersions(ctx, fn)).filter((v) => Number(v) < Number(current)).pop();
    if (!previous) {
      throw new AbtestError(
        'rollback',
        `${fn} has no version before ${current}, the one ${names.alias} serves: there is nothing to roll back to`,
        {
          hint: 'deploy keeps the 5 newest versions; to go further back, deploy older code',
        },
      );
    }
    moves.push({ fn, from: current, to: previous });
  }
  for (const m of moves) {
    ctx.report.stage(`point ${m.fn}:${names.alias} at version ${m.to} (was ${m.from})`);
    await pointAlias(ctx, m.fn, names.alias, m.to, true);
  }
  return { moved: moves };
}

/** What `abtest rollback` prints: each function moved, from which version to which. */
export function format(r: RollbackResult): string[] {
  return r.moved.map((m) => `✔ ${m.fn}: live now serves version ${m.to} (was ${m.from})`);
}
