import {
  DeleteMethodCommand,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
  UpdateMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { partition } from '../../aws';
import { send, type DeployContext } from '../context';
import { staticValue } from './gateway-responses';

/** The integration URI that makes API Gateway invoke `functionArn` (qualified by the alias). */
export const lambdaUri = (region: string, qualifiedArn: string): string =>
  `arn:${partition(region)}:apigateway:${region}:lambda:path/2015-03-31/functions/${qualifiedArn}/invocations`;

/**
 * Makes `verb` on the resource an AWS_PROXY call of `uri`: creates the method when it does
 * not exist, else only changes what differs.
 */
export async function putProxyMethod(
  ctx: DeployContext,
  at: { apiId: string; resourceId: string; verb: string },
  want: { apiKeyRequired: boolean; uri: string },
  have: { apiKeyRequired: boolean; uri: string | null } | null,
): Promise<void> {
  const ids = { restApiId: at.apiId, resourceId: at.resourceId, httpMethod: at.verb };
  if (!have) {
    await send(
      ctx,
      'apigateway',
      new PutMethodCommand({ ...ids, authorizationType: 'NONE', apiKeyRequired: want.apiKeyRequired }),
    );
  } else if (have.apiKeyRequired !== want.apiKeyRequired) {
    await send(
      ctx,
      'apigateway',
      new UpdateMethodCommand({
        ...ids,
        patchOperations: [{ op: 'replace', path: '/apiKeyRequired', value: String(want.apiKeyRequired) }],
      }),
    );
  }
  if (have?.uri !== want.uri) {
    await send(
      ctx,
      'apigateway',
      new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: want.uri }),
    );
  }
}

/** Makes OPTIONS on the resource a MOCK integration that answers the CORS preflight with `headers`. */
export async function putCorsMethod(
  ctx: DeployContext,
  at: { apiId: string; resourceId: string },
  headers: Record<string, string>,
  exists: boolean,
): Promise<void> {
  const ids = { restApiId: at.apiId, resourceId: at.resourceId, httpMethod: 'OPTIONS' };
  const names = Object.keys(headers).map((h) => `method.response.header.${h}`);
  if (!exists) {
    await send(ctx, 'apigateway', new PutMethodCommand({ ...ids, authorizationType: 'NONE', apiKeyRequired: false }));
    await send(
      ctx,
      'apigateway',
      new PutMethodResponseCommand({
        ...ids,
        statusCode: '200',
        responseParameters: Object.fromEntries(names.map((n) => [n, false])),
      }),
    );
    await send(
      ctx,
      'apigateway',
      new PutIntegrationCommand({
        ...ids,
        type: 'MOCK',
        requestTemplates: { 'application/json': '{"statusCode": 200}' },
      }),
    );
  }
  await send(
    ctx,
    'apigateway',
    new PutIntegrationResponseCommand({
      ...ids,
      statusCode: '200',
      responseParameters: Object.fromEntries(
        Object.entries(headers).map(([h, v]) => [`method.response.header.${h}`, staticValue(v)]),
      ),
    }),
  );
}

/** Deletes a method (and its integration) of a resource. */
export async function deleteMethod(ctx: DeployContext, apiId: string, resourceId: string, verb: string): Promise<void> {
  await send(ctx, 'apigateway', new DeleteMethodCommand({ restApiId: apiId, resourceId, httpMethod: verb }));
}
