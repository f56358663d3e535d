import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { RouteWiring, Wiring } from '../../src/config';
import { MAX_BODY_BYTES, preflightHeaders } from '../../src/http';

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
export function toProxyEvent(req: http.IncomingMessage, target: { path: string; search: string }, route: RouteWiring, body: string | null, stage: string): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    headers[raw[i]] = raw[i + 1];
    (multiValueHeaders[raw[i]] ??= []).push(raw[i + 1]);
  }
  const q = queryParams(target.search);
  const method = req.method ?? 'GET';
  return {
    resource: route.path,
    path: target.path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: q.single,
    multiValueQueryStringParameters: q.multi,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'dev',
      apiId: 'dev',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      path: `/${stage}${target.path}`,
      stage,
      requestId: `${REQUEST_ID_PREFIX}-${(++requests).toString(16)}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'dev',
      resourcePath: route.path,
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, user: null, userArn: null,
      },
    },
  };
}

const REQUEST_ID_PREFIX = randomUUID().slice(0, 23);
let requests = 0;

/** Splits a request target into its path and its query string (without `?`). */
function splitTarget(url: string): { path: string; search: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, search: '' } : { path: url.slice(0, q), search: url.slice(q + 1) };
}

/**
 * The HTTP server of `abtest dev`: what API Gateway does in front of the Lambdas (routing by
 * wiring, API keys, CORS preflights, 404/405), then the very handlers deploy ships.
 */
export function createDevServer(opts: DevServerOptions): http.Server {
  const stage = opts.stage ?? 'dev';
  const byPath = new Map<string, RouteWiring[]>();
  for (const r of opts.wiring.routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const cors = { 'Access-Control-Allow-Origin': opts.corsOrigin };

  const send = (res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, body: string | Buffer) => {
    headers['Content-Length'] = Buffer.byteLength(body);
    res.writeHead(status, headers);
    res.end(body);
  };
  const fail = (res: http.ServerResponse, status: number, message: string, extra: Record<string, string> = {}) =>
    send(res, status, { ...JSON_TYPE, ...cors, ...extra }, JSON.stringify({ status: 'failed', message }));

  const invoke = (res: http.ServerResponse, route: RouteWiring, event: APIGatewayProxyEvent) => {
    opts.handlers[route.function](event).then(
      (out) => {
        const headers: http.OutgoingHttpHeaders = {};
        for (const k in out.headers) headers[k] = String(out.headers[k]);
        send(res, out.statusCode, headers, out.isBase64Encoded ? Buffer.from(out.body, 'base64') : out.body);
      },
      (e) => {
        // API Gateway answers a Lambda that throws with 502; so does dev, and says why.
        console.error(`handler ${route.function} threw:`, e);
        fail(res, 502, 'Internal server error: the handler threw');
      },
    );
  };

  return http.createServer((req, res) => {
    const target = splitTarget(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    const routes = byPath.get(target.path);
    if (!routes) {
      const page = opts.pages?.[target.path];
      if (page && (method === 'GET' || method === 'HEAD')) return send(res, 200, { 'Content-Type': page.contentType, 'Cache-Control': 'no-store' }, page.body());
      return fail(res, 404, `no route ${target.path}; routes: ${[...byPath.keys()].join(', ')}`);
    }
    if (method === 'OPTIONS') {
      return send(res, 204, preflightHeaders(opts.corsOrigin, routes.map((r) => r.method)), '');
    }
    const route = routes.find((r) => r.method === method);
    if (!route) return fail(res, 405, `method ${method} is not allowed on ${target.path}; use ${routes.map((r) => r.method).join(' or ')}`, { Allow: [...routes.map((r) => r.method), 'OPTIONS'].join(',') });
    if (route.apiKeyRequired && req.headers['x-api-key'] !== opts.apiKey) {
      return fail(res, 403, 'Forbidden: this route needs the API key in the x-api-key header');
    }
    // A request without a body (no Content-Length, no chunked encoding) goes straight on.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      return invoke(res, route, toProxyEvent(req, target, route, null, stage));
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
      invoke(res, route, toProxyEvent(req, target, route, Buffer.concat(chunks).toString('utf8'), stage));
    });
  });
}
