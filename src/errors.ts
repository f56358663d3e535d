/**
 * The one error type of abtest. Every failure that abtest knows how to explain is an
 * `AbtestError`: `code` is stable for programs, `message` is a sentence for people, `hint`
 * names the fix, and `status` is the HTTP status a handler answers with.
 */
export class AbtestError extends Error {
  readonly code: string;
  readonly status: number;
  readonly hint?: string;

  constructor(code: string, message: string, opts: { status?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.hint = opts.hint;
  }
}

/** A configuration file, variable or flag is wrong; `key` names it. */
export class ConfigError extends AbtestError {
  constructor(readonly key: string, message: string, hint?: string) {
    super('config', message, { status: 500, hint });
  }
}

/** A request is malformed; `field` names the part of it that is wrong. Answered with 400. */
export class InputError extends AbtestError {
  constructor(readonly field: string, message: string, status = 400) {
    super('input', message, { status });
  }
}

/** Redis cannot be reached or did not answer in time. Answered with 503. */
export class UnavailableError extends AbtestError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, { status: 503, cause });
  }
}
