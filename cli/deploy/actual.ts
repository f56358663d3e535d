import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { DeployContext } from './context';
import type { Desired } from './desired';
import { findApiKeys, type ApiKeyState } from './steps/api-key';
import { readGatewayResponses, type GatewayResponseParameters } from './steps/gateway-responses';
import { functionsOfRole, readConfiguration } from './steps/function';
import { readPermission } from './steps/permission';
import { readResources, type ResourceState } from './steps/resources';
import { findApi } from './steps/rest-api';
import { readRole, type RoleState } from './steps/role';
import { readStage, type StageState } from './steps/stage';
import { findUsagePlans, type UsagePlanState } from './steps/usage-plan';
import { listVersions } from './steps/version';

/** A function as it exists: $LATEST, the version `live` points at, and its published versions. */
export interface FunctionActual {
  latest: FunctionConfiguration;
  live: FunctionConfiguration | null;
  versions: string[];
  /** SourceArn of the API Gateway permission on `live`, or null. */
  permission: string | null;
}

/** What exists in the account of everything deploy manages. Reading it changes nothing. */
export interface Actual {
  role: RoleState | null;
  functions: Record<string, FunctionActual | null>;
  /** Functions of this app and stage (name prefix and role) that the wiring no longer has. */
  unwired: string[];
  apiId: string | null;
  resources: ResourceState[];
  /** Response parameters of the API's customized gateway responses, by response type. */
  gatewayResponses: Record<string, GatewayResponseParameters>;
  stage: StageState | null;
  apiKey: ApiKeyState | null;
  usagePlan: UsagePlanState | null;
}

/** Reads the account with Get/List calls only. */
export async function readActual(ctx: DeployContext, desired: Desired): Promise<Actual> {
  const { names } = desired;
  const role = await readRole(ctx, names.role);
  const functions: Actual['functions'] = {};
  for (const f of desired.functions) {
    const latest = await readConfiguration(ctx, f.name);
    if (!latest) {
      functions[f.name] = null;
      continue;
    }
    const live = await readConfiguration(ctx, f.name, names.alias);
    const permission = live ? await readPermission(ctx, f.name, names.alias) : null;
    functions[f.name] = { latest, live, versions: await listVersions(ctx, f.name), permission };
  }
  const apiId = await findApi(ctx, names.api);
  const resources = apiId ? await readResources(ctx, apiId) : [];
  const gatewayResponses = apiId ? await readGatewayResponses(ctx, apiId) : {};
  const stage = apiId ? await readStage(ctx, apiId, desired.stage) : null;
  const apiKey = (await findApiKeys(ctx, names.apiKey)).find((k) => k.name === names.apiKey) ?? null;
  const usagePlan = (await findUsagePlans(ctx, names.usagePlan)).find((p) => p.name === names.usagePlan) ?? null;
  const wired = new Set(desired.functions.map((f) => f.name));
  const unwired = role ? (await functionsOfRole(ctx, names.prefix, role.arn)).filter((f) => !wired.has(f)) : [];
  return { role, functions, unwired, apiId, resources, gatewayResponses, stage, apiKey, usagePlan };
}
