import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { RouteWiring, Wiring } from '../../src/config';
import { MAX_BODY_BYTES } from '../../src/http';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** A page `abtest dev` serves besides the API (the demo page, the dashboard). */
export interface Page {
  contentType: string;
  body: () => string | Buffer;
}

export interface DevServerOptions {
  wiring: Wiring;
  /** The handler of each wiring function, by function name. */
  handlers: Record<string, ProxyHandler>;
  /** Required in `x-api-key` on routes marked `apiKeyRequired`. */
  apiKey: string;
  corsOrigin: string;
  stage?: string;
  pages?: Record<string, Page>;
}

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };

/** Decodes a query string the way API Gateway does: percent-decoding only (`+` stays `+`). */
export function queryParams(search: string): { single: Record<string, string> | null; multi: Record<string, string[]> | null } {
  if (!search) return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const part of search.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    single[k] = v;
    (multi[k] ??= []).push(v);
  }
  return { single, multi };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Builds the API Gateway REST (v1) proxy event of a request. */
export function toProxyEvent(req: http.IncomingMessage, url: URL, route: RouteWiring, body: string, stage: string): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i];
    headers[k] = req.rawHeaders[i + 1];
    (multiValueHeaders[k] ??= []).push(req.rawHeaders[i + 1]);
  }
  const q = queryParams(url.search.slice(1));
  const now = Date.now();
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: q.single,
    multiValueQueryStringParameters: q.multi,
    pathParameters: null,
    stageVariables: null,
    body: body === '' && (req.method === 'GET' || req.method === 'DELETE') ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'dev',
      apiId: 'dev',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: req.method ?? 'GET',
      path: `/${stage}${url.pathname}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'dev',
      resourcePath: route.path,
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, user: null, userArn: null,
      },
    },
  };
}

/**
 * The HTTP server of `abtest dev`: what API Gateway does in front of the Lambdas (routing by
 * wiring, API keys, CORS preflights, 404/405), then the very handlers deploy ships.
 */
export function createDevServer(opts: DevServerOptions): http.Server {
  const stage = opts.stage ?? 'dev';
  const byPath = new Map<string, RouteWiring[]>();
  for (const r of opts.wiring.routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const cors = { 'Access-Control-Allow-Origin': opts.corsOrigin, 'Access-Control-Allow-Headers': 'Content-Type,X-Api-Key' };

  const send = (res: http.ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer) => {
    res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const fail = (res: http.ServerResponse, status: number, message: string, extra: Record<string, string> = {}) =>
    send(res, status, { ...JSON_TYPE, ...cors, ...extra }, JSON.stringify({ status: 'failed', message }));

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const routes = byPath.get(url.pathname);
    if (!routes) {
      const page = opts.pages?.[url.pathname];
      if (page && (method === 'GET' || method === 'HEAD')) return send(res, 200, { 'Content-Type': page.contentType, 'Cache-Control': 'no-store' }, page.body());
      return fail(res, 404, `no route ${url.pathname}; routes: ${[...byPath.keys()].join(', ')}`);
    }
    const allow = [...routes.map((r) => r.method), 'OPTIONS'].join(',');
    if (method === 'OPTIONS') {
      return send(res, 204, { ...cors, 'Access-Control-Allow-Methods': allow, 'Access-Control-Max-Age': '600' }, '');
    }
    const route = routes.find((r) => r.method === method);
    if (!route) return fail(res, 405, `method ${method} is not allowed on ${url.pathname}; use ${routes.map((r) => r.method).join(' or ')}`, { Allow: allow });
    if (route.apiKeyRequired && req.headers['x-api-key'] !== opts.apiKey) {
      return fail(res, 403, 'Forbidden: this route needs the API key in the x-api-key header');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) return fail(res, 413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
      const event = toProxyEvent(req, url, route, Buffer.concat(chunks).toString('utf8'), stage);
      opts.handlers[route.function](event).then(
        (out) => {
          const body = out.isBase64Encoded ? Buffer.from(out.body, 'base64') : out.body;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(out.headers ?? {})) headers[k] = String(v);
          send(res, out.statusCode, headers, body);
        },
        (e) => {
          // API Gateway answers a Lambda that throws with 502; so does dev, and says why.
          console.error(`handler ${route.function} threw:`, e);
          fail(res, 502, 'Internal server error: the handler threw');
        },
      );
    });
  });
}
