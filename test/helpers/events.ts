import type { APIGatewayProxyEvent } from 'aws-lambda';

/** An API Gateway REST (v1) proxy event, as API Gateway sends it to a Lambda. */
export function proxyEvent(
  method: string,
  path: string,
  opts: { query?: Record<string, string>; body?: string; headers?: Record<string, string>; base64?: boolean } = {},
): APIGatewayProxyEvent {
  const query = opts.query ?? null;
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: opts.headers ?? {},
    multiValueHeaders: Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    pathParameters: null,
    stageVariables: null,
    body: opts.body === undefined ? null : opts.base64 ? Buffer.from(opts.body).toString('base64') : opts.body,
    isBase64Encoded: opts.base64 ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      path: `/prod${path}`,
      stage: 'prod',
      requestId: 'req',
      requestTimeEpoch: Date.now(),
      resourceId: 'r',
      resourcePath: path,
      identity: {
        sourceIp: '127.0.0.1',
        userAgent: 'jest',
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
    },
  };
}
