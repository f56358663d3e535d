import { randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { RouteWiring, Wiring } from '../../src/config';
import { AbtestError } from '../../src/errors';
import {
  CHECKED_EVENT,
  errorBody,
  gatewayError,
  json,
  MAX_BODY_BYTES,
  preflightHeaders,
  type ProxyResult,
} from '../../src/http';
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
 * `single` keeps the last value of each name, `multi` every value in order (null for an empty
 * query, as API Gateway gives). The maps have no prototype, so a parameter named `__proto__`
 * or `constructor` is only a name.
 */
export function queryParams(search: string): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  return search ? { single: querySingle(search), multi: queryMulti(search) } : { single: null, multi: null };
}

/** Every value of each name of a non-empty query string, in order (`multiValueQueryStringParameters`). */
function queryMulti(search: string): Record<string, string[]> {
  const multi: Record<string, string[]> = Object.create(null);
  forEachParam(search, (k, v) => {
    (multi[k] ??= []).push(v);
  });
  return multi;
}

/** The last value of each name of a non-empty query string (`queryStringParameters`). */
function querySingle(search: string): Record<string, string> {
  const single: Record<string, string> = Object.create(null);
  forEachParam(search, (k, v) => {
    single[k] = v;
  });
  return single;
}

/** Calls `each` with every decoded name and value of a query string, in order. */
function forEachParam(search: string, each: (name: string, value: string) => void): void {
  let from = 0;
  while (from <= search.length) {
    let to = search.indexOf('&', from);
    if (to < 0) to = search.length;
    if (to > from) {
      const eq = search.indexOf('=', from);
      if (eq < 0 || eq > to) each(decodeQuery(search.slice(from, to)), '');
      else each(decodeQuery(search.slice(from, eq)), decodeQuery(search.slice(eq + 1, to)));
    }
    from = to + 1;
  }
}

/** Percent-decodes one name or value; a malformed escape leaves it as sent. */
function decodeQuery(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The headers the gateway itself reads, by lower-case name. */
type GatewayHeader = 'content-length' | 'transfer-encoding' | 'user-agent' | 'x-forwarded-for';
const GATEWAY_HEADERS = new Set<string>(['content-length', 'transfer-encoding', 'user-agent', 'x-forwarded-for']);
const GATEWAY_HEADER_LENGTHS = new Set([...GATEWAY_HEADERS].map((h) => h.length));

/** The request's headers as API Gateway passes them (names as sent), read once from the raw list. */
export interface RequestHeaders {
  /** The last value of each name. */
  single: Record<string, string>;
  /** The last value of each header the gateway reads. */
  own: Partial<Record<GatewayHeader, string>>;
  raw: string[];
}

/** Reads `rawHeaders` once: Node's own `req.headers` is not built (it costs every request). */
function readHeaders(raw: string[]): RequestHeaders {
  const single: Record<string, string> = Object.create(null);
  const own: RequestHeaders['own'] = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    single[name] = raw[i + 1];
    if (GATEWAY_HEADER_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (GATEWAY_HEADERS.has(lower)) own[lower as GatewayHeader] = raw[i + 1];
    }
  }
  return { single, own, raw };
}

/** Every value of each header name, in order (`multiValueHeaders`). */
function multiHeaders(raw: string[]): Record<string, string[]> {
  const multi: Record<string, string[]> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) (multi[raw[i]] ??= []).push(raw[i + 1]);
  return multi;
}

/**
 * The API Gateway REST (v1) proxy event of a request to the local gateway. Its query and
 * multi-value maps are built when first read (a route reads the query one way or the other;
 * most never read the headers' multi-value map), and it carries {@link CHECKED_EVENT} (on its
 * prototype): its maps have no prototype and hold strings only, so the handler's check has
 * nothing to do. A class, so that
 * every event has one shape V8 builds fast (an object literal with getters is built slowly).
 */
export class GatewayEvent implements APIGatewayProxyEvent {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string>;
  pathParameters = null;
  stageVariables = null;
  body: string | null;
  isBase64Encoded = false;
  requestContext: APIGatewayProxyEvent['requestContext'];
  #raw: string[];
  #search: string;
  #multiHeaders: Record<string, string[]> | undefined;
  #query: Record<string, string> | null | undefined;
  #multiQuery: Record<string, string[]> | null | undefined;

  constructor(
    req: http.IncomingMessage,
    target: { path: string; search: string },
    route: RouteWiring,
    body: string | null,
    stage: string,
    sourceIp: string,
    h: RequestHeaders,
  ) {
    const method = req.method ?? 'GET';
    this.resource = route.path;
    this.path = target.path;
    this.httpMethod = method;
    this.headers = h.single;
    this.body = body;
    this.#raw = h.raw;
    this.#search = target.search;
    this.requestContext = {
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
        userAgent: h.own['user-agent'] ?? null,
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
    };
  }

  get multiValueHeaders(): Record<string, string[]> {
    this.#multiHeaders ??= multiHeaders(this.#raw);
    return this.#multiHeaders;
  }

  get queryStringParameters(): Record<string, string> | null {
    if (this.#query === undefined) this.#query = this.#search ? querySingle(this.#search) : null;
    return this.#query;
  }

  get multiValueQueryStringParameters(): Record<string, string[]> | null {
    if (this.#multiQuery === undefined) this.#multiQuery = this.#search ? queryMulti(this.#search) : null;
    return this.#multiQuery;
  }
}
Object.defineProperty(GatewayEvent.prototype, CHECKED_EVENT, { value: true });

/**
 * The client's address as API Gateway gives it in `identity.sourceIp`: the socket's `peer` (an
 * IPv4 client as `1.2.3.4`, not `::ffff:1.2.3.4`), or the last address of `forwarded` (the
 * `X-Forwarded-For` header, passed only when a proxy in front is trusted): the one that proxy
 * appended (earlier entries are the client's word).
 */
export function clientAddress(peer: string | undefined, forwarded: string | undefined): string {
  const last = forwarded ? forwarded.slice(forwarded.lastIndexOf(',') + 1).trim() : '';
  const ip = last || peer || '127.0.0.1';
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
    const h = readHeaders(req.rawHeaders);
    const sourceIp = clientAddress(req.socket.remoteAddress, trust ? h.own['x-forwarded-for'] : undefined);
    const event = (body: string | null) => new GatewayEvent(req, target, route, body, stage, sourceIp, h);
    // A request without a body (no Content-Length, no chunked encoding) goes straight on.
    if (h.own['content-length'] === undefined && h.own['transfer-encoding'] === undefined) {
      return invoke(res, route, event(null));
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
      invoke(res, route, event(Buffer.concat(chunks).toString('utf8')));
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
