import type { Config } from '../config';
import { AbtestError } from '../errors';
import type { ProxyResult } from '../http';
import { redactUrl } from '../redact';

/**
 * What the Sixpack routes answer, byte for byte as Sixpack 2.7.0 does
 * (../shared/reference/sixpack-api.md §1): Python's `json.dumps` (`", "` and `": "`, ASCII
 * escapes), `application/json`, JSONP when `callback` is valid, and the error catalogue's
 * exact messages. Failures are mapped here, at the edge of the routes, from the one error type.
 */

/** The messages of Sixpack's error catalogue (§11): answered as `{"status": "failed", "message": …}` exactly. */
export const MESSAGES = {
  missing: 'missing arguments',
  twoAlternatives: 'experiments require at least two alternatives',
  alternativeName: 'invalid alternative name',
  trafficFraction: 'invalid traffic fraction range',
  changed: 'experiment alternatives have changed. please delete in the admin',
  unknown: 'experiment does not exist',
  notParticipating: 'this client was not participating',
  kpiName: 'invalid kpi name',
  archived: 'this experiment is archived and can no longer be updated',
  paused: 'this experiment is paused and can not receive updates.',
  unavailable: 'redis is not available',
  notFound: 'not found',
} as const;

const CATALOGUE = new Set<string>(Object.values(MESSAGES));

/** Sixpack's JSONP rule: a `callback` that does not match is ignored. */
const CALLBACK = /^\w[\w'\-.]*$/;

/** The JSONP callback of a request, or undefined when absent or not valid. */
export const jsonpCallback = (value: string | undefined): string | undefined =>
  value !== undefined && CALLBACK.test(value) ? value : undefined;

// Python escapes every character outside space to `~`: JSON.stringify leaves DEL and beyond.
const escapeNonAscii = (text: string): string =>
  text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A string as Python's `json.dumps` writes it with `ensure_ascii`. */
function pyString(s: string): string {
  // Printable ASCII without a quote or a backslash (nearly every name and message) is written as it is.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return escapeNonAscii(JSON.stringify(s));
  }
  return `"${s}"`;
}

/** Python's `json.dumps(value)` with its default separators and `ensure_ascii`. */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ', ' : '') + pyJson(value[i]);
    return `${out}]`;
  }
  if (typeof value === 'object') {
    let out = '{';
    const o = value as Record<string, unknown>;
    for (const k in o) {
      if (!Object.hasOwn(o, k)) continue;
      out += `${out.length > 1 ? ', ' : ''}${pyString(k)}: ${pyJson(o[k])}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}

/**
 * An answer of a Sixpack route: `body` with `status` first, as JSON or, with a valid
 * `callback`, as `callback(json)` in `application/javascript` (the status code unchanged).
 */
export function sixpackAnswer(
  statusCode: number,
  body: Record<string, unknown>,
  callback: string | undefined,
  config: Pick<Config, 'cors_origin'>,
): ProxyResult {
  const json = pyJson(body);
  return {
    statusCode,
    headers: {
      'Content-Type': callback ? 'application/javascript' : 'application/json',
      'Access-Control-Allow-Origin': config.cors_origin,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
    body: callback ? `${callback}(${json})` : json,
  };
}

/**
 * A failure as Sixpack answers it. A message of the catalogue is answered exactly
 * (`{"status": "failed", "message": …}`); abtest's own refusals (a name too long, a bad
 * `datetime`, a cap) also name their `field`. Redis down is 503 `redis is not available`,
 * never JSONP-wrapped, with the details in the log only. Anything else is not a request's
 * fault: it is thrown on to the handler's one error mapper.
 */
export function sixpackFailure(e: unknown, callback: string | undefined, config: Pick<Config, 'cors_origin'>) {
  if (e instanceof AbtestError && e.code === 'unavailable') {
    console.error(JSON.stringify({ level: 'error', code: e.code, message: redactUrl(e.message) }));
    return sixpackAnswer(503, { status: 'failed', message: MESSAGES.unavailable }, undefined, config);
  }
  if (!(e instanceof AbtestError) || e.status >= 500) throw e;
  if (CATALOGUE.has(e.message)) {
    return sixpackAnswer(e.status, { status: 'failed', message: e.message }, callback, config);
  }
  const message = e.hint ? `${e.message}: ${e.hint}` : e.message;
  return sixpackAnswer(e.status, { status: 'failed', message, field: e.field }, callback, config);
}
