import { DeleteFunctionCommand, ListVersionsByFunctionCommand, PublishVersionCommand } from '@aws-sdk/client-lambda';
import { send, type DeployContext } from '../context';

/** How many published versions deploy keeps per function. */
export const KEEP_VERSIONS = 5;

/** The published versions of a function (no $LATEST), oldest first. */
export async function listVersions(ctx: DeployContext, name: string): Promise<string[]> {
  const versions: string[] = [];
  let marker: string | undefined;
  do {
    const page = await send(ctx, 'lambda', new ListVersionsByFunctionCommand({ FunctionName: name, Marker: marker }));
    for (const v of page.Versions ?? []) if (v.Version && v.Version !== '$LATEST') versions.push(v.Version);
    marker = page.NextMarker;
  } while (marker);
  return versions.sort((a, b) => Number(a) - Number(b));
}

/** Publishes $LATEST as a version, checked against the code hash; returns the version number. */
export async function publishVersion(ctx: DeployContext, name: string, codeSha256: string): Promise<string> {
  const out = await send(ctx, 'lambda', new PublishVersionCommand({ FunctionName: name, CodeSha256: codeSha256 }));
  return out.Version!;
}

/** The versions to delete so that the newest `keep` remain, never one in `protect`. */
export function versionsToPrune(versions: string[], protect: string[], keep = KEEP_VERSIONS): string[] {
  const newestFirst = [...versions].sort((a, b) => Number(b) - Number(a));
  return newestFirst.slice(keep).filter((v) => !protect.includes(v));
}

/** Deletes one published version (never one an alias points at: Lambda refuses). */
export async function deleteVersion(ctx: DeployContext, name: string, version: string): Promise<void> {
  await send(ctx, 'lambda', new DeleteFunctionCommand({ FunctionName: name, Qualifier: version }));
}
