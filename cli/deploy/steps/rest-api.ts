import { CreateRestApiCommand, DeleteRestApiCommand, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { send, type DeployContext } from '../context';

/** The id of the REST API named `name`, or null when there is none. */
export async function findApi(ctx: DeployContext, name: string): Promise<string | null> {
  let position: string | undefined;
  do {
    const page = await send(ctx, 'apigateway', new GetRestApisCommand({ limit: 500, position }));
    const found = page.items?.find((a) => a.name === name);
    if (found?.id) return found.id;
    position = page.position;
  } while (position);
  return null;
}

/** Creates a regional REST API that reads API keys from the `x-api-key` header; returns its id. */
export async function createApi(ctx: DeployContext, name: string): Promise<{ id: string; rootId: string }> {
  const out = await send(
    ctx,
    'apigateway',
    new CreateRestApiCommand({
      name,
      description: 'abtest tracking API',
      apiKeySource: 'HEADER',
      endpointConfiguration: { types: ['REGIONAL'] },
    }),
  );
  return { id: out.id!, rootId: out.rootResourceId! };
}

/** Deletes the REST API with its resources, stages and deployments. */
export async function deleteApi(ctx: DeployContext, id: string): Promise<void> {
  await send(ctx, 'apigateway', new DeleteRestApiCommand({ restApiId: id }));
}
