import cluster from 'node:cluster';
import os from 'node:os';
import { validateConfig, type Config } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { redactUrl } from '../../src/redact';
import type { CommandDeps } from '../command';
import { commandConfig, loadWiring, type GlobalOptions } from '../context';
import { devAddress } from '../dev/address';
import { explain } from '../explain';
import { packageRoot } from '../paths';
import { startPrimary, type PrimaryMessage, type WorkerMessage } from '../serve/cluster';
import { checkRedis, ensureBundles, startGateway } from '../serve/gateway';

export interface ServeOptions extends GlobalOptions {
  /** @default 8787 */
  port?: number;
  /** @default 127.0.0.1 */
  host?: string;
  redisUrl?: string;
  /** The key of the admin routes (else config `api_key`). */
  apiKey?: string;
  /** Worker processes sharing the port. @default one per core */
  workers?: number;
  /** `json`: one JSON line per request on stdout. @default no request log */
  log?: 'json';
  /** Read the client address from `X-Forwarded-For` (one proxy in front). @default false */
  trustProxy?: boolean;
  /** Seconds a stop waits for accepted requests before cutting them. @default 10 */
  drainTimeout?: number;
  /** Rebuild the Lambda bundles first. @default false (built only when missing) */
  build?: boolean;
}

export interface ServeResult {
  /** The primary supervises the workers; a worker serves. Only the primary prints. */
  role: 'primary' | 'worker';
  listen: string;
  url: string;
  network: boolean;
  workers: number;
  redisUrl: string;
  log: boolean;
  trustProxy: boolean;
  /** Starts a graceful stop (drain); a second call forces it. Resolves with the exit code. */
  stop(): Promise<number>;
  /** Resolves with the exit code once the server has stopped, whoever stopped it. */
  done: Promise<number>;
}

/** What serve requires, each from its flag or its config key: a Redis and an API key. */
const REQUIRED = [
  { key: 'redis_url', flag: '--redis-url', option: 'redisUrl', what: 'a Redis' },
  { key: 'api_key', flag: '--api-key', option: 'apiKey', what: 'an API key for the admin routes' },
] as const;

/** The config `serve` runs with: the flags over the config; a Redis and an API key are required. */
function serveConfig(opts: ServeOptions, env: NodeJS.ProcessEnv): Config {
  let config = commandConfig(opts, env).config;
  for (const { key, flag, option, what } of REQUIRED) {
    if (opts[option]) config = validateConfig({ ...config, [key]: opts[option] }, flag);
    if (!config[key]) {
      const hint = `pass ${flag} or set ${key} in the config (or ABTEST_${key.toUpperCase()})`;
      throw new ConfigError(key, `abtest serve needs ${what}: no ${key} is configured`, hint);
    }
  }
  return config;
}

/**
 * `abtest serve`: the wired routes for production on your own machines. The primary checks the
 * config and Redis, builds missing bundles, and forks `workers` processes that share the port
 * (node:cluster re-runs this command in each); a dead worker is replaced; a stop drains them.
 */
export async function run(opts: ServeOptions, deps: CommandDeps = {}): Promise<ServeResult> {
  const env = deps.env ?? process.env;
  const config = serveConfig(opts, env);
  const wiring = loadWiring(config);
  const root = packageRoot();
  const drainMs = (opts.drainTimeout ?? 10) * 1000;
  const common = {
    redisUrl: redactUrl(config.redis_url!),
    log: opts.log === 'json',
    trustProxy: !!opts.trustProxy,
  };
  if (cluster.isWorker) return worker(opts, { config, wiring, root, env, drainMs }, common);

  await checkRedis(config, opts.redisUrl ? '--redis-url' : '--redis-url (or fix redis_url in the config)');
  await ensureBundles(wiring, root, opts.build);
  const count = opts.workers ?? os.availableParallelism();
  const primary = await startPrimary({ count, env, drainMs, warn: (line) => process.stderr.write(`${line}\n`) });
  const { listen, url, network } = devAddress(primary.address);
  return {
    role: 'primary',
    listen,
    url,
    network,
    workers: count,
    ...common,
    stop: () => primary.stop(),
    done: primary.done,
  };
}

/** One worker: serves until the primary (or a signal) says drain, then exits. */
async function worker(
  opts: ServeOptions,
  ctx: { config: Config; wiring: ReturnType<typeof loadWiring>; root: string; env: NodeJS.ProcessEnv; drainMs: number },
  common: Pick<ServeResult, 'redisUrl' | 'log' | 'trustProxy'>,
): Promise<ServeResult> {
  const gateway = await startGateway({
    ...ctx,
    port: opts.port ?? 8787,
    host: opts.host ?? '127.0.0.1',
    log: opts.log === 'json' ? (line) => process.stdout.write(line) : undefined,
    trustProxy: opts.trustProxy,
  }).catch((e: unknown) => {
    const { message, hint } = explain(e);
    process.send?.({ abtest: 'failed', message, hint } satisfies WorkerMessage);
    throw e;
  });
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let draining = false;
  const drain = (ms: number) => {
    if (draining) return;
    draining = true;
    gateway.stop(ms).then((clean) => resolveDone(clean ? 0 : 1));
  };
  // The primary says drain (it got SIGTERM); a Ctrl-C in a terminal reaches the workers too.
  process.on('message', (m: PrimaryMessage) => m?.abtest === 'drain' && drain(m.ms));
  let stops = 0;
  const stop = (): Promise<number> => {
    if (++stops === 1) drain(ctx.drainMs);
    else {
      // A second signal: cut what is left.
      gateway.server.closeAllConnections();
      resolveDone(1);
    }
    return done;
  };
  // A worker prints nothing: its address is the primary's.
  return { role: 'worker', ...devAddress(gateway.address), workers: 1, ...common, stop, done };
}

/** The banner of the primary (workers print nothing but their request log). */
export function format(r: ServeResult): string[] {
  if (r.role === 'worker') return [];
  const lines = [
    `abtest serve: listening on ${r.url}${r.network ? ` (bound to ${r.listen})` : ''} with ${r.workers} worker${r.workers === 1 ? '' : 's'}`,
  ];
  lines.push(`  track        ${r.url}/track`);
  lines.push(`  experiments  ${r.url}/experiments   (x-api-key: the configured api_key)`);
  lines.push(`  redis        ${r.redisUrl}`);
  if (r.log) lines.push('  log          one JSON line per request on stdout');
  if (r.trustProxy) lines.push('  client address from the last X-Forwarded-For entry (--trust-proxy)');
  lines.push('SIGTERM or Ctrl-C drains in-flight requests, then stops.');
  return lines;
}
