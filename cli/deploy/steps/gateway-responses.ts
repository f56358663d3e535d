import { GetGatewayResponsesCommand, PutGatewayResponseCommand } from '@aws-sdk/client-api-gateway';
import { send, type DeployContext } from '../context';

/**
 * The answers API Gateway gives itself (unknown route, missing or wrong key, throttled, its
 * own 5xx) that deploy customizes: every 4xx and 5xx type falls back to one of these two.
 */
export const GATEWAY_RESPONSE_TYPES = ['DEFAULT_4XX', 'DEFAULT_5XX'] as const;

/** Response parameters of a gateway response, by `gatewayresponse.header.<name>`. */
export type GatewayResponseParameters = Record<string, string>;

/** A header value as API Gateway maps a static one: in single quotes (`'*'`). */
export const staticValue = (value: string): string => `'${value}'`;

/** The response parameters that make a gateway response carry `headers`, each a static value. */
export function gatewayResponseParameters(headers: Record<string, string>): GatewayResponseParameters {
  return Object.fromEntries(Object.entries(headers).map(([h, v]) => [`gatewayresponse.header.${h}`, staticValue(v)]));
}

/**
 * The response parameters of each gateway response customized on the API, by response type.
 * Types still answered by API Gateway's own default (`defaultResponse`) are left out.
 */
export async function readGatewayResponses(
  ctx: DeployContext,
  apiId: string,
): Promise<Record<string, GatewayResponseParameters>> {
  // 500 is the largest page: API Gateway has fewer response types than that.
  const command = new GetGatewayResponsesCommand({ restApiId: apiId, limit: 500 });
  const { items = [] } = await send(ctx, 'apigateway', command);
  const custom = items.filter((r) => r.responseType && !r.defaultResponse);
  return Object.fromEntries(custom.map((r) => [r.responseType!, r.responseParameters ?? {}]));
}

/** Creates or replaces the gateway response of `type` with exactly `responseParameters`. */
export async function putGatewayResponse(
  ctx: DeployContext,
  apiId: string,
  type: (typeof GATEWAY_RESPONSE_TYPES)[number],
  responseParameters: GatewayResponseParameters,
): Promise<void> {
  await send(
    ctx,
    'apigateway',
    new PutGatewayResponseCommand({ restApiId: apiId, responseType: type, responseParameters }),
  );
}
