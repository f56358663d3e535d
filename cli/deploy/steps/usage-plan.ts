import {
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  UpdateUsagePlanCommand,
  type PatchOperation,
} from '@aws-sdk/client-api-gateway';
import { send, type DeployContext } from '../context';

/** A usage plan as it exists: bound stages (`apiId:stage`), throttle and key ids. */
export interface UsagePlanState {
  id: string;
  name: string;
  stages: string[];
  throttle: { rateLimit: number; burstLimit: number } | null;
  keyIds: string[];
}

/** The usage plans whose name starts with `prefix`, with their keys. */
export async function findUsagePlans(ctx: DeployContext, prefix: string): Promise<UsagePlanState[]> {
  const plans: UsagePlanState[] = [];
  let position: string | undefined;
  do {
    const page = await send(ctx, 'apigateway', new GetUsagePlansCommand({ limit: 500, position }));
    for (const p of page.items ?? []) {
      if (!p.id || !p.name?.startsWith(prefix)) continue;
      const keys = await send(ctx, 'apigateway', new GetUsagePlanKeysCommand({ usagePlanId: p.id, limit: 500 }));
      plans.push({
        id: p.id,
        name: p.name,
        stages: (p.apiStages ?? []).map((s) => `${s.apiId}:${s.stage}`),
        throttle: p.throttle ? { rateLimit: p.throttle.rateLimit ?? 0, burstLimit: p.throttle.burstLimit ?? 0 } : null,
        keyIds: (keys.items ?? []).map((k) => k.id!),
      });
    }
    position = page.position;
  } while (position);
  return plans;
}

/** Creates a usage plan with `throttle`, bound to `apiId:stage` (the stage must exist). */
export async function createUsagePlan(
  ctx: DeployContext,
  name: string,
  apiId: string,
  stage: string,
  throttle: { rateLimit: number; burstLimit: number },
): Promise<string> {
  const out = await send(
    ctx,
    'apigateway',
    new CreateUsagePlanCommand({ name, apiStages: [{ apiId, stage }], throttle, description: 'abtest' }),
  );
  return out.id!;
}

/** Sets the throttle and binds `apiId:stage` when it is not bound yet. */
export async function updateUsagePlan(
  ctx: DeployContext,
  plan: UsagePlanState,
  apiStage: string,
  throttle: { rateLimit: number; burstLimit: number },
): Promise<void> {
  const ops: PatchOperation[] = [];
  if (plan.throttle?.rateLimit !== throttle.rateLimit)
    ops.push({ op: 'replace', path: '/throttle/rateLimit', value: String(throttle.rateLimit) });
  if (plan.throttle?.burstLimit !== throttle.burstLimit)
    ops.push({ op: 'replace', path: '/throttle/burstLimit', value: String(throttle.burstLimit) });
  if (!plan.stages.includes(apiStage)) ops.push({ op: 'add', path: '/apiStages', value: apiStage });
  if (ops.length)
    await send(ctx, 'apigateway', new UpdateUsagePlanCommand({ usagePlanId: plan.id, patchOperations: ops }));
}

/** Lets the key call the stages of the plan. */
export async function bindKey(ctx: DeployContext, planId: string, keyId: string): Promise<void> {
  await send(ctx, 'apigateway', new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId, keyType: 'API_KEY' }));
}

/** Unbinds the plan's stages (API Gateway refuses to delete a plan that has any), then deletes it. */
export async function deleteUsagePlan(ctx: DeployContext, plan: UsagePlanState): Promise<void> {
  if (plan.stages.length) {
    const ops: PatchOperation[] = plan.stages.map((s) => ({ op: 'remove', path: '/apiStages', value: s }));
    await send(ctx, 'apigateway', new UpdateUsagePlanCommand({ usagePlanId: plan.id, patchOperations: ops }));
  }
  await send(ctx, 'apigateway', new DeleteUsagePlanCommand({ usagePlanId: plan.id }));
}
