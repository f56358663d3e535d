import {
  CreateResourceCommand,
  DeleteResourceCommand,
  GetResourcesCommand,
  type Method,
} from '@aws-sdk/client-api-gateway';
import { send, type DeployContext } from '../context';

/** A resource of the API with its methods as they exist. */
export interface ResourceState {
  id: string;
  path: string;
  methods: Record<string, MethodState>;
}

/** What deploy compares of a method: key requirement, integration target, CORS answer. */
export interface MethodState {
  apiKeyRequired: boolean;
  /** The AWS_PROXY integration URI, or null (no integration, or a MOCK one). */
  uri: string | null;
  /** For OPTIONS: the `Access-Control-*` values the MOCK integration answers with. */
  cors: Record<string, string> | null;
}

/** Every resource of the API, with methods and integrations (one paged call). */
export async function readResources(ctx: DeployContext, apiId: string): Promise<ResourceState[]> {
  const out: ResourceState[] = [];
  let position: string | undefined;
  do {
    const page = await send(
      ctx,
      'apigateway',
      new GetResourcesCommand({ restApiId: apiId, embed: ['methods'], limit: 500, position }),
    );
    for (const r of page.items ?? []) {
      const methods: Record<string, MethodState> = {};
      for (const [verb, m] of Object.entries(r.resourceMethods ?? {})) methods[verb] = methodState(m);
      out.push({ id: r.id!, path: r.path!, methods });
    }
    position = page.position;
  } while (position);
  return out;
}

function methodState(m: Method): MethodState {
  const integration = m.methodIntegration;
  const params = integration?.integrationResponses?.['200']?.responseParameters;
  const cors = params
    ? Object.fromEntries(
        Object.entries(params).map(([k, v]) => [k.replace('method.response.header.', ''), v.replace(/^'|'$/g, '')]),
      )
    : null;
  return {
    apiKeyRequired: m.apiKeyRequired === true,
    uri: integration?.type === 'AWS_PROXY' ? (integration.uri ?? null) : null,
    cors,
  };
}

/** Creates `pathPart` under `parentId`; returns the new resource id. */
export async function createResource(
  ctx: DeployContext,
  apiId: string,
  parentId: string,
  pathPart: string,
): Promise<string> {
  const out = await send(ctx, 'apigateway', new CreateResourceCommand({ restApiId: apiId, parentId, pathPart }));
  return out.id!;
}

/** Deletes a resource with its methods and child resources. */
export async function deleteResource(ctx: DeployContext, apiId: string, resourceId: string): Promise<void> {
  await send(ctx, 'apigateway', new DeleteResourceCommand({ restApiId: apiId, resourceId }));
}
