import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { AbtestError } from '../../../src/errors';
import type { LambdaZip } from '../zip';
import { isAwsError, orNull, send, type DeployContext } from '../context';

/** A function as deploy wants it. */
export interface FunctionSpec {
  name: string;
  zip: LambdaZip;
  runtime: string;
  handler: string;
  memory: number;
  timeout: number;
  environment: Record<string, string>;
  vpc: { subnetIds: string[]; securityGroupIds: string[] } | null;
}

/** The configuration of `name` ($LATEST or a version), or null when the function does not exist. */
export function readConfiguration(
  ctx: DeployContext,
  name: string,
  qualifier?: string,
): Promise<FunctionConfiguration | null> {
  return orNull(send(ctx, 'lambda', new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: qualifier })));
}

/** The configuration fields in which `actual` differs from `spec` (code aside). */
export function configurationDiff(spec: FunctionSpec, roleArn: string | null, actual: FunctionConfiguration): string[] {
  const env = actual.Environment?.Variables ?? {};
  const sameEnv = JSON.stringify(sorted(env)) === JSON.stringify(sorted(spec.environment));
  const vpc = actual.VpcConfig;
  const sameVpc =
    JSON.stringify([[...(vpc?.SubnetIds ?? [])].sort(), [...(vpc?.SecurityGroupIds ?? [])].sort()]) ===
    JSON.stringify([[...(spec.vpc?.subnetIds ?? [])].sort(), [...(spec.vpc?.securityGroupIds ?? [])].sort()]);
  const diffs: [string, boolean][] = [
    ['runtime', actual.Runtime === spec.runtime],
    ['handler', actual.Handler === spec.handler],
    ['memory', actual.MemorySize === spec.memory],
    ['timeout', actual.Timeout === spec.timeout],
    ['role', roleArn === null || actual.Role === roleArn],
    ['environment', sameEnv],
    ['vpc', sameVpc],
  ];
  return diffs.filter(([, same]) => !same).map(([name]) => name);
}

const sorted = (o: Record<string, string>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

const settings = (spec: FunctionSpec, roleArn: string) => ({
  FunctionName: spec.name,
  Role: roleArn,
  Runtime: spec.runtime as FunctionConfiguration['Runtime'],
  Handler: spec.handler,
  MemorySize: spec.memory,
  Timeout: spec.timeout,
  Environment: { Variables: spec.environment },
  VpcConfig: { SubnetIds: spec.vpc?.subnetIds ?? [], SecurityGroupIds: spec.vpc?.securityGroupIds ?? [] },
});

/**
 * Runs `call` again while IAM has not propagated a role (or its VPC policy) made seconds ago:
 * Lambda answers exactly these errors then. Backs off for about a minute in all.
 */
async function whileRolePropagates<T>(ctx: DeployContext, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const propagating =
        isAwsError(e, 'InvalidParameterValueException') &&
        /cannot be assumed by Lambda|does not have permissions to call/i.test((e as Error).message);
      if (!propagating || attempt >= 12) throw e;
      await ctx.sleep(Math.min(1000 * attempt, 8000));
    }
  }
}

/** Creates the function and waits until it is Active. */
export async function createFunction(ctx: DeployContext, spec: FunctionSpec, roleArn: string): Promise<string> {
  const out = await whileRolePropagates(ctx, () =>
    send(
      ctx,
      'lambda',
      new CreateFunctionCommand({ ...settings(spec, roleArn), Code: { ZipFile: spec.zip.zip }, Publish: false }),
    ),
  );
  await waitReady(ctx, spec.name);
  return out.FunctionArn!;
}

/** Uploads new code to $LATEST and waits for the update to finish. */
export async function updateCode(ctx: DeployContext, spec: FunctionSpec): Promise<void> {
  await send(ctx, 'lambda', new UpdateFunctionCodeCommand({ FunctionName: spec.name, ZipFile: spec.zip.zip }));
  await waitReady(ctx, spec.name);
}

/** Sets runtime, handler, memory, timeout, role, environment and VPC, and waits. */
export async function updateConfiguration(ctx: DeployContext, spec: FunctionSpec, roleArn: string): Promise<void> {
  await whileRolePropagates(ctx, () =>
    send(ctx, 'lambda', new UpdateFunctionConfigurationCommand(settings(spec, roleArn))),
  );
  await waitReady(ctx, spec.name);
}

/** Polls until the function is Active and no update is in progress (Lambda refuses calls before). */
export async function waitReady(
  ctx: DeployContext,
  name: string,
  maxWaitMs = 5 * 60_000,
): Promise<FunctionConfiguration> {
  let waited = 0;
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    const conf = await send(ctx, 'lambda', new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (conf.State === 'Failed' || conf.LastUpdateStatus === 'Failed') {
      throw new AbtestError(
        'aws-lambda',
        `Lambda function ${name} failed to update: ${conf.StateReason ?? conf.LastUpdateStatusReason ?? 'no reason given'}`,
        {
          hint: 'fix the cause above (often the VPC subnets or security groups) and run abtest deploy again',
        },
      );
    }
    const busy = conf.State === 'Pending' || conf.LastUpdateStatus === 'InProgress';
    if (!busy) return conf;
    if (waited >= maxWaitMs)
      throw new AbtestError('aws-timeout', `Lambda function ${name} is still updating after ${maxWaitMs / 1000} s`, {
        hint: 'run abtest deploy again in a minute',
      });
    await ctx.sleep(delay);
    waited += delay;
  }
}

/** Deletes the function with all its versions, aliases and permissions. */
export async function deleteFunction(ctx: DeployContext, name: string): Promise<void> {
  await send(ctx, 'lambda', new DeleteFunctionCommand({ FunctionName: name }));
}

/** Functions named `<prefix>...` that run with `roleArn`: what deploy made for one stage, nothing else. */
export async function functionsOfRole(ctx: DeployContext, prefix: string, roleArn: string): Promise<string[]> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await send(ctx, 'lambda', new ListFunctionsCommand({ Marker: marker }));
    for (const f of page.Functions ?? []) {
      if (f.FunctionName?.startsWith(prefix) && f.Role === roleArn) names.push(f.FunctionName);
    }
    marker = page.NextMarker;
  } while (marker);
  return names;
}
