import { ConfigError } from './errors';

/** Counting modes: HyperLogLog (fixed 12 KB per counter, ~0.81% error) or exact sets. */
export type Counting = 'hll' | 'exact';

export interface RouteWiring {
  path: string;
  method: string;
  function: string;
  apiKeyRequired?: boolean;
}
export interface FunctionWiring {
  name: string;
  handler: string;
  memory: number;
  timeout: number;
}
export interface Wiring {
  functions: FunctionWiring[];
  routes: RouteWiring[];
}

/** The whole validated configuration. Each field's default is in {@link DEFAULTS}. */
export interface Config {
  /** `redis://[:password@]host[:port][/db]` or `rediss://` for TLS. @default null (abtest dev starts its own) */
  redis_url: string | null;
  /** Connect to a Redis Cluster (ElastiCache Serverless, cluster mode). @default false */
  redis_cluster: boolean;
  /**
   * CA certificate(s) that sign the certificate of a `rediss://` Redis, for a private CA: the
   * PEM text, or the path of a PEM file (deploy and dev pass its text on). @default null (the
   * system's CAs)
   */
  redis_tls_ca: string | null;
  /** Prefix of every Redis key abtest writes. @default "abtest:" */
  key_prefix: string;
  /** Counting mode for new experiments. @default "hll" */
  counting: Counting;
  /** Namespace used when a request names none (Gimel/Alephbet use "alephbet"). @default "alephbet" */
  namespace: string;
  /** `Access-Control-Allow-Origin` of every answer. @default "*" */
  cors_origin: string;
  /** How long to wait for a Redis connection. @default 1000 */
  redis_connect_timeout_ms: number;
  /** How long to wait for one Redis command. @default 500 */
  redis_command_timeout_ms: number;
  /** Namespaces the store may hold; 0 means no cap. @default 100 */
  max_namespaces: number;
  /** Experiments one namespace may hold; 0 means no cap. @default 1000 */
  max_experiments_per_namespace: number;
  /** Variants one experiment may have; 0 means no cap. @default 10 */
  max_variants_per_experiment: number;
  /** Goals (events other than participate) one experiment may have; 0 means no cap. @default 20 */
  max_goals_per_experiment: number;
  /** Longest namespace, experiment, variant, event or uuid, in characters. @default 128 */
  max_name_length: number;
  /** When set, only these experiments are tracked. @default null */
  allowed_experiments: string[] | null;
  /** Key for the admin routes (experiments, delete); deploy creates one when null. @default null */
  api_key: string | null;
  /** API Gateway stage. @default "prod" */
  stage: string;
  /** Prefix of every AWS resource name deploy creates. @default "abtest" */
  app_name: string;
  /** AWS region. @default null (the SDK's default chain) */
  region: string | null;
  /** AWS named profile. @default null (the SDK's default chain) */
  profile: string | null;
  /** Lambda runtime, one of {@link LAMBDA_RUNTIMES}. @default "nodejs24.x" */
  runtime: string;
  /** VPC for a Redis inside a VPC. @default null */
  vpc: { subnet_ids: string[]; security_group_ids: string[] } | null;
  /** Usage-plan throttle of the API. @default {"rate_limit":100,"burst_limit":200} */
  throttle: { rate_limit: number; burst_limit: number };
  /** Routes (and functions) added to wiring.json. @default null */
  extra_wiring: Partial<Wiring> | null;
}

export const DEFAULTS: Config = {
  redis_url: null,
  redis_cluster: false,
  redis_tls_ca: null,
  key_prefix: 'abtest:',
  counting: 'hll',
  namespace: 'alephbet',
  cors_origin: '*',
  redis_connect_timeout_ms: 1000,
  redis_command_timeout_ms: 500,
  max_namespaces: 100,
  max_experiments_per_namespace: 1000,
  max_variants_per_experiment: 10,
  max_goals_per_experiment: 20,
  max_name_length: 128,
  allowed_experiments: null,
  api_key: null,
  stage: 'prod',
  app_name: 'abtest',
  region: null,
  profile: null,
  runtime: 'nodejs24.x',
  vpc: null,
  throttle: { rate_limit: 100, burst_limit: 200 },
  extra_wiring: null,
};

type Check = (value: unknown, key: string) => unknown;

const fail = (key: string, what: string): never => {
  throw new ConfigError(key, `config key "${key}" ${what}`, 'fix it in the config file or the ABTEST_' + key.toUpperCase() + ' variable');
};

const str = (pattern?: RegExp, what?: string): Check => (v, k) => {
  if (typeof v !== 'string' || v.length === 0) return fail(k, 'must be a non-empty string');
  if (pattern && !pattern.test(v)) return fail(k, `must be ${what}, got "${v}"`);
  return v;
};
const nullable = (inner: Check): Check => (v, k) => (v === null ? null : inner(v, k));
const int = (min: number, max: number): Check => (v, k) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    return fail(k, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
};
const bool: Check = (v, k) => (typeof v === 'boolean' ? v : fail(k, `must be true or false, got ${JSON.stringify(v)}`));
const oneOf = (...options: string[]): Check => (v, k) =>
  typeof v === 'string' && options.includes(v) ? v : fail(k, `must be one of ${options.map((o) => `"${o}"`).join(', ')}, got ${JSON.stringify(v)}`);
const strList: Check = (v, k) => {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.length === 0)) return fail(k, 'must be a list of non-empty strings');
  return v;
};
const object = (shape: Record<string, Check>): Check => (v, k) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(k, 'must be an object');
  const out: Record<string, unknown> = {};
  for (const sub of Object.keys(v)) if (!(sub in shape)) fail(`${k}.${sub}`, `is not a known key (known: ${Object.keys(shape).join(', ')})`);
  for (const [sub, check] of Object.entries(shape)) out[sub] = check((v as Record<string, unknown>)[sub], `${k}.${sub}`);
  return out;
};

const redisUrl: Check = (v, k) => {
  const s = str()(v, k) as string;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return fail(k, `must be a URL like redis://host:6379/0, got "${s}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return fail(k, `must start with redis:// or rediss:// (TLS), got "${url.protocol}//"`);
  if (!url.hostname) return fail(k, 'must name a host');
  if (url.pathname && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) return fail(k, `has a database "${url.pathname.slice(1)}" that is not a number`);
  return s;
};

const wiringCheck: Check = (v, k) => {
  const w = object({ functions: (x) => x ?? [], routes: (x) => x ?? [] })(v, k) as Wiring;
  if (!Array.isArray(w.functions) || !Array.isArray(w.routes)) return fail(k, 'must have lists "functions" and "routes"');
  return w;
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;

/**
 * The Lambda runtimes deploy accepts, with the day AWS Lambda ends their support (after it,
 * AWS blocks creating and then updating functions on them). nodejs20.x ended on 2026-04-30.
 */
export const LAMBDA_RUNTIMES: Readonly<Record<string, string>> = {
  'nodejs24.x': '2028-04-30',
  'nodejs22.x': '2027-04-30',
};

const runtime: Check = (v, k) => {
  const s = str()(v, k) as string;
  if (Object.hasOwn(LAMBDA_RUNTIMES, s)) return s;
  const supported = Object.entries(LAMBDA_RUNTIMES).map(([r, until]) => `${r} (supported until ${until})`).join(' or ');
  return fail(k, `is "${s}", a runtime AWS Lambda no longer supports or abtest does not know: use ${supported}`);
};

/** `*`, or one origin: scheme://host[:port], nothing after it. */
const corsOrigin: Check = (v, k) => {
  const s = str()(v, k) as string;
  const host = String.raw`(\[[0-9a-f:.]+\]|[a-z0-9_~-]+(\.[a-z0-9_~-]+)*)`;
  if (s === '*' || new RegExp(String.raw`^[a-z][a-z0-9+.-]*://${host}(:\d{1,5})?$`, 'i').test(s)) return s;
  return fail(k, `must be "*" or an origin such as https://shop.example (scheme://host[:port], no path), got "${s}"`);
};

const SCHEMA: { [K in keyof Config]: Check } = {
  redis_url: nullable(redisUrl),
  redis_cluster: bool,
  redis_tls_ca: nullable(str()),
  key_prefix: str(/^[^\s{}]{1,64}$/, 'at most 64 characters without spaces or braces'),
  counting: oneOf('hll', 'exact'),
  namespace: str(/^[^\x00-\x1f\x7f]{1,128}$/, 'at most 128 characters without control characters'),
  cors_origin: corsOrigin,
  redis_connect_timeout_ms: int(10, 60_000),
  redis_command_timeout_ms: int(10, 60_000),
  max_namespaces: int(0, 1_000_000),
  max_experiments_per_namespace: int(0, 1_000_000),
  max_variants_per_experiment: int(0, 1000),
  max_goals_per_experiment: int(0, 1000),
  max_name_length: int(1, 1024),
  allowed_experiments: nullable(strList),
  api_key: nullable(str(/^[\x21-\x7e]{20,128}$/, '20 to 128 printable characters')),
  stage: str(/^[A-Za-z0-9_]{1,128}$/, 'letters, digits and _'),
  app_name: str(NAME, 'a name of letters, digits, - and _ (at most 40)'),
  region: nullable(str(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1')),
  profile: nullable(str()),
  runtime,
  vpc: nullable(object({ subnet_ids: strList, security_group_ids: strList })),
  throttle: object({ rate_limit: int(1, 1_000_000), burst_limit: int(1, 1_000_000) }),
  extra_wiring: nullable(wiringCheck),
};

/** Every config key, in the order of {@link DEFAULTS}. */
export const CONFIG_KEYS = Object.keys(DEFAULTS) as (keyof Config)[];

/** The environment variable that overrides a key: `redis_url` → `ABTEST_REDIS_URL`. */
export const envName = (key: string): string => 'ABTEST_' + key.toUpperCase();

/** Turns a variable's text into the key's value type (numbers, booleans, lists, JSON objects). */
function fromEnv(key: keyof Config, text: string): unknown {
  const def = DEFAULTS[key];
  const nullish = text === '' || text === 'null';
  if (typeof def === 'number') return /^-?\d+$/.test(text) ? Number(text) : text;
  if (typeof def === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (key === 'allowed_experiments') return nullish ? null : text.trim().startsWith('[') ? parseJson(key, text) : text.split(',').map((s) => s.trim());
  if (key === 'vpc' || key === 'throttle' || key === 'extra_wiring') return nullish ? null : parseJson(key, text);
  return nullish && def === null ? null : text;
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail(key, `in ${envName(key)} is not valid JSON`);
  }
}

/**
 * Validates a partial configuration (from a file and/or the environment) and fills defaults.
 * Unknown keys are errors: a typo must not become a silent default.
 * @param source where the object came from, for error messages (a file path or "environment")
 */
export function validateConfig(input: unknown, source = 'config'): Config {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('', `${source} must hold a JSON object of config keys`);
  }
  const out = { ...DEFAULTS } as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (!(key in SCHEMA)) {
      const near = CONFIG_KEYS.find((k) => k.replace(/_/g, '') === key.toLowerCase().replace(/[_-]/g, ''));
      throw new ConfigError(key, `${source}: unknown config key "${key}"` + (near ? ` (did you mean "${near}"?)` : ''), 'see config.example.json for every key');
    }
    if (value === undefined) continue;
    try {
      out[key] = SCHEMA[key as keyof Config](value, key);
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(e.key, `${source}: ${e.message}`, source.startsWith('--') ? `pass a corrected ${source}` : e.hint);
      throw e;
    }
  }
  return out as unknown as Config;
}

/** Reads the `ABTEST_*` variables that name config keys; unknown `ABTEST_*` names are errors. */
function envOverrides(env: NodeJS.ProcessEnv): Partial<Config> {
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('ABTEST_') || text === undefined || name === CONFIG_FILE_VAR) continue;
    const key = name.slice(7).toLowerCase() as keyof Config;
    if (!(key in SCHEMA)) throw new ConfigError(name, `unknown environment variable ${name}`, `the ABTEST_* variables are: ${CONFIG_KEYS.map(envName).join(', ')}`);
    out[key] = fromEnv(key, text);
  }
  return out as Partial<Config>;
}

/** The one `ABTEST_*` variable that is not a config key: the path of the config file. */
const CONFIG_FILE_VAR = 'ABTEST_CONFIG';

/** The configuration of a Lambda container: its environment only (deploy writes it there). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  return validateConfig(envOverrides(env), 'environment');
}

/**
 * The environment variables that carry `config` into a Lambda function or a bundle that
 * `abtest dev` loads: only keys that differ from their default, and only those the
 * handlers read (AWS-side keys stay out).
 */
export function configToEnv(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of RUNTIME_KEYS) {
    const value = key === 'redis_tls_ca' && config.redis_tls_ca ? tlsCaText(config.redis_tls_ca) : config[key];
    if (JSON.stringify(value) === JSON.stringify(DEFAULTS[key])) continue;
    out[envName(key)] = value === null ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

/**
 * The PEM text of `redis_tls_ca`: a Lambda has no file of the operator's machine, so a path is
 * read here and its text travels in the environment (Lambda allows 4 KB of variables in all).
 */
export function tlsCaText(value: string): string {
  if (value.includes('-----BEGIN')) return value;
  const fs = require('node:fs') as typeof import('node:fs');
  try {
    return fs.readFileSync(value, 'utf8');
  } catch (e) {
    return fail('redis_tls_ca', `names a file that cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${value}`);
  }
}

/** Keys the handlers use at run time. */
export const RUNTIME_KEYS: (keyof Config)[] = [
  'redis_url', 'redis_cluster', 'redis_tls_ca', 'key_prefix', 'counting', 'namespace', 'cors_origin',
  'redis_connect_timeout_ms', 'redis_command_timeout_ms', 'max_namespaces', 'max_experiments_per_namespace',
  'max_variants_per_experiment', 'max_goals_per_experiment', 'max_name_length', 'allowed_experiments',
];

/** Where a configuration came from. */
export interface LoadedConfig {
  config: Config;
  /** The file read, or null when only defaults and the environment were used. */
  path: string | null;
}

/**
 * Loads the configuration: the first of `--config FILE`, `$ABTEST_CONFIG`,
 * `./abtest.config.json`, `~/.abtest/config.json` that exists (an explicit file must exist),
 * then `ABTEST_*` variables override single keys.
 */
export function loadConfig(opts: { file?: string; cwd?: string; home?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  // Required lazily so that Lambda bundles, which read only the environment, stay small.
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const os = require('node:os') as typeof import('node:os');
  const env = opts.env ?? process.env;
  const explicit = opts.file ?? env[CONFIG_FILE_VAR];
  const candidates = explicit
    ? [path.resolve(opts.cwd ?? process.cwd(), explicit)]
    : [path.join(opts.cwd ?? process.cwd(), 'abtest.config.json'), path.join(opts.home ?? os.homedir(), '.abtest', 'config.json')];
  let fileValues: Record<string, unknown> = {};
  let found: string | null = null;
  for (const file of candidates) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) continue;
      throw new ConfigError('--config', `cannot read config file ${file}: ${(e as Error).message}`, 'pass an existing file with --config, or run abtest configure');
    }
    try {
      fileValues = JSON.parse(text);
    } catch (e) {
      throw new ConfigError('--config', `config file ${file} is not valid JSON: ${(e as Error).message}`, 'fix the file or run abtest configure');
    }
    validateConfig(fileValues, file);
    found = file;
    break;
  }
  const overrides = envOverrides(env);
  const merged = validateConfig({ ...fileValues, ...overrides }, found ? `${found} with ABTEST_* overrides` : 'environment');
  return { config: merged, path: found };
}

/** The default path `abtest configure` writes to. */
export function defaultConfigPath(home?: string): string {
  const path = require('node:path') as typeof import('node:path');
  const os = require('node:os') as typeof import('node:os');
  return path.join(home ?? os.homedir(), '.abtest', 'config.json');
}
