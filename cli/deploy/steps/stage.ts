import { CreateDeploymentCommand, GetDeploymentCommand, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { orNull, send, type DeployContext } from '../context';

/** The description of the deployment a stage serves, or null when the stage does not exist. */
export async function readStage(ctx: DeployContext, apiId: string, stage: string): Promise<{ description: string } | null> {
  const s = await orNull(send(ctx, 'apigateway', new GetStageCommand({ restApiId: apiId, stageName: stage })));
  if (!s?.deploymentId) return null;
  const d = await orNull(send(ctx, 'apigateway', new GetDeploymentCommand({ restApiId: apiId, deploymentId: s.deploymentId })));
  return { description: d?.description ?? '' };
}

/**
 * Deploys the API's current resources to `stage` (creating the stage). `description` carries
 * the hash of the API's shape, so that a later deploy knows whether the stage is current.
 */
export async function createDeployment(ctx: DeployContext, apiId: string, stage: string, description: string): Promise<void> {
  await send(ctx, 'apigateway', new CreateDeploymentCommand({ restApiId: apiId, stageName: stage, description }));
}
