import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Config } from './config';
import { AbtestError, InputError } from './errors';
import { redactUrl } from './redact';
import type { CounterStore } from './store';

export type ProxyEvent = APIGatewayProxyEvent;
export type ProxyResult = APIGatewayProxyResult;

/** What a route needs: the validated config and the process's one counter store. */
export interface Context {
  config: Config;
  store: CounterStore;
}

export type Route = (event: ProxyEvent, ctx: Context) => Promise<ProxyResult>;

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * The headers of a CORS preflight answer for a route that answers `methods`: what the
 * handlers, `abtest dev` and the deployed MOCK integration all send.
 */
export function preflightHeaders(origin: string, methods: string[]): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(','),
    'Access-Control-Allow-Headers': 'Content-Type,X-Api-Key',
    'Access-Control-Max-Age': '600',
  };
}

/** A JSON answer. Only preflights need more CORS headers than the allowed origin. */
export function json(
  status: number,
  body: unknown,
  config: Pick<Config, 'cors_origin'>,
  headers: Record<string, string> = {},
): ProxyResult {
  // Object.assign, not a spread among the fields: such a literal is built slowly, and every
  // answer is one.
  const all = Object.assign(
    { 'Content-Type': 'application/json; charset=utf-8', 'Access-Control-Allow-Origin': config.cors_origin },
    headers,
  );
  return { statusCode: status, headers: all, body: JSON.stringify(body) };
}

/** The JSON error body every failure answers with. */
export function errorBody(message: string, field?: string): { status: 'failed'; message: string; field?: string } {
  return field ? { status: 'failed', message, field } : { status: 'failed', message };
}

/** What public callers read for a failure of the server's own (status >= 500), by error code. */
const PUBLIC_5XX: Record<string, string> = {
  unavailable: 'the Redis store is unavailable: retry later (retrying an event is safe, uuids de-duplicate)',
  config: 'the server is misconfigured: its operator finds the details in the log',
};

/**
 * Turns any failure into an answer: the one error mapper of the handlers. Known errors below
 * 500 (400, 404, 413...) keep their status, message and field (they are about the request).
 * Failures of the server (>= 500, and anything unknown) answer a generic message and a `code`:
 * the details, with URL passwords hidden, go to the log only.
 */
export function errorResult(e: unknown, config: Pick<Config, 'cors_origin'>): ProxyResult {
  if (e instanceof AbtestError && e.status < 500) {
    const message = e.hint ? `${e.message}: ${e.hint}` : e.message;
    return json(e.status, errorBody(message, e.field), config);
  }
  const code = e instanceof AbtestError ? e.code : 'internal';
  const err = e as Partial<AbtestError> | undefined;
  const detail = err?.hint ? `${err.message}: ${err.hint}` : (err?.message ?? String(e));
  const stack = code === 'internal' && err?.stack ? redactUrl(err.stack) : undefined;
  console.error(JSON.stringify({ level: 'error', code, message: redactUrl(detail), stack }));
  const status = e instanceof AbtestError ? e.status : 500;
  return json(status, { ...errorBody(PUBLIC_5XX[code] ?? 'internal error'), code }, config);
}

/**
 * An answer API Gateway gives itself, before any Lambda runs: `{"message"}` and the
 * `x-amzn-ErrorType` header. 403 `Missing Authentication Token` for an unknown route or method,
 * 403 `Forbidden` for a missing or wrong API key, 502 `Internal server error` for a Lambda that failed.
 */
export function gatewayError(status: number, message: string, type: string, origin: string): ProxyResult {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': type, 'Access-Control-Allow-Origin': origin },
    body: JSON.stringify({ message }),
  };
}

/** The methods one route answers, as a guard at the top of a route. */
export function allowMethods(event: ProxyEvent, config: Config, methods: string[]): ProxyResult | null {
  if (event.httpMethod === 'OPTIONS') {
    return { statusCode: 204, headers: preflightHeaders(config.cors_origin, methods), body: '' };
  }
  if (!methods.includes(event.httpMethod)) {
    return json(405, errorBody(`method ${event.httpMethod} is not allowed here; use ${methods.join(' or ')}`), config, {
      Allow: [...methods, 'OPTIONS'].join(','),
    });
  }
  return null;
}

/** The request body as text (API Gateway base64-encodes binary bodies). */
export function bodyText(event: ProxyEvent): string {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES)
    throw new InputError('body', `the body is larger than ${MAX_BODY_BYTES} bytes`, 413);
  return text;
}

/** A header, whatever its case. */
export function header(event: ProxyEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const lower = name.toLowerCase();
  // As sent by HTTP/1.1 clients (`User-Agent`) or by HTTP/2 (`user-agent`): no scan.
  const exact = Object.hasOwn(headers, name)
    ? headers[name]
    : Object.hasOwn(headers, lower)
      ? headers[lower]
      : undefined;
  if (exact !== undefined) return exact;
  for (const k in headers)
    if (k.length === lower.length && Object.hasOwn(headers, k) && k.toLowerCase() === lower)
      return headers[k] ?? undefined;
  return undefined;
}

/** The own entries of a map-like event field, in an object without a prototype; non-strings are a 400. */
function stringMap(value: unknown, what: string): Record<string, string> | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(what, `${what} must be an object of strings`);
  }
  const out: Record<string, string> = Object.create(null);
  const map = value as Record<string, unknown>;
  for (const k of Object.keys(map)) {
    const v = map[k];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') throw new InputError(k, `${k} must be a string`);
    out[k] = v;
  }
  return out;
}

/**
 * Marks a proxy event that the local gateway built (cli/dev/server.ts): its `headers` and
 * query maps have no prototype and hold strings only, its method is set and its body is a
 * string or null, so {@link checkEvent} takes it as it is. A registered symbol, so that every
 * bundle sees the same one; an event that arrives as JSON (API Gateway's) cannot carry it.
 */
export const CHECKED_EVENT: unique symbol = Symbol.for('abtest.checked-event');

/**
 * The proxy event with every field a route reads checked and copied into objects without a
 * prototype (so `?constructor=x` or a missing `toString` parameter is only a name): a
 * malformed event answers 400 naming the field, never a crash or a 500.
 */
export function checkEvent(event: unknown): ProxyEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InputError('event', 'the event must be an API Gateway proxy event object');
  }
  if ((event as { [CHECKED_EVENT]?: boolean })[CHECKED_EVENT] === true) return event as ProxyEvent;
  const e = event as Record<string, unknown>;
  if (typeof e.httpMethod !== 'string' || !e.httpMethod) {
    throw new InputError('httpMethod', 'httpMethod must be a non-empty string');
  }
  if (e.body !== null && e.body !== undefined && typeof e.body !== 'string') {
    throw new InputError('body', 'the body must be a string');
  }
  return {
    ...(e as unknown as ProxyEvent),
    httpMethod: e.httpMethod,
    body: (e.body as string | undefined) ?? null,
    isBase64Encoded: e.isBase64Encoded === true,
    headers: stringMap(e.headers, 'headers') ?? Object.create(null),
    queryStringParameters: stringMap(e.queryStringParameters, 'queryStringParameters'),
  };
}
