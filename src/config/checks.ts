import { ConfigError } from '../errors';
import { redactUrl } from '../redact';

/**
 * The check of one config value: returns the value, typed, or throws a {@link ConfigError}
 * naming the key. `fromEnv` turns the text of its `ABTEST_*` variable into a value to check
 * (the text itself when absent).
 */
export type Check<T> = ((value: unknown, key: string) => T) & { fromEnv?: (text: string, key: string) => unknown };

/** The environment variable that overrides a key: `redis_url` → `ABTEST_REDIS_URL`. */
export const envName = (key: string): string => `ABTEST_${key.toUpperCase()}`;

/** Throws the {@link ConfigError} of a bad value of `key`. */
export const fail = (key: string, what: string): never => {
  const hint = `fix it in the config file or the ${envName(key)} variable`;
  throw new ConfigError(key, `config key "${key}" ${what}`, hint);
};

const withEnv = <T>(check: Check<T>, fromEnv: Check<T>['fromEnv']): Check<T> => Object.assign(check, { fromEnv });

function parseJson(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail(key, `in ${envName(key)} is not valid JSON`);
  }
}

/** A non-empty string, matching `pattern` (described as `what`) when given. */
export const str =
  (pattern?: RegExp, what?: string): Check<string> =>
  (v, k) => {
    if (typeof v !== 'string' || v.length === 0) return fail(k, 'must be a non-empty string');
    if (pattern && !pattern.test(v)) return fail(k, `must be ${what}, got "${v}"`);
    return v;
  };

/** `null`, or what `inner` accepts; in a variable, empty text and `null` are null. */
export const nullable = <T>(inner: Check<T>): Check<T | null> =>
  withEnv(
    (v, k) => (v === null ? null : inner(v, k)),
    (text, k) => (text === '' || text === 'null' ? null : inner.fromEnv ? inner.fromEnv(text, k) : text),
  );

/** A whole number from `min` to `max`. */
export const int = (min: number, max: number): Check<number> =>
  withEnv(
    (v, k) => {
      if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
      return fail(k, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    },
    (text) => (/^-?\d+$/.test(text) ? Number(text) : text),
  );

/** `true` or `false`. */
export const bool: Check<boolean> = withEnv(
  (v, k) => (typeof v === 'boolean' ? v : fail(k, `must be true or false, got ${JSON.stringify(v)}`)),
  (text) => (text === 'true' ? true : text === 'false' ? false : text),
);

/** One of `options`. */
export const oneOf =
  <const T extends string>(...options: T[]): Check<T> =>
  (v, k) =>
    typeof v === 'string' && (options as string[]).includes(v)
      ? (v as T)
      : fail(k, `must be one of ${options.map((o) => `"${o}"`).join(', ')}, got ${JSON.stringify(v)}`);

/** A list of non-empty strings; in a variable, a JSON list or names separated by commas. */
export const strList: Check<string[]> = withEnv(
  (v, k) => {
    if (Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0)) return v as string[];
    return fail(k, 'must be a list of non-empty strings');
  },
  (text, k) => (text.trim().startsWith('[') ? parseJson(text, k) : text.split(',').map((s) => s.trim())),
);

type Shape = Record<string, Check<unknown>>;

/** An object of exactly the keys of `shape` (a missing one is checked as undefined); JSON in a variable. */
export const object = <S extends Shape>(shape: S): Check<{ [K in keyof S]: ReturnType<S[K]> }> =>
  withEnv((v, k) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(k, 'must be an object');
    const out: Record<string, unknown> = {};
    for (const sub of Object.keys(v)) {
      if (!Object.hasOwn(shape, sub)) {
        fail(`${k}.${sub}`, `is not a known key (known: ${Object.keys(shape).join(', ')})`);
      }
    }
    const given = v as Record<string, unknown>;
    for (const [sub, check] of Object.entries(shape)) out[sub] = check(given[sub], `${k}.${sub}`);
    return out as { [K in keyof S]: ReturnType<S[K]> };
  }, parseJson);

/** `undefined`, or what `inner` accepts. */
export const optional =
  <T>(inner: Check<T>): Check<T | undefined> =>
  (v, k) =>
    v === undefined ? undefined : inner(v, k);

/** A list whose every item `item` accepts, named `key[i]` in messages. */
export const listOf =
  <T>(item: Check<T>): Check<T[]> =>
  (v, k) =>
    Array.isArray(v) ? v.map((x, i) => item(x, `${k}[${i}]`)) : fail(k, 'must be a list');

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** One function of a wiring: `handler` is `file.export` of `lambdas/file.ts`. */
const functionWiring = object({
  name: str(/^[A-Za-z0-9_-]{1,40}$/, 'a name of letters, digits, - and _ (at most 40)'),
  handler: str(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_$]+$/, 'a handler like "file.handler"'),
  memory: int(128, 10240),
  timeout: int(1, 900),
});

/** One route of a wiring; the method is upper-cased, `apiKeyRequired` is false when absent. */
const routeWiring: Check<{ path: string; method: string; function: string; apiKeyRequired: boolean }> = (v, k) => {
  const r = object({
    path: str(/^(\/[A-Za-z0-9_.-]+)+$/, 'a path like /name or /name/sub'),
    method: (m, mk) => {
      const upper = typeof m === 'string' ? m.toUpperCase() : '';
      return (METHODS as readonly string[]).includes(upper) ? upper : fail(mk, `must be one of ${METHODS.join(', ')}`);
    },
    function: str(),
    apiKeyRequired: optional(bool),
  })(v, k);
  return { ...r, apiKeyRequired: r.apiKeyRequired === true };
};

/** The shape of a wiring (wiring.json, config `extra_wiring`): lists of functions and routes, each may be absent. */
export const wiringShape = object({
  functions: optional(listOf(functionWiring)),
  routes: optional(listOf(routeWiring)),
});

/** `redis://` or `rediss://` with a host and, optionally, a database number. */
export const redisUrl: Check<string> = (v, k) => {
  const s = str()(v, k);
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return fail(k, `must be a URL like redis://host:6379/0, got "${redactUrl(s)}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return fail(k, `must start with redis:// or rediss:// (TLS), got "${url.protocol}//"`);
  }
  if (!url.hostname) return fail(k, 'must name a host');
  if (url.pathname && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) {
    return fail(k, `has a database "${url.pathname.slice(1)}" that is not a number`);
  }
  return s;
};

/**
 * The Lambda runtimes deploy accepts, with the day AWS Lambda ends their support (after it,
 * AWS blocks creating and then updating functions on them). nodejs20.x ended on 2026-04-30.
 */
export const LAMBDA_RUNTIMES: Readonly<Record<string, string>> = {
  'nodejs24.x': '2028-04-30',
  'nodejs22.x': '2027-04-30',
};

/** One of {@link LAMBDA_RUNTIMES}; any other is refused with the supported ones named. */
export const runtime: Check<string> = (v, k) => {
  const s = str()(v, k);
  if (Object.hasOwn(LAMBDA_RUNTIMES, s)) return s;
  const supported = Object.entries(LAMBDA_RUNTIMES)
    .map(([r, until]) => `${r} (supported until ${until})`)
    .join(' or ');
  return fail(k, `is "${s}", a runtime AWS Lambda no longer supports or abtest does not know: use ${supported}`);
};

/** `*`, or one origin: scheme://host[:port], nothing after it. */
export const corsOrigin: Check<string> = (v, k) => {
  const s = str()(v, k);
  const host = String.raw`(\[[0-9a-f:.]+\]|[a-z0-9_~-]+(\.[a-z0-9_~-]+)*)`;
  if (s === '*' || new RegExp(String.raw`^[a-z][a-z0-9+.-]*://${host}(:\d{1,5})?$`, 'i').test(s)) return s;
  return fail(k, `must be "*" or an origin such as https://shop.example (scheme://host[:port], no path), got "${s}"`);
};

/**
 * A regular expression (JavaScript syntax), compiled as `compile` does: a SyntaxError names the
 * key, and so does what `risk` finds wrong with a valid one.
 */
export const regExp =
  (compile: (pattern: string) => RegExp, risk: (pattern: string) => string | null): Check<string> =>
  (v, k) => {
    const s = str()(v, k);
    try {
      compile(s);
    } catch (e) {
      return fail(k, `is not a valid regular expression (${(e as Error).message})`);
    }
    const problem = risk(s);
    return problem ? fail(k, problem) : s;
  };

/**
 * A list of IP addresses and CIDR ranges, IPv4 or IPv6, each checked by `parse` (which names
 * what is wrong); in a variable, a JSON list or entries separated by commas, empty text an empty list.
 */
export const ipList = (parse: (entry: string) => unknown): Check<string[]> =>
  withEnv(
    (v, k) => {
      if (!Array.isArray(v)) return fail(k, 'must be a list of IP addresses and CIDR ranges');
      for (const entry of v) {
        if (typeof entry !== 'string') return fail(k, `has an entry ${JSON.stringify(entry)} that is not a string`);
        const problem = parse(entry);
        if (typeof problem === 'string') return fail(k, `has an entry "${entry}" that ${problem}`);
      }
      return v as string[];
    },
    (text, k) =>
      text.trim().startsWith('[') ? parseJson(text, k) : text.trim() === '' ? [] : text.split(',').map((s) => s.trim()),
  );
