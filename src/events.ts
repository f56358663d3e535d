import type { Config } from './config';
import { InputError } from './errors';
import { bodyText, header, type ProxyEvent } from './http';
import { EVENT_FIELDS, MAX_BATCH, nameProblem, type Rejection, type TrackEvent } from './protocol';

/** Checks one name (namespace, experiment, variant, event, uuid) against the wire rules and the config. */
export function checkName(value: unknown, field: string, config: Config): string {
  const problem = nameProblem(value, config.max_name_length);
  if (problem) throw new InputError(field, `${field} ${problem}`);
  return value as string;
}

const own = (o: object, key: string): boolean => Object.hasOwn(o, key);

/** One event of a POST body from its raw fields; throws an InputError naming the first field at fault. */
function toEvent(raw: Record<string, unknown>, config: Config): TrackEvent {
  for (const key of Object.keys(raw)) {
    if (!(EVENT_FIELDS as readonly string[]).includes(key)) {
      throw new InputError(key, `${key} is not a known field (known: ${EVENT_FIELDS.join(', ')})`);
    }
  }
  const field = (f: string) => (own(raw, f) ? raw[f] : undefined);
  return checkEvent(field('namespace'), field('experiment'), field('variant'), field('event'), field('uuid'), config);
}

/** An event from its fields, each checked; throws an InputError naming the first field at fault. */
function checkEvent(
  ns: unknown,
  experiment: unknown,
  variant: unknown,
  event: unknown,
  uuid: unknown,
  config: Config,
): TrackEvent {
  const e = {
    namespace: ns === undefined || ns === '' ? config.namespace : checkName(ns, 'namespace', config),
    experiment: checkName(experiment, 'experiment', config),
    variant: checkName(variant, 'variant', config),
    event: checkName(event, 'event', config),
    uuid: checkName(uuid, 'uuid', config),
  };
  if (config.allowed_experiments && !config.allowed_experiments.includes(e.experiment)) {
    throw new InputError('experiment', `experiment "${e.experiment}" is not in allowed_experiments`);
  }
  return e;
}

/** A query parameter of GET /track: `+` read as a space; absent when not a string. */
function trackParam(q: Record<string, string | undefined>, name: string): string | undefined {
  const v = own(q, name) ? q[name] : undefined;
  if (typeof v !== 'string') return undefined;
  return v.includes('+') ? v.replace(/\+/g, ' ') : v;
}

/**
 * The events of a track request. With `batch` (a POSTed array), refused events are listed in
 * `rejected` with their position and the others are `accepted`; otherwise the one event is
 * accepted or an InputError naming the field is thrown.
 */
export interface TrackRequest {
  batch: boolean;
  accepted: { index: number; event: TrackEvent }[];
  rejected: Rejection[];
}

/**
 * Reads the events of a track request: a GET query string (`+` is a space, as Alephbet
 * sends it, so `my+test` and `my%20test` are the same name; unknown parameters such as cache
 * busters are ignored) or a POST body with one event object or an array of up to 100
 * (`application/json` or `text/plain`, as `sendBeacon` sends). A problem of the whole request
 * (content type, JSON, size) throws; in an array, each event is judged on its own.
 */
export function parseTrack(event: ProxyEvent, config: Config): TrackRequest {
  if (event.httpMethod === 'GET') {
    // Unknown parameters (cache busters) are ignored: only the event's fields are read.
    const q = event.queryStringParameters ?? {};
    const e = checkEvent(
      trackParam(q, 'namespace'),
      trackParam(q, 'experiment'),
      trackParam(q, 'variant'),
      trackParam(q, 'event'),
      trackParam(q, 'uuid'),
      config,
    );
    return { batch: false, accepted: [{ index: 0, event: e }], rejected: [] };
  }
  const parsed = parseBody(event);
  if (!Array.isArray(parsed)) {
    return { batch: false, accepted: [{ index: 0, event: toEvent(eventObject(parsed), config) }], rejected: [] };
  }
  if (parsed.length === 0) throw new InputError('body', 'the body is an empty array; send at least one event');
  if (parsed.length > MAX_BATCH) {
    throw new InputError('body', `the body has ${parsed.length} events; at most ${MAX_BATCH} are accepted at once`);
  }
  const out: TrackRequest = { batch: true, accepted: [], rejected: [] };
  parsed.forEach((item, index) => {
    try {
      out.accepted.push({ index, event: toEvent(eventObject(item), config) });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      out.rejected.push({ index, field: e.field, message: e.message });
    }
  });
  return out;
}

/** The JSON of a POST or PUT body, after the checks that concern the whole request. */
export function parseBody(event: ProxyEvent): unknown {
  const type = (header(event, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type && type !== 'application/json' && type !== 'text/plain') {
    throw new InputError(
      'content-type',
      `content-type ${type} is not accepted; send application/json or text/plain`,
      415,
    );
  }
  const text = bodyText(event);
  if (!text.trim()) throw new InputError('body', 'the body is empty; send one event object or an array of events');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError('body', `the body is not valid JSON: ${(e as Error).message}`);
  }
}

function eventObject(item: unknown): Record<string, unknown> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new InputError('body', 'an event must be an object');
  }
  return item as Record<string, unknown>;
}

/**
 * A name from the query string of an admin route, as sent: percent-decoded by API Gateway,
 * `+` kept as `+` (only GET /track reads `+` as a space), so every tracked name can be addressed.
 * A missing or empty one is `fallback` when given.
 */
export function nameParam(event: ProxyEvent, field: string, config: Config, fallback?: string): string {
  const q = event.queryStringParameters ?? {};
  const v = own(q, field) ? q[field] : undefined;
  if ((v === undefined || v === '') && fallback !== undefined) return fallback;
  return checkName(v, field, config);
}

/**
 * The names an admin route's `experiment` or `scope` entry may mean: the name as sent, then,
 * when it holds a `+`, the name with each `+` read as a space, for clients that encode a
 * space as `+` (HTML forms, `URLSearchParams`).
 */
export const plusOrSpace = (name: string): string[] => (name.includes('+') ? [name, name.replace(/\+/g, ' ')] : [name]);

/** The namespace of an admin request, or the default. */
export const namespaceParam = (event: ProxyEvent, config: Config): string =>
  nameParam(event, 'namespace', config, config.namespace);
