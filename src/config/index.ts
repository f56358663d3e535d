import fs from 'node:fs';
import { ConfigError } from '../errors';
import {
  bool,
  corsOrigin,
  envName,
  fail,
  int,
  ipList,
  nullable,
  object,
  oneOf,
  redisUrl,
  regExp,
  runtime,
  str,
  strList,
  wiringShape,
  type Check,
} from './checks';
import { parseRange } from '../ip';
import { backtrackingRisk, botRegExp, SIXPACK_BOT_PATTERN } from '../visitors';

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

/** One config key: its check, its default, and whether the handlers read it at run time. */
interface Key<T> {
  check: Check<T>;
  default: T;
  runtime: boolean;
}

const key = <T>(check: Check<T>, def: NoInfer<T>, runtime = false): Key<T> => ({ check, default: def, runtime });
/** A key that the handlers read: deploy and `abtest dev` pass it to them as a variable. */
const RUNTIME = true;

/**
 * THE config schema: every key, its check, its default and whether it is a runtime key. The
 * {@link Config} type, {@link DEFAULTS}, the `ABTEST_*` variable names and how their text is read
 * derive from it; config.example.json and the README's table are tested against it.
 */
const SCHEMA = {
  /** `redis://[user:password@]host[:port][/db]`, `rediss://` for TLS; null: abtest dev starts its own. */
  redis_url: key(nullable(redisUrl), null, RUNTIME),
  /** Connect as a Redis Cluster client (ElastiCache Serverless, cluster mode); only db 0. */
  redis_cluster: key(bool, false, RUNTIME),
  /** CA certificate(s) of a `rediss://` Redis signed by a private CA: the PEM text or a PEM file's path. */
  redis_tls_ca: key(nullable(str()), null, RUNTIME),
  /** Prefix of every Redis key abtest writes. */
  key_prefix: key(str(/^[^\s{}]{1,64}$/, 'at most 64 characters without spaces or braces'), 'abtest:', RUNTIME),
  /** Counting mode of new experiments. */
  counting: key(oneOf('hll', 'exact'), 'hll', RUNTIME),
  /** Namespace of requests that name none (Gimel/Alephbet's default). */
  namespace: key(
    str(/^[^\x00-\x1f\x7f]{1,128}$/, 'at most 128 characters without control characters'),
    'alephbet',
    RUNTIME,
  ),
  /** `Access-Control-Allow-Origin` of every answer: `*` or one origin. */
  cors_origin: key(corsOrigin, '*', RUNTIME),
  /** Connect timeout of Redis, in ms. */
  redis_connect_timeout_ms: key(int(10, 60_000), 1000, RUNTIME),
  /** The overall deadline of one store operation (all its commands, retries and redirects), in ms. */
  redis_command_timeout_ms: key(int(10, 60_000), 500, RUNTIME),
  /** Namespaces the store may hold; 0: no cap. */
  max_namespaces: key(int(0, 1_000_000), 100, RUNTIME),
  /** Experiments one namespace may hold; 0: no cap. */
  max_experiments_per_namespace: key(int(0, 1_000_000), 1000, RUNTIME),
  /** Variants one experiment may have; 0: no cap. */
  max_variants_per_experiment: key(int(0, 1000), 10, RUNTIME),
  /** Goals (events other than participate) one experiment may have; 0: no cap. */
  max_goals_per_experiment: key(int(0, 1000), 20, RUNTIME),
  /** Longest namespace, experiment, variant, event or uuid, in characters. */
  max_name_length: key(int(1, 1024), 128, RUNTIME),
  /** When a list, only these experiments are tracked. */
  allowed_experiments: key(nullable(strList), null, RUNTIME),
  /**
   * Requests whose user agent this regular expression finds (case-insensitive, first 512
   * characters) are answered but not counted; null: none. Default: Sixpack's robot pattern.
   * A repeated group that holds a repetition (`(a+)+`: exponential backtracking) is refused.
   */
  bot_user_agent_pattern: key(nullable(regExp(botRegExp, backtrackingRisk)), SIXPACK_BOT_PATTERN, RUNTIME),
  /** Addresses and CIDR ranges (IPv4, IPv6) whose requests are answered but not counted. */
  ignored_ips: key(ipList(parseRange), [], RUNTIME),
  /** Key of the admin routes; deploy creates one when null, `abtest dev` makes one per session. */
  api_key: key(nullable(str(/^[\x21-\x7e]{20,128}$/, '20 to 128 printable characters')), null),
  /** API Gateway stage. */
  stage: key(str(/^[A-Za-z0-9_]{1,128}$/, 'letters, digits and _'), 'prod'),
  /** Prefix of every AWS resource name deploy makes. */
  app_name: key(str(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'a name of letters, digits, - and _ (at most 40)'), 'abtest'),
  /** AWS region; null: the SDK's default chain. */
  region: key(nullable(str(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1')), null),
  /** AWS named profile; null: the SDK's default chain. */
  profile: key(nullable(str()), null),
  /** Lambda runtime: one of `LAMBDA_RUNTIMES` (./checks.ts), which AWS still supports. */
  runtime: key(runtime, 'nodejs24.x'),
  /** Subnets and security groups, for a Redis inside a VPC. */
  vpc: key(nullable(object({ subnet_ids: strList, security_group_ids: strList })), null),
  /** Throttle of every method of the stage (`/track` included), and of each API key's usage plan. */
  throttle: key(object({ rate_limit: int(1, 1_000_000), burst_limit: int(1, 1_000_000) }), {
    rate_limit: 100,
    burst_limit: 200,
  }),
  /** Functions and routes added to wiring.json. */
  extra_wiring: key(nullable(wiringShape), null),
};

type Schema = typeof SCHEMA;

/** The whole validated configuration: one field per key of the schema, with its doc. */
export type Config = { [K in keyof Schema]: Schema[K] extends Key<infer T> ? T : never };

/** Every config key, in the schema's order (that of config.example.json and the README). */
export const CONFIG_KEYS = Object.keys(SCHEMA) as (keyof Config)[];

/** The default of every key. */
export const DEFAULTS = Object.fromEntries(CONFIG_KEYS.map((k) => [k, SCHEMA[k].default])) as Config;

/** Keys the handlers use at run time. */
export const RUNTIME_KEYS = CONFIG_KEYS.filter((k) => SCHEMA[k].runtime);

/**
 * Validates a partial configuration (from a file and/or the environment) and fills defaults.
 * Unknown keys are errors: a typo must not become a silent default.
 * @param source where the object came from, for error messages (a file path, a flag or "environment")
 */
export function validateConfig(input: unknown, source = 'config'): Config {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('', `${source} must hold a JSON object of config keys`);
  }
  const out = { ...DEFAULTS } as Record<string, unknown>;
  for (const [name, value] of Object.entries(input)) {
    if (!Object.hasOwn(SCHEMA, name)) {
      const near = CONFIG_KEYS.find((k) => k.replace(/_/g, '') === name.toLowerCase().replace(/[_-]/g, ''));
      const guess = near ? ` (did you mean "${near}"?)` : '';
      const message = `${source}: unknown config key "${name}"${guess}`;
      throw new ConfigError(name, message, 'see config.example.json for every key');
    }
    if (value === undefined) continue;
    try {
      out[name] = SCHEMA[name as keyof Config].check(value, name);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const hint = source.startsWith('--') ? `pass a corrected ${source}` : e.hint;
      throw new ConfigError(e.key, `${source}: ${e.message}`, hint, e);
    }
  }
  return out as Config;
}

/** The one `ABTEST_*` variable that is not a config key: the path of the config file. */
export const CONFIG_FILE_VAR = 'ABTEST_CONFIG';

/**
 * The `ABTEST_*` variables that name config keys, each read as its key's check says (numbers,
 * booleans, lists, JSON objects); unknown `ABTEST_*` names are errors.
 */
export function envOverrides(env: NodeJS.ProcessEnv): Partial<Config> {
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('ABTEST_') || text === undefined || name === CONFIG_FILE_VAR) continue;
    const k = name.slice(7).toLowerCase() as keyof Config;
    if (!Object.hasOwn(SCHEMA, k)) {
      const hint = `the ABTEST_* variables are: ${CONFIG_KEYS.map(envName).join(', ')}`;
      throw new ConfigError(name, `unknown environment variable ${name}`, hint);
    }
    const { fromEnv } = SCHEMA[k].check;
    out[k] = fromEnv ? fromEnv(text, k) : text;
  }
  return out as Partial<Config>;
}

/** The configuration of a Lambda container: its environment only (deploy writes it there). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  return validateConfig(envOverrides(env), 'environment');
}

/**
 * The environment variables that carry `config` into a Lambda function or a bundle that
 * `abtest dev` loads: only runtime keys, and only those that differ from their default.
 */
export function configToEnv(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of RUNTIME_KEYS) {
    const value = k === 'redis_tls_ca' && config.redis_tls_ca ? tlsCaText(config.redis_tls_ca) : config[k];
    if (JSON.stringify(value) === JSON.stringify(DEFAULTS[k])) continue;
    out[envName(k)] = value === null ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

/**
 * The PEM text of `redis_tls_ca`: a Lambda has no file of the operator's machine, so a path is
 * read here and its text travels in the environment (Lambda allows 4 KB of variables in all).
 */
export function tlsCaText(value: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return fs.readFileSync(value, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return fail('redis_tls_ca', `names a file that cannot be read (${code}): ${value}`);
  }
}
