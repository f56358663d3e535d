import type { Config } from './config';
import { InputError } from './errors';
import { bodyText, header, type ProxyEvent } from './http';
import type { TrackEvent } from './store';

/** Most events one POST may carry. */
export const MAX_BATCH = 100;

const FIELDS = ['namespace', 'experiment', 'variant', 'event', 'uuid'] as const;
const CONTROL = /[\x00-\x1f\x7f]/;

/** Checks one name (namespace, experiment, variant, event, uuid). */
export function checkName(value: unknown, field: string, config: Config): string {
  if (value === undefined || value === null || value === '') throw new InputError(field, `${field} is missing`);
  if (typeof value !== 'string') throw new InputError(field, `${field} must be a string`);
  if (value.length > config.max_name_length) throw new InputError(field, `${field} is longer than ${config.max_name_length} characters`);
  if (CONTROL.test(value)) throw new InputError(field, `${field} contains a control character`);
  return value;
}

function toEvent(raw: Record<string, unknown>, config: Config, at: string): TrackEvent {
  const name = (f: string) => (at ? `${at}.${f}` : f);
  const e = {
    namespace: raw.namespace === undefined || raw.namespace === '' ? config.namespace : checkName(raw.namespace, name('namespace'), config),
    experiment: checkName(raw.experiment, name('experiment'), config),
    variant: checkName(raw.variant, name('variant'), config),
    event: checkName(raw.event, name('event'), config),
    uuid: checkName(raw.uuid, name('uuid'), config),
  };
  if (config.allowed_experiments && !config.allowed_experiments.includes(e.experiment)) {
    throw new InputError(name('experiment'), `${name('experiment')} "${e.experiment}" is not in allowed_experiments`);
  }
  return e;
}

/**
 * Reads the events of a track request: a GET query string (`+` is a space, as Alephbet
 * sends it, so `my+test` and `my%20test` are the same name; unknown parameters such as cache
 * busters are ignored) or a POST body with one event object or an array of up to 100
 * (`application/json` or `text/plain`, as `sendBeacon` sends). Everything is checked before
 * anything is stored: one bad event refuses the whole request, naming the field.
 */
export function parseTrack(event: ProxyEvent, config: Config): TrackEvent[] {
  if (event.httpMethod === 'GET') {
    const q = event.queryStringParameters ?? {};
    const raw: Record<string, unknown> = {};
    for (const f of FIELDS) if (q[f] !== undefined) raw[f] = q[f]!.replace(/\+/g, ' ');
    return [toEvent(raw, config, '')];
  }
  const type = (header(event, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type && type !== 'application/json' && type !== 'text/plain') {
    throw new InputError('content-type', `content-type ${type} is not accepted; send application/json or text/plain`, 415);
  }
  const text = bodyText(event);
  if (!text.trim()) throw new InputError('body', 'the body is empty; send one event object or an array of events');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new InputError('body', `the body is not valid JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length === 0) throw new InputError('body', 'the body is an empty array; send at least one event');
  if (list.length > MAX_BATCH) throw new InputError('body', `the body has ${list.length} events; at most ${MAX_BATCH} are accepted at once`);
  return list.map((item, i) => {
    const at = Array.isArray(parsed) ? `[${i}]` : '';
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new InputError(at || 'body', `${at || 'the body'} must be an event object`);
    for (const key of Object.keys(item)) {
      if (!(FIELDS as readonly string[]).includes(key)) throw new InputError(at ? `${at}.${key}` : key, `${at ? `${at}.${key}` : key} is not a known field (known: ${FIELDS.join(', ')})`);
    }
    return toEvent(item as Record<string, unknown>, config, at);
  });
}

/** The namespace of an admin request, or the default. */
export function namespaceParam(event: ProxyEvent, config: Config): string {
  const ns = event.queryStringParameters?.namespace;
  return ns === undefined || ns === '' ? config.namespace : checkName(ns.replace(/\+/g, ' '), 'namespace', config);
}

/** A required name from the query string of an admin request. */
export function nameParam(event: ProxyEvent, field: string, config: Config): string {
  const v = event.queryStringParameters?.[field];
  return checkName(v === undefined ? v : v.replace(/\+/g, ' '), field, config);
}
