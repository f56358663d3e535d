import { hash as digest } from 'node:crypto';
import type { Config } from '../config';
import { InputError } from '../errors';
import { checkName } from '../events';
import type { ProxyEvent } from '../http';
import { excludedVisitor, requestVisitor } from '../visitors';
import { MESSAGES } from './answers';

/**
 * Reading Sixpack's query parameters (../shared/reference/sixpack-api.md §1, §3, §4) as
 * Sixpack's framework does: the first value of a parameter, every value of a repeated one
 * (`alternatives`), `+` read as a space (clients that form-encode send spaces so), the body
 * ignored. Where Sixpack answers an unhandled 500 (`traffic_fraction` that is not a number,
 * a `datetime` it cannot parse), these answer 400 naming the field.
 */

/** The query string of a request: every value of each parameter, in order. */
export interface SixpackQuery {
  /** The first value, as Sixpack's `request.args.get`; undefined when absent. */
  get(name: string): string | undefined;
  /** Every value, as `request.args.getlist`. */
  all(name: string): string[];
}

const plusAsSpace = (v: string): string => (v.includes('+') ? v.replace(/\+/g, ' ') : v);

/**
 * The query of a proxy event: its multi-value map when API Gateway gives one, else the single
 * one. Read where asked (no copy is built per request): a value that is not a string, or a
 * name whose entry is not a list (`constructor` of a plain object), counts as absent.
 */
export function sixpackQuery(event: ProxyEvent): SixpackQuery {
  const multi: unknown = event.multiValueQueryStringParameters;
  if (typeof multi === 'object' && multi !== null && !Array.isArray(multi)) {
    const byName = multi as Record<string, unknown>;
    const values = (name: string): unknown[] | undefined => {
      const v = Object.hasOwn(byName, name) ? byName[name] : undefined;
      return Array.isArray(v) ? v : undefined;
    };
    return {
      get: (name) => {
        const first = values(name)?.find((v) => typeof v === 'string');
        return first === undefined ? undefined : plusAsSpace(first as string);
      },
      all: (name) => (values(name) ?? []).filter((v): v is string => typeof v === 'string').map(plusAsSpace),
    };
  }
  const single = event.queryStringParameters ?? {};
  const get = (name: string): string | undefined => {
    const v = Object.hasOwn(single, name) ? single[name] : undefined;
    return typeof v === 'string' ? plusAsSpace(v) : undefined;
  };
  return {
    get,
    all: (name) => {
      const v = get(name);
      return v === undefined ? [] : [v];
    },
  };
}

/** Sixpack's boolean flags: true when the value is `y`, `true` or `yes`, in any case. */
export const flag = (value: string | undefined): boolean =>
  value !== undefined && ['y', 'true', 'yes'].includes(value.toLowerCase());

/** Sixpack's name rule for alternatives and KPIs (checked case-insensitively). */
export const SIXPACK_NAME = /^[a-z0-9][a-z0-9\-_]*$/i;

/**
 * `traffic_fraction` as Python's `float()` reads it (`inf` and `nan` too, which the range
 * check then refuses), or undefined when absent. Text that is no number answers 400.
 */
export function trafficFraction(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().toLowerCase();
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?(inf|infinity|nan)$/.test(t)) return t.includes('nan') ? Number.NaN : t.startsWith('-') ? -1 / 0 : 1 / 0;
  throw new InputError('traffic_fraction', `traffic_fraction must be a number above 0 and at most 1; got "${text}"`);
}

/** Whether a traffic fraction is in Sixpack's range (0, 1]. */
export const fractionInRange = (f: number): boolean => f > 0 && f <= 1;

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Sixpack's `datetime` (the recording date): an ISO-8601 date or date and time
 * (`2014-01-02`, `2014-01-02T10:00:00`, `2014-01-02 10:00:00.5+02:00`, …; UTC when no zone is
 * given), else the current time. Anything else answers 400 naming `datetime`.
 */
export function datetimeParam(text: string | undefined, now: () => Date = () => new Date()): Date {
  if (text === undefined) return now();
  const m = DATETIME.exec(text.trim());
  const fail = () => {
    throw new InputError(
      'datetime',
      `datetime must be an ISO-8601 date or date and time such as 2014-01-02 or 2014-01-02T10:00:00Z; got "${text}"`,
    );
  };
  if (!m) return fail();
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const zoneText = /^z$/i.test(zone) ? 'Z' : `${zone.slice(0, 3)}:${zone.length > 3 ? zone.slice(-2) : '00'}`;
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${frac.slice(0, 3).padEnd(3, '0')}${zoneText}`);
  // A day that its month does not have (2014-02-30) is no date.
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (Number.isNaN(at.getTime()) || day.getUTCDate() !== Number(d)) return fail();
  return at;
}

/** The experiment and client id of a request: absent ones answer Sixpack's `missing arguments`. */
export function requiredNames(q: SixpackQuery): { experiment: string; clientId: string } {
  const experiment = q.get('experiment');
  const clientId = q.get('client_id');
  if (clientId === undefined) throw new InputError('client_id', MESSAGES.missing);
  if (experiment === undefined) throw new InputError('experiment', MESSAGES.missing);
  return { experiment, clientId };
}

/** The `namespace` parameter (an abtest extension), checked, else the configured one. */
export function namespaceParam(q: SixpackQuery, config: Config): string {
  const ns = q.get('namespace');
  return ns === undefined || ns === '' ? config.namespace : checkName(ns, 'namespace', config);
}

/**
 * The names checked against abtest's rules (Sixpack takes any experiment name, even an empty
 * one; abtest needs 1 to `max_name_length` characters of valid Unicode), the namespace (the
 * `namespace` parameter, an abtest extension, else the configured one) and `allowed_experiments`.
 */
export function checkNames(
  q: SixpackQuery,
  names: { experiment: string; clientId: string },
  config: Config,
): { namespace: string; experiment: string; clientId: string } {
  const namespace = namespaceParam(q, config);
  const experiment = checkName(names.experiment, 'experiment', config);
  const clientId = checkName(names.clientId, 'client_id', config);
  if (config.allowed_experiments && !config.allowed_experiments.includes(experiment)) {
    throw new InputError('experiment', `experiment "${experiment}" is not in allowed_experiments`);
  }
  return { namespace, experiment, clientId };
}

/**
 * Whether the visitor is answered but not counted (src/visitors.ts, which decodes them once
 * more, as Sixpack does): by the `user_agent` and `ip_address` parameters, else the request's
 * `User-Agent` header and source address.
 */
export function isExcluded(q: SixpackQuery, event: ProxyEvent, config: Config): boolean {
  const ua = q.get('user_agent');
  const ip = q.get('ip_address');
  const request = ua === undefined || ip === undefined ? requestVisitor(event) : undefined;
  return excludedVisitor(config, ua ?? request?.userAgent, ip ?? request?.ip);
}

/**
 * Sixpack's choice (§5): the first 7 hex digits of sha1(`experiment.client_id`) as a number
 * (the alternative is that number modulo their count), and from the next 8 digits, bits
 * independent of the choice, the visitor's place in [0, 1) for the traffic fraction.
 */
export function sixpackHash(experiment: string, clientId: string): { choice: number; fraction: number } {
  const hex = digest('sha1', `${experiment}.${clientId}`, 'hex');
  return { choice: Number.parseInt(hex.slice(0, 7), 16), fraction: Number.parseInt(hex.slice(7, 15), 16) / 2 ** 32 };
}
