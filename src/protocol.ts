/**
 * The tracking wire: what a client sends to `/track` and what it answers. The browser client
 * and the server both import this module, so it holds no dependencies and no Node APIs.
 */

/** The pseudo-goal of entering an experiment: its counter is a variant's participants. */
export const PARTICIPATE = 'participate';

/** Most events one POST may carry. */
export const MAX_BATCH = 100;

/** The fields of an event, in wire order. */
export const EVENT_FIELDS = ['namespace', 'experiment', 'variant', 'event', 'uuid'] as const;

/** One tracking event, validated: the namespace is filled in. */
export interface TrackEvent {
  namespace: string;
  experiment: string;
  variant: string;
  event: string;
  uuid: string;
}

/** One event as a client sends it: without a namespace the server's configured one is used. */
export type WireEvent = Omit<TrackEvent, 'namespace'> & { namespace?: string };

/** The longest name any server takes (`max_name_length` is at most this; its default is 128). */
export const NAME_LENGTH_LIMIT = 1024;

/** An event of a batch that the server refused; the others of the batch were stored. */
export interface Rejection {
  /** Position of the event in the POSTed array. */
  index: number;
  /** The event field at fault (`experiment`, `variant`, `event`, ...), or `body` for a non-object. */
  field: string;
  message: string;
}

/**
 * Why a request was answered but not counted: its user agent matched `bot_user_agent_pattern`
 * (`bot`), or its address is in `ignored_ips` (`ignored_ip`).
 */
export type Exclusion = 'bot' | 'ignored_ip';

/**
 * What `/track` answers with 200: `stored` events were counted (new or seen before), the
 * `rejected` ones (only present when some are) were refused for good and must not be resent.
 * `excluded` (only present for a bot or an ignored address) says why nothing was counted: the
 * request is done, a client must not resend it.
 */
export interface TrackAnswer {
  status: 'ok';
  stored: number;
  rejected?: Rejection[];
  excluded?: Exclusion;
}

const CONTROL = /[\x00-\x1f\x7f]/;
// A lone surrogate, or U+FFFD: the character that bytes which were not UTF-8 decode to.
const NOT_UNICODE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]|\ufffd/;
// Every character the two above may find, in one class: a name without any (nearly all) is
// checked by one test instead of two; one with a surrogate pair (an emoji) is looked at closely.
const SUSPECT = /[\x00-\x1f\x7f\ud800-\udfff\ufffd]/;

/**
 * What is wrong with a name (namespace, experiment, variant, event, uuid), as the end of a
 * sentence that starts with the field ("is longer than 128 characters"), or null when it is
 * fine. A name is 1 to `maxLength` UTF-16 units of valid Unicode without control characters.
 */
export function nameProblem(value: unknown, maxLength: number): string | null {
  if (value === undefined || value === null || value === '') return 'is missing';
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > maxLength) return `is longer than ${maxLength} characters`;
  if (!SUSPECT.test(value)) return null;
  if (CONTROL.test(value)) return 'contains a control character';
  if (NOT_UNICODE.test(value)) return 'is not valid Unicode (a lone surrogate, or U+FFFD from bytes not UTF-8)';
  return null;
}

/**
 * Whether a client sends the same request again later: no answer (0), 408, 429 and 5xx.
 * Every other answer is final; a 200 may still list `rejected` events.
 */
export const isRetryable = (status: number): boolean =>
  status === 0 || status === 408 || status === 429 || status >= 500;
