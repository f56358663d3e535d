import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetStageCommand,
  UpdateStageCommand,
  type PatchOperation,
} from '@aws-sdk/client-api-gateway';
import { orNull, send, type DeployContext } from '../context';

/** Requests per second and burst of a throttle, as API Gateway takes them. */
export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/** A stage as deploy compares it: its deployment's description and its default method throttle. */
export interface StageState {
  description: string;
  /** The throttle of every method (`*` / `*` method settings), or null when none is set. */
  throttle: Throttle | null;
}

/** The stage, or null when it does not exist. */
export async function readStage(ctx: DeployContext, apiId: string, stage: string): Promise<StageState | null> {
  const s = await orNull(send(ctx, 'apigateway', new GetStageCommand({ restApiId: apiId, stageName: stage })));
  if (!s?.deploymentId) return null;
  const d = await orNull(
    send(ctx, 'apigateway', new GetDeploymentCommand({ restApiId: apiId, deploymentId: s.deploymentId })),
  );
  const all = s.methodSettings?.['*/*'];
  const rateLimit = all?.throttlingRateLimit;
  const burstLimit = all?.throttlingBurstLimit;
  const throttle = rateLimit !== undefined && burstLimit !== undefined ? { rateLimit, burstLimit } : null;
  return { description: d?.description ?? '', throttle };
}

/**
 * Deploys the API's current resources to `stage` (creating the stage). `description` carries
 * the hash of the API's shape, so that a later deploy knows whether the stage is current.
 */
export async function createDeployment(
  ctx: DeployContext,
  apiId: string,
  stage: string,
  description: string,
): Promise<void> {
  await send(ctx, 'apigateway', new CreateDeploymentCommand({ restApiId: apiId, stageName: stage, description }));
}

/**
 * Throttles every method of the stage, keyless ones (`/track`) included: a usage plan's
 * throttle applies only to requests that carry one of its API keys.
 */
export async function throttleStage(
  ctx: DeployContext,
  apiId: string,
  stage: string,
  throttle: Throttle,
): Promise<void> {
  const patchOperations: PatchOperation[] = [
    { op: 'replace', path: '/*/*/throttling/rateLimit', value: String(throttle.rateLimit) },
    { op: 'replace', path: '/*/*/throttling/burstLimit', value: String(throttle.burstLimit) },
  ];
  await send(ctx, 'apigateway', new UpdateStageCommand({ restApiId: apiId, stageName: stage, patchOperations }));
}
