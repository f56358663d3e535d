import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { configFromEnv, type Config } from './config';
import { AbtestError, InputError } from './errors';
import { createRedis, RedisCounterStore, type CounterStore, type RedisClient } from './store';

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
export function json(status: number, body: unknown, config: Config, headers: Record<string, string> = {}): ProxyResult {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Access-Control-Allow-Origin': config.cors_origin, ...headers },
    body: JSON.stringify(body),
  };
}

/** The JSON error body every failure answers with. */
export function errorBody(message: string, field?: string): { status: 'failed'; message: string; field?: string } {
  return field ? { status: 'failed', message, field } : { status: 'failed', message };
}

/** Turns any failure into an answer: known errors keep their status and message, the rest is a logged 500. */
export function errorResult(e: unknown, config: Config): ProxyResult {
  if (e instanceof AbtestError) {
    const message = e.hint ? `${e.message}: ${e.hint}` : e.message;
    if (e.status >= 500) console.error(JSON.stringify({ level: 'error', code: e.code, message }));
    return json(e.status, errorBody(message, e instanceof InputError ? e.field : undefined), config);
  }
  console.error(JSON.stringify({ level: 'error', message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack }));
  return json(500, errorBody('internal error'), config);
}

/** The methods one route answers, as a guard at the top of a route. */
export function allowMethods(event: ProxyEvent, config: Config, methods: string[]): ProxyResult | null {
  if (event.httpMethod === 'OPTIONS') {
    return { statusCode: 204, headers: preflightHeaders(config.cors_origin, methods), body: '' };
  }
  if (!methods.includes(event.httpMethod)) {
    return json(405, errorBody(`method ${event.httpMethod} is not allowed here; use ${methods.join(' or ')}`), config, { Allow: [...methods, 'OPTIONS'].join(',') });
  }
  return null;
}

/** The request body as text (API Gateway base64-encodes binary bodies). */
export function bodyText(event: ProxyEvent): string {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new InputError('body', `the body is larger than ${MAX_BODY_BYTES} bytes`, 413);
  return text;
}

/** A header, whatever its case. */
export function header(event: ProxyEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower) return v ?? undefined;
  return undefined;
}

/** A Lambda handler; `close()` drops its Redis connection (for `abtest dev` and tests). */
export type Handler = ((event: ProxyEvent) => Promise<ProxyResult>) & { close(): Promise<void> };

/**
 * Wraps a route as a Lambda handler. The config and the Redis client are created on the
 * first call and reused by every later call of the container.
 */
export function makeHandler(route: Route, env: NodeJS.ProcessEnv = process.env): Handler {
  let ctx: Context | undefined;
  let redis: RedisClient | undefined;
  const handler = async (event: ProxyEvent) => {
    try {
      if (!ctx) {
        const config = configFromEnv(env);
        redis = createRedis(config);
        ctx = { config, store: new RedisCounterStore(redis, config) };
      }
      return await route(event, ctx);
    } catch (e) {
      return errorResult(e, ctx?.config ?? fallbackConfig(env));
    }
  };
  const close = async () => {
    redis?.disconnect();
    ctx = undefined;
    redis = undefined;
  };
  return Object.assign(handler, { close });
}

/** Enough config to answer an error when the config itself is broken. */
function fallbackConfig(env: NodeJS.ProcessEnv): Config {
  return { cors_origin: env.ABTEST_CORS_ORIGIN || '*' } as Config;
}
