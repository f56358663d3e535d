import { partition } from '../aws';
import type { Actual } from './actual';
import type { DeployContext } from './context';
import type { Desired } from './desired';
import type { ApplyState, Change } from './plan';
import { createApiKey, deleteApiKey } from './steps/api-key';
import { GATEWAY_RESPONSE_TYPES, putGatewayResponse, type GatewayResponseParameters } from './steps/gateway-responses';
import { deleteMethod, putCorsMethod, putProxyMethod } from './steps/methods';
import { allowApiGateway } from './steps/permission';
import { createResource, deleteResource } from './steps/resources';
import { createApi } from './steps/rest-api';
import { createDeployment, throttleStage } from './steps/stage';
import { bindKey, createUsagePlan, updateUsagePlan } from './steps/usage-plan';

/** The ARN API Gateway calls a function from: any stage, method and path of this API only. */
export const executeArn = (region: string, accountId: string, apiId: string): string =>
  `arn:${partition(region)}:execute-api:${region}:${accountId}:${apiId}/*/*/*`;

/** The description of a deployment of an API of shape `hash`. */
export const deploymentDescription = (hash: string): string => `abtest ${hash}`;

/** Changes to the REST API, the permissions to call the functions, the stage, key and usage plan. */
export function planApi(ctx: DeployContext, desired: Desired, actual: Actual): Change[] {
  const api = desired.names.api;
  const apiChanges: Change[] = [];
  if (!actual.apiId) {
    apiChanges.push({
      action: 'create',
      what: `REST API ${api}`,
      run: async (state) => {
        const made = await createApi(ctx, api);
        state.apiId = made.id;
        state.resourceIds['/'] = made.rootId;
      },
    });
  }
  const existing = new Map(actual.resources.map((r) => [r.path, r]));
  const at = (state: ApplyState, path: string) => ({ apiId: state.apiId!, resourceId: state.resourceIds[path] });
  for (const p of desired.paths) {
    const have = existing.get(p.path);
    if (!have) {
      const parent = p.path.slice(0, p.path.lastIndexOf('/')) || '/';
      const part = p.path.slice(p.path.lastIndexOf('/') + 1);
      apiChanges.push({
        action: 'create',
        what: `resource ${p.path}`,
        run: async (s) =>
          void (s.resourceIds[p.path] = await createResource(ctx, s.apiId!, s.resourceIds[parent], part)),
      });
    }
    for (const m of p.methods) {
      const h = have?.methods[m.verb] ?? null;
      if (h && h.apiKeyRequired === m.apiKeyRequired && h.uri === m.uri) continue;
      apiChanges.push({
        action: h ? 'update' : 'create',
        what: `method ${m.verb} ${p.path}`,
        why: `${m.fn}:${desired.names.alias}${m.apiKeyRequired ? ', API key required' : ''}`,
        run: (s) => putProxyMethod(ctx, { ...at(s, p.path), verb: m.verb }, m, h),
      });
    }
    const cors = have?.methods.OPTIONS ?? null;
    if (p.methods.length && JSON.stringify(cors?.cors) !== JSON.stringify(p.cors)) {
      apiChanges.push({
        action: cors ? 'update' : 'create',
        what: `CORS preflight OPTIONS ${p.path}`,
        why: p.cors['Access-Control-Allow-Methods'],
        run: (s) => putCorsMethod(ctx, at(s, p.path), p.cors, cors !== null),
      });
    }
    const wanted = p.methods.length ? [...p.methods.map((m) => m.verb), 'OPTIONS'] : [];
    for (const verb of Object.keys(have?.methods ?? {}).filter((v) => !wanted.includes(v))) {
      apiChanges.push({
        action: 'delete',
        what: `method ${verb} ${p.path}`,
        why: 'no longer wired',
        run: (s) => deleteMethod(ctx, s.apiId!, have!.id, verb),
      });
    }
  }
  const desiredPaths = new Set(['/', ...desired.paths.map((p) => p.path)]);
  for (const r of actual.resources) {
    const parent = r.path.slice(0, r.path.lastIndexOf('/')) || '/';
    // Deleting a resource deletes its children: only the topmost stale one is deleted.
    if (!desiredPaths.has(r.path) && desiredPaths.has(parent)) {
      apiChanges.push({
        action: 'delete',
        what: `resource ${r.path}`,
        why: 'no longer wired',
        run: (s) => deleteResource(ctx, s.apiId!, r.id),
      });
    }
  }
  apiChanges.push(...planGatewayResponses(ctx, desired, actual));
  return [
    ...apiChanges,
    ...planPermissions(ctx, desired, actual),
    ...planStage(ctx, desired, actual, apiChanges.length > 0),
    ...planAccess(ctx, desired, actual),
  ];
}

/** API Gateway's own 4xx and 5xx answers (403, 429, ...) with CORS headers: browsers can read them. */
function planGatewayResponses(ctx: DeployContext, desired: Desired, actual: Actual): Change[] {
  const want = desired.gatewayResponse;
  const origin = want['gatewayresponse.header.Access-Control-Allow-Origin'];
  const differ = GATEWAY_RESPONSE_TYPES.filter((type) => !sameParameters(actual.gatewayResponses[type], want));
  return differ.map((type) => ({
    action: actual.gatewayResponses[type] ? 'update' : 'create',
    what: `gateway response ${type}`,
    why: `Access-Control-Allow-Origin ${origin} on API Gateway's own errors`,
    run: (s) => putGatewayResponse(ctx, s.apiId!, type, want),
  }));
}

const sameParameters = (have: GatewayResponseParameters | undefined, want: GatewayResponseParameters): boolean =>
  have !== undefined &&
  Object.keys(have).length === Object.keys(want).length &&
  Object.entries(want).every(([k, v]) => have[k] === v);

function planPermissions(ctx: DeployContext, desired: Desired, actual: Actual): Change[] {
  const alias = desired.names.alias;
  const expected = actual.apiId && executeArn(desired.region, desired.accountId, actual.apiId);
  return desired.functions
    .filter((f) => !expected || actual.functions[f.name]?.permission !== expected)
    .map((f) => ({
      action: 'create',
      what: `permission for API Gateway to call ${f.name}:${alias}`,
      run: (s: ApplyState) =>
        allowApiGateway(
          ctx,
          f.name,
          alias,
          executeArn(desired.region, desired.accountId, s.apiId!),
          actual.functions[f.name]?.permission ?? null,
        ),
    }));
}

function planStage(ctx: DeployContext, desired: Desired, actual: Actual, apiChanged: boolean): Change[] {
  const description = deploymentDescription(desired.apiHash);
  const changes: Change[] = [];
  if (apiChanged || actual.stage?.description !== description) {
    const run = (s: ApplyState) => createDeployment(ctx, s.apiId!, desired.stage, description);
    changes.push({ action: 'deploy', what: `the API to stage ${desired.stage}`, run });
  }
  const { rateLimit, burstLimit } = desired.throttle;
  const have = actual.stage?.throttle;
  if (have?.rateLimit !== rateLimit || have?.burstLimit !== burstLimit) {
    changes.push({
      action: 'update',
      what: `throttle of every method of stage ${desired.stage}`,
      why: `${throttleText(desired)}, with or without an API key`,
      run: (s) => throttleStage(ctx, s.apiId!, desired.stage, desired.throttle),
    });
  }
  return changes;
}

const throttleText = ({ throttle }: Desired): string =>
  `${throttle.rateLimit} requests/s, bursts of ${throttle.burstLimit}`;

function planAccess(ctx: DeployContext, desired: Desired, actual: Actual): Change[] {
  const { apiKey: keyName, usagePlan: planName } = desired.names;
  const changes: Change[] = [];
  const key = actual.apiKey;
  const replaceKey = key !== null && desired.apiKeyValue !== null && key.value !== desired.apiKeyValue;
  if (!key || replaceKey) {
    changes.push({
      action: replaceKey ? 'replace' : 'create',
      what: `API key ${keyName}`,
      why: desired.apiKeyValue ? 'value from config api_key' : 'value made by API Gateway',
      run: async (s) => {
        if (replaceKey) await deleteApiKey(ctx, key.id);
        s.apiKeyId = await createApiKey(ctx, keyName, desired.apiKeyValue);
      },
    });
  }
  const plan = actual.usagePlan;
  const throttle = `${throttleText(desired)} per API key`;
  if (!plan) {
    changes.push({
      action: 'create',
      what: `usage plan ${planName}`,
      why: throttle,
      run: async (s) =>
        void (s.usagePlanId = await createUsagePlan(ctx, planName, s.apiId!, desired.stage, desired.throttle)),
    });
  } else {
    const staged = actual.apiId !== null && plan.stages.includes(`${actual.apiId}:${desired.stage}`);
    const sameThrottle =
      plan.throttle?.rateLimit === desired.throttle.rateLimit &&
      plan.throttle?.burstLimit === desired.throttle.burstLimit;
    if (!staged || !sameThrottle) {
      changes.push({
        action: 'update',
        what: `usage plan ${planName}`,
        why: throttle,
        run: (s) => updateUsagePlan(ctx, plan, `${s.apiId}:${desired.stage}`, desired.throttle),
      });
    }
  }
  if (!plan || !key || replaceKey || !plan.keyIds.includes(key.id)) {
    changes.push({
      action: 'create',
      what: `binding of API key ${keyName} to usage plan ${planName}`,
      run: (s) => bindKey(ctx, s.usagePlanId!, s.apiKeyId!),
    });
  }
  return changes;
}
