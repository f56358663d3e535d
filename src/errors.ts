/**
 * The stable codes of {@link AbtestError}, for programs: what kind of failure it is. Each place
 * that fails names one of these; a new kind of failure adds its code here.
 */
export type ErrorCode =
  | 'config'
  | 'input'
  | 'not-found'
  | 'conflict'
  | 'unavailable'
  | 'redis'
  | 'internal'
  | 'answer'
  | 'install'
  | 'bundle'
  | 'client-size'
  | 'url'
  | 'describe'
  | 'not-deployed'
  | 'aws-lambda'
  | 'aws-timeout'
  | 'destroy'
  | 'rollback'
  | 'simulate'
  | 'redis-missing'
  | 'redis-start'
  | 'apply'
  | 'changed'
  | 'refused'
  | 'experiment';

/**
 * The one error type of abtest. Every failure that abtest knows how to explain is an
 * `AbtestError`: `code` is stable for programs, `message` is a sentence for people, `hint`
 * names the fix, and `status` is the HTTP status a handler answers with.
 */
export class AbtestError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint?: string;
  /** The part of a request that is wrong (answered in the JSON error body), for errors below 500. */
  readonly field?: string;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { status?: number; hint?: string; cause?: unknown; field?: string } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.hint = opts.hint;
    this.field = opts.field;
  }
}

/** A configuration file, variable or flag is wrong; `key` names it, `cause` is kept. */
export class ConfigError extends AbtestError {
  constructor(
    readonly key: string,
    message: string,
    hint?: string,
    cause?: unknown,
  ) {
    super('config', message, { status: 500, hint, cause });
  }
}

/** A request is malformed; `field` names the part of it that is wrong. Answered with 400. */
export class InputError extends AbtestError {
  declare readonly field: string;
  constructor(field: string, message: string, status = 400) {
    super('input', message, { status, field });
  }
}

/** What a request names does not exist (a route, an experiment); `field` names it. Answered with 404. */
export class NotFoundError extends AbtestError {
  declare readonly field: string;
  constructor(field: string, message: string) {
    super('not-found', message, { status: 404, field });
  }
}

/** A refused change: an illegal transition, an archived experiment, a concurrent change. Answered with 409. */
export class ConflictError extends AbtestError {
  declare readonly field: string;
  constructor(field: string, message: string) {
    super('conflict', message, { status: 409, field });
  }
}

/** Redis cannot be reached or did not answer in time. Answered with 503. */
export class UnavailableError extends AbtestError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, { status: 503, cause });
  }
}
