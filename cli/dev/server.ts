import { randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { RouteWiring, Wiring } from '../../src/config';
import { AbtestError } from '../../src/errors';
import { errorBody, gatewayError, json, MAX_BODY_BYTES, preflightHeaders, type ProxyResult } from '../../src/http';
import { redactUrl } from '../../src/redact';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<ProxyResult>;

/** A page `abtest dev` serves besides the API (the demo page, the dashboard). */
export interface Page {
  contentType: string;
  body: () => string;
  /** The page holds a secret: serve it only to loopback host names (against DNS rebinding). */
  local?: boolean;
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
  /** Serve `local` pages whatever the `Host` header says. @default false */
  exposeLocalPages?: boolean;
  /** The client address is the last `X-Forwarded-For` entry (one trusted proxy in front). @default false */
  trustProxy?: boolean;
}

/**
 * Decodes a query string the way API Gateway does: percent-decoding only (`+` stays `+`).
 * The maps have no prototype, so a parameter named `__proto__` or `constructor` is only a name.
 */
export function queryParams(search: string): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  if (!search) return { single: null, multi: null };
  const single: Record<string, string> = Object.create(null);
  const multi: Record<string, string[]> = Object.create(null);
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
export function toProxyEvent(
  req: http.IncomingMessage,
  target: { path: string; search: string },
  route: RouteWiring,
  body: string | null,
  stage: string,
  sourceIp: string,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
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
        sourceIp,
        userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
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

/**
 * The client's address as API Gateway gives it in `identity.sourceIp`: the socket's peer (an
 * IPv4 client as `1.2.3.4`, not `::ffff:1.2.3.4`), or with `trustProxy` the last address of
 * `X-Forwarded-For`, the one the proxy in front appended (earlier entries are the client's word).
 */
export function clientAddress(req: http.IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const last = typeof forwarded === 'string' ? forwarded.slice(forwarded.lastIndexOf(',') + 1).trim() : '';
  const ip = last || req.socket.remoteAddress || '127.0.0.1';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

const REQUEST_ID_PREFIX = randomUUID().slice(0, 23);
let requests = 0;

/** Splits a request target into its path and its query string (without `?`). */
function splitTarget(url: string): { path: string; search: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, search: '' } : { path: url.slice(0, q), search: url.slice(q + 1) };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a `Host` header names this machine by a loopback name (not a DNS name that may be rebound). */
export function isLocalHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return LOCAL_HOSTS.has(name.toLowerCase());
}

/** Compares API keys in constant time. */
function sameKey(given: string | string[] | undefined, key: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Writes a proxy result (a handler's or one of API Gateway's own) as the HTTP answer. */
function reply(res: http.ServerResponse, out: ProxyResult): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const k in out.headers) headers[k] = String(out.headers[k]);
  const body = out.isBase64Encoded ? Buffer.from(out.body, 'base64') : out.body;
  headers['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(out.statusCode, headers);
  res.end(body);
}

/** Whether a handler's answer is one API Gateway can send (else it answers 502). */
const validResult = (out: unknown): out is ProxyResult => {
  const o = out as ProxyResult | null;
  if (typeof o !== 'object' || o === null || typeof o.body !== 'string') return false;
  return Number.isInteger(o.statusCode) && o.statusCode >= 100 && o.statusCode <= 599;
};

/**
 * The HTTP server of `abtest dev`: what API Gateway does in front of the Lambdas (routing by
 * wiring, API keys, CORS preflights, its 403 `Missing Authentication Token` for an unknown route
 * or method), then the very handlers deploy ships. Pages marked `local` (the dashboard holds the
 * API key) are served only to loopback host names unless `exposeLocalPages` is set.
 */
export function createDevServer(opts: DevServerOptions): http.Server {
  const stage = opts.stage ?? 'dev';
  const trust = opts.trustProxy ?? false;
  const byPath = new Map<string, RouteWiring[]>();
  for (const r of opts.wiring.routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const pages = new Map(Object.entries(opts.pages ?? {}));
  const origin = opts.corsOrigin;
  const cors = { cors_origin: origin };
  const noRoute = () =>
    gatewayError(403, 'Missing Authentication Token', 'MissingAuthenticationTokenException', origin);

  // API Gateway answers a Lambda that throws (or answers garbage) with 502; so does dev.
  const failed = (res: http.ServerResponse, what: string, why: unknown) => {
    console.error(redactUrl(`${what} failed: ${(why as Error)?.stack ?? String(why)}`));
    if (!res.headersSent)
      reply(res, gatewayError(502, 'Internal server error', 'InternalServerErrorException', origin));
  };
  const invoke = (res: http.ServerResponse, route: RouteWiring, event: APIGatewayProxyEvent) => {
    const fail = (e: unknown) => failed(res, `handler ${route.function}`, e);
    let answer: Promise<ProxyResult>;
    try {
      answer = Promise.resolve(opts.handlers[route.function](event));
    } catch (e) {
      return fail(e);
    }
    answer.then(
      (out) => (validResult(out) ? reply(res, out) : fail(new AbtestError('internal', 'no valid proxy result'))),
      fail,
    );
  };

  const answered = new WeakSet<object>();
  const server = http.createServer((req, res) => {
    req.on('error', () => res.destroy());
    answered.add(req.socket);
    try {
      handle(req, res);
    } catch (e) {
      failed(res, `${req.method} ${req.url}`, e);
    }
  });
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const target = splitTarget(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    const routes = byPath.get(target.path);
    if (!routes) {
      const page = pages.get(target.path);
      if (!page || (method !== 'GET' && method !== 'HEAD')) return reply(res, noRoute());
      if (page.local && !opts.exposeLocalPages && !isLocalHost(req.headers.host)) {
        const message = `${target.path} holds the API key and is served only at localhost, 127.0.0.1 or [::1]`;
        return reply(res, json(403, errorBody(message), cors));
      }
      const headers = { 'Content-Type': page.contentType, 'Cache-Control': 'no-store' };
      return reply(res, { statusCode: 200, headers, body: String(page.body()) });
    }
    if (method === 'OPTIONS') {
      return reply(res, {
        statusCode: 204,
        headers: preflightHeaders(
          origin,
          routes.map((r) => r.method),
        ),
        body: '',
      });
    }
    const route = routes.find((r) => r.method === method);
    if (!route) return reply(res, noRoute());
    if (route.apiKeyRequired && !sameKey(req.headers['x-api-key'], opts.apiKey)) {
      return reply(res, gatewayError(403, 'Forbidden', 'ForbiddenException', origin));
    }
    // A request without a body (no Content-Length, no chunked encoding) goes straight on.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      return invoke(res, route, toProxyEvent(req, target, route, null, stage, clientAddress(req, trust)));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        return reply(res, json(413, errorBody(`the body is larger than ${MAX_BODY_BYTES} bytes`, 'body'), cors));
      }
      invoke(
        res,
        route,
        toProxyEvent(req, target, route, Buffer.concat(chunks).toString('utf8'), stage, clientAddress(req, trust)),
      );
    });
  };
  // A request Node cannot parse gets a JSON 400 rather than a bare one (and never an exception).
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    // Bytes after a `Connection: close` request (a body sent without a length): its answer is on its way, then the
    // socket closes; killing the socket now would lose that answer.
    if (e.code === 'HPE_CLOSED_CONNECTION') return;
    if (!socket.writable || answered.has(socket)) return socket.destroy();
    const body = JSON.stringify(errorBody('the request is not valid HTTP'));
    const head = `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}`;
    socket.end(`${head}\r\nConnection: close\r\n\r\n${body}`);
  });
  return server;
}
