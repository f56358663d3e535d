import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { Actual } from './actual';
import type { DeployContext } from './context';
import type { Desired } from './desired';
import { planApi } from './plan-api';
import { pointAlias } from './steps/alias';
import {
  configurationDiff,
  createFunction,
  deleteFunction,
  updateCode,
  updateConfiguration,
  type FunctionSpec,
} from './steps/function';
import { attachPolicy, createRole, detachPolicy, managedPolicy } from './steps/role';
import { deleteVersion, publishVersion, versionsToPrune } from './steps/version';

/** What an applied change learns that later changes need (ids of things just made). */
export interface ApplyState {
  roleArn: string | null;
  apiId: string | null;
  resourceIds: Record<string, string>;
  apiKeyId: string | null;
  usagePlanId: string | null;
}

/** One step of a plan: a line to show, and the work that does it. */
export interface Change {
  action: 'create' | 'update' | 'delete' | 'publish' | 'deploy' | 'replace';
  what: string;
  why?: string;
  run(state: ApplyState): Promise<void>;
}

/** The line that shows a change: `+ create function abtest-prod-track`. */
export const describeChange = (c: Change): string =>
  `${{ create: '+', delete: '-', replace: '±' }[c.action as string] ?? '~'} ${c.action} ${c.what}${c.why ? ` (${c.why})` : ''}`;

/** The state before any change: ids of what already exists. */
export function initialState(actual: Actual): ApplyState {
  return {
    roleArn: actual.role?.arn ?? null,
    apiId: actual.apiId,
    resourceIds: Object.fromEntries(actual.resources.map((r) => [r.path, r.id])),
    apiKeyId: actual.apiKey?.id ?? null,
    usagePlanId: actual.usagePlan?.id ?? null,
  };
}

/**
 * The changes that turn `actual` into `desired`, in an order AWS accepts: role, functions
 * (code, configuration, version, alias), API, permissions, stage, key and usage plan, then
 * the removal of functions of this stage that the wiring no longer has.
 * Nothing runs until a change's `run` is called; an empty plan means nothing to do.
 */
export function planDeploy(ctx: DeployContext, desired: Desired, actual: Actual): Change[] {
  // A function no longer wired goes last, once no route of the deployed stage calls it.
  const unwired = actual.unwired.map(
    (fn): Change => ({
      action: 'delete',
      what: `function ${fn}`,
      why: 'no longer wired',
      run: () => deleteFunction(ctx, fn),
    }),
  );
  return [
    ...planRole(ctx, desired, actual),
    ...desired.functions.flatMap((f) => planFunction(ctx, desired, actual, f)),
    ...planApi(ctx, desired, actual),
    ...unwired,
  ];
}

function planRole(ctx: DeployContext, desired: Desired, actual: Actual): Change[] {
  const role = desired.names.role;
  const short = (arn: string) => arn.split('/').pop();
  if (!actual.role) {
    return [
      {
        action: 'create',
        what: `IAM role ${role}`,
        why: desired.policies.map(short).join(', '),
        run: async (state) => {
          state.roleArn = await createRole(ctx, role);
          for (const p of desired.policies) await attachPolicy(ctx, role, p);
        },
      },
    ];
  }
  const ours = ['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole'].map((n) =>
    managedPolicy(desired.region, n),
  );
  const attach = desired.policies.filter((p) => !actual.role!.policies.includes(p));
  const detach = actual.role.policies.filter((p) => ours.includes(p) && !desired.policies.includes(p));
  const policy =
    (verb: 'attach' | 'detach', apply: typeof attachPolicy) =>
    (p: string): Change => ({
      action: 'update',
      what: `IAM role ${role}`,
      why: `${verb} ${short(p)}`,
      run: () => apply(ctx, role, p),
    });
  return [...attach.map(policy('attach', attachPolicy)), ...detach.map(policy('detach', detachPolicy))];
}

function planFunction(ctx: DeployContext, desired: Desired, actual: Actual, spec: FunctionSpec): Change[] {
  const alias = desired.names.alias;
  const have = actual.functions[spec.name];
  const release = (why: string, aliasExists: boolean, known: string[]): Change => ({
    action: 'publish',
    what: `a version of ${spec.name} and point ${alias} at it`,
    why,
    run: async () => {
      const version = await publishVersion(ctx, spec.name, spec.zip.sha256);
      await pointAlias(ctx, spec.name, alias, version, aliasExists);
      for (const old of versionsToPrune([...new Set([...known, version])], [version]))
        await deleteVersion(ctx, spec.name, old);
    },
  });
  if (!have) {
    return [
      {
        action: 'create',
        what: `function ${spec.name}`,
        why: `${spec.runtime}, ${spec.memory} MB, ${spec.timeout} s`,
        run: async (state) => void (await createFunction(ctx, spec, state.roleArn!)),
      },
      release('first version', false, []),
    ];
  }
  const roleArn = actual.role?.arn ?? null;
  const changes: Change[] = [];
  if (have.latest.CodeSha256 !== spec.zip.sha256)
    changes.push({ action: 'update', what: `function ${spec.name}`, why: 'code', run: () => updateCode(ctx, spec) });
  const diff = configurationDiff(spec, roleArn, have.latest);
  if (diff.length)
    changes.push({
      action: 'update',
      what: `function ${spec.name}`,
      why: diff.join(', '),
      run: (state) => updateConfiguration(ctx, spec, state.roleArn!),
    });
  if (changes.length || !isCurrent(spec, roleArn, have.live)) {
    changes.push(
      release(changes.length ? 'changed' : `${alias} is not the current code`, have.live !== null, have.versions),
    );
  } else {
    const prune = versionsToPrune(have.versions, [have.live!.Version!]);
    if (prune.length)
      changes.push({
        action: 'delete',
        what: `old versions ${prune.join(', ')} of ${spec.name}`,
        run: async () => {
          for (const v of prune) await deleteVersion(ctx, spec.name, v);
        },
      });
  }
  return changes;
}

const isCurrent = (spec: FunctionSpec, roleArn: string | null, live: FunctionConfiguration | null): boolean =>
  live !== null && live.CodeSha256 === spec.zip.sha256 && configurationDiff(spec, roleArn, live).length === 0;
