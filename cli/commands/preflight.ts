import type { Wiring } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { commandConfig, loadWiring } from '../context';
import { buildZips, type Zips } from '../deploy/desired';
import { pingRedisUrl } from '../deploy/redis-ping';
import { openSession, type AwsCommandOptions, type AwsDeps } from '../deploy/session';
import { explain } from '../explain';
import { packageRoot } from '../paths';

/** One preflight check: ok, a warning (deploy may still work), or a failure with its fix. */
export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

export type PreflightOptions = AwsCommandOptions;

/** Every check, and whether none failed (the CLI exits with 1 when one did). */
export interface PreflightResult {
  checks: Check[];
  ok: boolean;
}

export interface PreflightDeps extends AwsDeps {
  ping?: typeof pingRedisUrl;
  buildZips?: (wiring: Wiring) => Promise<Zips>;
}

/**
 * `abtest preflight`: checks what deploy needs — AWS credentials and region, Redis answering
 * PING from here, the bundles building — and says how to fix each failure. `ok` is false
 * when any check failed.
 */
export async function run(opts: PreflightOptions, deps: PreflightDeps = {}): Promise<PreflightResult> {
  const { config } = commandConfig(opts, deps.env);
  const checks: Check[] = [];
  try {
    const session = await openSession(opts, config, deps);
    checks.push({ name: 'AWS region', status: 'ok', detail: session.ctx.aws.region });
    checks.push({
      name: 'AWS credentials',
      status: 'ok',
      detail: `account ${session.accountId} as ${session.identity}`,
    });
  } catch (e) {
    const { message, hint } = explain(e);
    const regionFailed = e instanceof ConfigError && e.key === 'region';
    checks.push({
      name: 'AWS region',
      status: regionFailed ? 'fail' : 'ok',
      detail: regionFailed ? message : 'set',
      fix: regionFailed ? hint : undefined,
    });
    checks.push({
      name: 'AWS credentials',
      status: 'fail',
      detail: regionFailed ? 'not checked without a region' : message,
      fix: regionFailed ? 'fix the region first' : hint,
    });
  }
  if (!config.redis_url) {
    checks.push({
      name: 'Redis',
      status: 'fail',
      detail: 'no Redis is configured',
      fix: 'run abtest configure, or set ABTEST_REDIS_URL',
    });
  } else {
    const reason = await (deps.ping ?? pingRedisUrl)(config.redis_url, config);
    if (!reason) checks.push({ name: 'Redis', status: 'ok', detail: `${new URL(config.redis_url).host} answers PING` });
    else if (config.vpc)
      checks.push({
        name: 'Redis',
        status: 'warn',
        detail: `${reason} (expected from outside its VPC)`,
        fix: 'the functions run inside the configured VPC; check its subnets and security groups',
      });
    else
      checks.push({
        name: 'Redis',
        status: 'fail',
        detail: reason,
        fix: 'the functions reach Redis the same way: make it reachable from the internet (TLS and a password), or configure a VPC with abtest configure',
      });
  }
  try {
    const zips = await (deps.buildZips ?? ((w) => buildZips(w, packageRoot())))(loadWiring(config));
    const kb = Object.values(zips).reduce((n, z) => n + z.zip.length, 0) / 1024;
    const n = Object.keys(zips).length;
    checks.push({
      name: 'bundles',
      status: 'ok',
      detail: `${n} function${n === 1 ? '' : 's'}, ${kb.toFixed(1)} KB zipped`,
    });
  } catch (e) {
    checks.push({
      name: 'bundles',
      status: 'fail',
      detail: explain(e).message,
      fix: 'fix the error above, then run abtest build',
    });
  }
  return { checks, ok: checks.every((c) => c.status !== 'fail') };
}

const MARK = { ok: '✔', warn: '!', fail: '✖' } as const;

/** What `abtest preflight` prints: one line per check, with the fix under each that is not ok. */
export function format(r: PreflightResult): string[] {
  return r.checks.flatMap((c) => [
    `${MARK[c.status]} ${c.name}: ${c.detail}`,
    ...(c.fix && c.status !== 'ok' ? [`  fix: ${c.fix}`] : []),
  ]);
}
