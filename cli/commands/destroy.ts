import { AbtestError } from '../../src/errors';
import { commandConfig } from '../context';
import { commandStage, resourceNames } from '../deploy/names';
import { openSession, type AwsCommandOptions, type AwsDeps } from '../deploy/session';
import { deleteApiKey, findApiKeys } from '../deploy/steps/api-key';
import { deleteFunction, functionsOfRole } from '../deploy/steps/function';
import { deleteApi, findApi } from '../deploy/steps/rest-api';
import { deleteRole, readRole } from '../deploy/steps/role';
import { deleteUsagePlan, findUsagePlans } from '../deploy/steps/usage-plan';

export interface DestroyOptions extends AwsCommandOptions {
  /** Do not ask first. @default false */
  yes?: boolean;
  /** The stage to remove; other stages stay. @default config `stage` ("prod") */
  stage?: string;
}

export interface DestroyResult {
  /** What was removed (or would have been, when `cancelled`). */
  removed: string[];
  cancelled: boolean;
}

/**
 * `abtest destroy`: removes what deploy made for one stage, in an order AWS accepts: its
 * usage plan and key, its REST API, its functions (found by name and role), then its role.
 * Other stages have their own of each and are left as they are. Unless `yes`, `deps.prompter`
 * asks to go on, showing what will be removed; without one it refuses.
 */
export async function run(opts: DestroyOptions, deps: AwsDeps = {}): Promise<DestroyResult> {
  const { config } = commandConfig(opts, deps.env);
  const stage = commandStage(opts.stage, config);
  const names = resourceNames(config, stage);
  const { ctx } = await openSession(opts, config, deps);
  ctx.report.stage('find what deploy made');
  const apiId = await findApi(ctx, names.api);
  const plans = (await findUsagePlans(ctx, names.usagePlan)).filter((p) => p.name === names.usagePlan);
  const keys = (await findApiKeys(ctx, names.apiKey)).filter((k) => k.name === names.apiKey);
  const role = await readRole(ctx, names.role);
  const functions = role ? await functionsOfRole(ctx, names.prefix, role.arn) : [];

  const work: [string, () => Promise<void>][] = [
    ...plans.map((p): [string, () => Promise<void>] => [`usage plan ${p.name}`, () => deleteUsagePlan(ctx, p)]),
    ...keys.map((k): [string, () => Promise<void>] => [`API key ${k.name}`, () => deleteApiKey(ctx, k.id)]),
    ...(apiId
      ? [[`REST API ${names.api} (${apiId})`, () => deleteApi(ctx, apiId)] as [string, () => Promise<void>]]
      : []),
    ...functions.map((fn): [string, () => Promise<void>] => [`function ${fn}`, () => deleteFunction(ctx, fn)]),
    ...(role
      ? [[`IAM role ${names.role}`, () => deleteRole(ctx, role, names.role)] as [string, () => Promise<void>]]
      : []),
  ];
  const removed = work.map(([what]) => what);
  if (!removed.length) return { removed, cancelled: false };
  if (!opts.yes) {
    if (!deps.prompter) {
      const hint = 'run it in a terminal, or pass --yes';
      throw new AbtestError('destroy', 'abtest destroy removes the deployment and needs confirmation', { hint });
    }
    const message = `Remove ${removed.join(', ')} (stage ${stage}) in ${ctx.aws.region}?`;
    const yes = await deps.prompter.confirm({ name: 'destroy', message, default: false });
    if (!yes) return { removed, cancelled: true };
  }
  for (const [what, remove] of work) {
    ctx.report.stage(`- delete ${what}`);
    await remove();
  }
  return { removed, cancelled: false };
}

/** What `abtest destroy` prints: what was removed, or that nothing was. */
export function format(r: DestroyResult): string[] {
  if (!r.removed.length) return ['✔ nothing to remove: no deployment found'];
  return [r.cancelled ? 'nothing removed' : `✔ removed ${r.removed.join(', ')}`];
}
