import { CreateAliasCommand, GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { orNull, send, type DeployContext } from '../context';

/** The version an alias points at, or null when the alias (or function) does not exist. */
export async function readAlias(ctx: DeployContext, fn: string, alias: string): Promise<string | null> {
  const out = await orNull(send(ctx, 'lambda', new GetAliasCommand({ FunctionName: fn, Name: alias })));
  return out?.FunctionVersion ?? null;
}

/** Points the alias at `version`, creating it when it does not exist yet. */
export async function pointAlias(
  ctx: DeployContext,
  fn: string,
  alias: string,
  version: string,
  exists: boolean,
): Promise<void> {
  if (exists)
    await send(ctx, 'lambda', new UpdateAliasCommand({ FunctionName: fn, Name: alias, FunctionVersion: version }));
  else await send(ctx, 'lambda', new CreateAliasCommand({ FunctionName: fn, Name: alias, FunctionVersion: version }));
}
