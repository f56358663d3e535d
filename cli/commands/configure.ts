import fs from 'node:fs';
import path from 'node:path';
import { validateConfig, type Config, type Counting } from '../../src/config';
import { defaultConfigPath } from '../config-file';
import { ConfigError } from '../../src/errors';
import type { CommandDeps } from '../command';
import type { GlobalOptions } from '../context';
import { pingRedisUrl } from '../deploy/redis-ping';
import type { Prompter } from '../prompter';

/** Every answer of `abtest configure` as a flag. */
export interface ConfigureOptions extends GlobalOptions {
  /** Ask nothing: flags, else the current values. @default false */
  yes?: boolean;
  redisUrl?: string;
  region?: string;
  profile?: string;
  namespace?: string;
  counting?: Counting;
  stage?: string;
  corsOrigin?: string;
  /** Comma-separated subnet ids of a VPC Redis (with `securityGroupIds`). */
  subnetIds?: string;
  securityGroupIds?: string;
  /** `false` (`--no-vpc`) removes a configured VPC. */
  vpc?: boolean;
  rateLimit?: number;
  burstLimit?: number;
}

/** `prompter` asks the questions; it is needed unless `yes` (the CLI passes one only on a terminal). */
export interface ConfigureDeps extends CommandDeps {
  ping?: typeof pingRedisUrl;
  home?: string;
}

export interface ConfigureResult {
  path: string;
  config: Config;
}

/**
 * `abtest configure`: asks for the deploy settings with the current values as defaults (or
 * takes them from flags with `yes`), tests the Redis URL with PING, and writes the config
 * file with mode 0600 since it holds secrets. Keys it does not ask about are kept.
 * Without `yes` and without a prompter (no terminal) it refuses rather than guess.
 */
export async function run(opts: ConfigureOptions, deps: ConfigureDeps = {}): Promise<ConfigureResult> {
  const env = deps.env ?? process.env;
  const file = path.resolve(opts.config ?? defaultConfigPath(deps.home));
  const raw = readRaw(file);
  const current = validateConfig(raw, file);
  const ping = deps.ping ?? pingRedisUrl;
  if (!opts.yes && !deps.prompter) {
    throw new ConfigError(
      '--yes',
      'abtest configure asks questions and there is no terminal to ask them in',
      'run it in a terminal, or pass --yes with the answers as flags',
    );
  }
  if (opts.vpc === false && (opts.subnetIds !== undefined || opts.securityGroupIds !== undefined)) {
    const flag = opts.subnetIds !== undefined ? '--subnet-ids' : '--security-group-ids';
    throw new ConfigError(
      flag,
      `${flag} contradicts --no-vpc: subnets and security groups are those of a VPC`,
      `pass ${flag} without --no-vpc, or --no-vpc alone`,
    );
  }
  const p = opts.yes ? null : deps.prompter!;
  const check = (key: keyof Config, value: unknown): string | true => {
    try {
      // A throttle answer is one number; it is checked as both limits.
      validateConfig({ [key]: key === 'throttle' ? { rate_limit: value, burst_limit: value } : value }, 'answer');
      return true;
    } catch (e) {
      return (e as Error).message.replace(/^answer: /, '');
    }
  };
  const text = async (
    key: keyof Config,
    flag: string | undefined,
    message: string,
    def: string,
    toValue: (s: string) => unknown = (s) => s,
  ) => {
    if (flag !== undefined || !p) {
      const value = toValue(flag ?? def);
      const ok = check(key, value);
      if (ok === true) return value;
      // A flag's value is refused naming the flag; a value kept from the file was checked above.
      const name = flag === undefined ? key : `--${key.replace(/_/g, '-')}`;
      const message = flag === undefined ? ok : ok.replace(`config key "${key}"`, name);
      throw new ConfigError(name, message, `pass a valid ${name}`);
    }
    return toValue(await p.input({ name: key, message, default: def, validate: (s) => check(key, toValue(s)) }));
  };

  const redisCheck = async (url: string): Promise<string | true> => {
    const syntax = check('redis_url', url);
    if (syntax !== true) return syntax;
    const reason = await ping(url, current);
    return reason ? `${reason} (fix it, or configure a VPC if Redis is inside one)` : true;
  };
  let redis_url: string;
  if (opts.redisUrl !== undefined || !p) {
    redis_url = opts.redisUrl ?? current.redis_url ?? '';
    const ok = redis_url ? await redisCheck(redis_url) : 'a Redis URL is needed: pass --redis-url redis://host:6379';
    if (ok !== true)
      throw new ConfigError('redis_url', `Redis URL refused: ${ok}`, 'pass a Redis URL that answers PING from here');
  } else {
    redis_url = await p.input({
      name: 'redis_url',
      message: 'Redis URL (redis:// or rediss:// for TLS)',
      default: current.redis_url ?? undefined,
      validate: redisCheck,
    });
  }
  const region = await text(
    'region',
    opts.region,
    'AWS region',
    current.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
  );
  const profile = await text(
    'profile',
    opts.profile,
    'AWS profile (empty: the default credential chain)',
    current.profile ?? '',
    (s) => s.trim() || null,
  );
  const namespace = await text('namespace', opts.namespace, 'Namespace of your experiments', current.namespace);
  const counting =
    opts.counting !== undefined || !p
      ? await text('counting', opts.counting, '', current.counting)
      : await p.select({
          name: 'counting',
          message: 'Counting mode',
          default: current.counting,
          choices: [
            { value: 'hll', name: 'hll: HyperLogLog, 12 KB per counter, ~0.81% error' },
            { value: 'exact', name: 'exact: exact sets, memory grows with visitors' },
          ],
        });
  const stage = await text('stage', opts.stage, 'API Gateway stage', current.stage);
  const cors_origin = await text(
    'cors_origin',
    opts.corsOrigin,
    'CORS origin allowed to call the API (* for any)',
    current.cors_origin,
  );
  const vpc = await askVpc(opts, current, p, check);
  const of = '(throttle of the stage and of the API key)';
  const rate_limit = await text(
    'throttle',
    opts.rateLimit?.toString(),
    `Requests per second ${of}`,
    String(current.throttle.rate_limit),
    Number,
  );
  const burst_limit = await text(
    'throttle',
    opts.burstLimit?.toString(),
    `Burst of requests ${of}`,
    String(current.throttle.burst_limit),
    Number,
  );

  const next = {
    ...raw,
    redis_url,
    region,
    profile,
    namespace,
    counting,
    stage,
    cors_origin,
    vpc,
    throttle: { rate_limit, burst_limit },
  };
  const config = validateConfig(next, file);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return { path: file, config };
}

async function askVpc(
  opts: ConfigureOptions,
  current: Config,
  p: Prompter | null,
  check: (k: keyof Config, v: unknown) => string | true,
): Promise<Config['vpc']> {
  const list = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  if (opts.vpc === false) return null;
  let subnets = opts.subnetIds !== undefined ? list(opts.subnetIds) : null;
  let groups = opts.securityGroupIds !== undefined ? list(opts.securityGroupIds) : null;
  if (!p || subnets || groups) {
    if (!subnets && !groups) return current.vpc;
    const vpc = {
      subnet_ids: subnets ?? current.vpc?.subnet_ids ?? [],
      security_group_ids: groups ?? current.vpc?.security_group_ids ?? [],
    };
    const ok = check('vpc', vpc);
    if (ok !== true || !vpc.subnet_ids.length || !vpc.security_group_ids.length)
      throw new ConfigError(
        'vpc',
        'a VPC needs --subnet-ids and --security-group-ids (comma-separated)',
        'pass both, or --no-vpc',
      );
    return vpc;
  }
  if (
    !(await p.confirm({
      name: 'vpc',
      message: 'Is Redis inside a VPC (ElastiCache), so the functions must run in it?',
      default: current.vpc !== null,
    }))
  )
    return null;
  const nonEmpty = (s: string) => (list(s).length ? true : 'give at least one id');
  subnets = list(
    await p.input({
      name: 'subnet_ids',
      message: 'Subnet ids (comma-separated)',
      default: current.vpc?.subnet_ids.join(',') ?? '',
      validate: nonEmpty,
    }),
  );
  groups = list(
    await p.input({
      name: 'security_group_ids',
      message: 'Security group ids (comma-separated)',
      default: current.vpc?.security_group_ids.join(',') ?? '',
      validate: nonEmpty,
    }),
  );
  return { subnet_ids: subnets, security_group_ids: groups };
}

function readRaw(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError('--config', `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      '--config',
      `${file} is not valid JSON: ${(e as Error).message}`,
      'fix it or remove it, then run abtest configure again',
    );
  }
}

/** What `abtest configure` prints: where the config went, and what to run next. */
export function format(r: ConfigureResult): string[] {
  return [`✔ wrote ${r.path} (mode 0600: it holds the Redis password)`, '  next: abtest preflight, then abtest deploy'];
}
