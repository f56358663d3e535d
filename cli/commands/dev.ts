import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { Wiring } from '../../src/config';
import { redactUrl } from '../../src/redact';
import { commandConfig, loadWiring, type GlobalOptions } from '../context';
import { devAddress } from '../dev/address';
import { hasRedisServer, pingRedis, startRedisServer, type PrivateRedis } from '../dev/redis-server';
import { devPages } from '../dev/pages';
import type { Page } from '../dev/server';
import { packageRoot } from '../paths';
import { checkRedis, startGateway } from '../serve/gateway';
import { validateConfig, type Config } from '../../src/config';

export interface DevOptions extends GlobalOptions {
  port?: number;
  host?: string;
  redisUrl?: string;
  /** Rebuild the Lambda bundles before serving. @default false (built only when missing) */
  build?: boolean;
  /** Serve /dashboard (it holds the API key) whatever the Host header says. @default false */
  exposeDashboard?: boolean;
  /** `json`: one JSON line per request on stdout. @default no request log */
  log?: 'json';
}

export interface DevResult {
  /** `host:port` as bound. */
  listen: string;
  /** The URL to use from other machines when `network`, else the loopback one. */
  url: string;
  /** Whether it listens beyond loopback. */
  network: boolean;
  /** Whether /dashboard hands the API key to any host name (`--expose-dashboard`). */
  dashboardExposed: boolean;
  trackUrl: string;
  experimentsUrl: string;
  dashboardUrl: string | null;
  apiKey: string;
  apiKeyGenerated: boolean;
  /** The Redis URL with its password hidden. */
  redisUrl: string;
  /** How the Redis was found: configured, private (started here), or local (127.0.0.1:6379). */
  redis: 'configured' | 'private' | 'local';
  configPath: string | null;
  /** Every wired route, by path (in wiring order), for the banner. */
  routes: DevRoute[];
  server: http.Server;
  stop(): Promise<void>;
}

/** A path of the wiring: its methods, and whether they take the API key. */
export interface DevRoute {
  path: string;
  methods: string[];
  apiKey: boolean;
}

/** The wiring's routes by path and API key, in wiring order. */
export function devRoutes(wiring: Wiring): DevRoute[] {
  const out: DevRoute[] = [];
  for (const r of wiring.routes) {
    const apiKey = r.apiKeyRequired === true;
    const same = out.find((o) => o.path === r.path && o.apiKey === apiKey);
    if (same) same.methods.push(r.method);
    else out.push({ path: r.path, methods: [r.method], apiKey });
  }
  return out;
}

/**
 * `abtest dev`: serves the wired routes on localhost by calling the built Lambda bundles
 * with API Gateway proxy events, plus the demo page and the dashboard. With no Redis
 * configured it starts a private redis-server and stops it on `stop()`.
 */
export async function run(opts: DevOptions, deps: { env?: NodeJS.ProcessEnv } = {}): Promise<DevResult> {
  // The bundles run in this process and read their config from its environment, as in Lambda:
  // the one command that writes `env` (process.env unless a test gives its own).
  const env = deps.env ?? process.env;
  const { config: loaded, path: configPath } = commandConfig(opts, env);
  const root = packageRoot();
  const wiring = loadWiring(loaded);

  let privateRedis: PrivateRedis | null = null;
  let redis: DevResult['redis'] = 'configured';
  let redisUrl = opts.redisUrl
    ? validateConfig({ ...loaded, redis_url: opts.redisUrl }, '--redis-url').redis_url
    : loaded.redis_url;
  if (redisUrl) {
    const source = opts.redisUrl ? '--redis-url' : '--redis-url (or fix redis_url in the config)';
    await checkRedis({ ...loaded, redis_url: redisUrl }, source);
  } else {
    if (!hasRedisServer() && (await pingRedis('127.0.0.1', 6379))) {
      redisUrl = 'redis://127.0.0.1:6379';
      redis = 'local';
    } else {
      privateRedis = await startRedisServer();
      redisUrl = privateRedis.url;
      redis = 'private';
    }
  }
  const apiKeyGenerated = !loaded.api_key;
  const config: Config = { ...loaded, redis_url: redisUrl, api_key: loaded.api_key ?? randomBytes(20).toString('hex') };

  try {
    const pages: Record<string, Page> = devPages({ config, wiring, root });
    const gateway = await startGateway({
      config,
      wiring,
      root,
      env,
      port: opts.port ?? 8787,
      host: opts.host ?? '127.0.0.1',
      build: opts.build,
      pages,
      exposeLocalPages: opts.exposeDashboard,
      log: opts.log === 'json' ? (line) => process.stdout.write(line) : undefined,
    });
    const server = gateway.server;
    const { listen, url, localUrl, network } = devAddress(gateway.address);
    const dashboardBase = opts.exposeDashboard ? url : localUrl;
    return {
      listen,
      url,
      network,
      dashboardExposed: !!opts.exposeDashboard,
      trackUrl: `${url}/track`,
      experimentsUrl: `${url}/experiments`,
      dashboardUrl: pages['/dashboard'] && dashboardBase ? `${dashboardBase}/dashboard` : null,
      apiKey: config.api_key!,
      apiKeyGenerated,
      redisUrl: redactUrl(redisUrl),
      redis,
      configPath,
      routes: devRoutes(wiring),
      server,
      stop: async () => {
        // In-flight requests are answered (a second of grace: dev), then Redis goes.
        await gateway.stop(1000);
        await privateRedis?.stop();
      },
    };
  } catch (e) {
    await privateRedis?.stop();
    throw e;
  }
}

/** The banner `abtest dev` prints once it serves: its URLs, the API key, where Redis is. */
export function format(r: DevResult): string[] {
  const lines = [`abtest dev: serving the Lambda bundles on ${r.url}${r.network ? ` (listening on ${r.listen})` : ''}`];
  lines.push(`  track        ${r.trackUrl}`);
  const made = r.apiKeyGenerated ? ', made for this session' : '';
  lines.push(`  experiments  ${r.experimentsUrl}   (x-api-key: ${r.apiKey}${made})`);
  const others = r.routes.filter((x) => x.path !== '/track' && x.path !== '/experiments');
  const show = (x: DevRoute) => `${x.methods.join('|')} ${x.path}`;
  const keyed = others.filter((x) => x.apiKey).map(show);
  const open = others.filter((x) => !x.apiKey).map(show);
  if (keyed.length > 0) lines.push(...wrapped('  admin        ', keyed, '(x-api-key)'));
  if (open.length > 0) lines.push(...wrapped('  public       ', open, ''));
  if (r.dashboardUrl) lines.push(`  dashboard    ${r.dashboardUrl}`);
  lines.push(`  demo page    ${r.url}/`);
  const where = {
    private: 'private redis-server, removed on exit',
    local: 'the local one on 6379',
    configured: 'configured',
  };
  lines.push(`  redis        ${r.redisUrl} (${where[r.redis]})`);
  if (r.dashboardExposed) {
    lines.push(`⚠ /dashboard hands the API key to anyone who can load it${r.network ? ` at ${r.url}` : ''}`);
  } else if (r.network) {
    lines.push(
      '  /dashboard holds the API key: served only to localhost (--expose-dashboard serves it to any host name)',
    );
  }
  lines.push('Press Ctrl-C to stop.');
  return lines;
}

/** `items` after `head`, separated by commas, in lines of at most 100 characters, then `tail`. */
function wrapped(head: string, items: string[], tail: string): string[] {
  const texts = items.map((item, i) => (i < items.length - 1 ? `${item},` : tail ? `${item}   ${tail}` : item));
  const lines = [head + texts[0]];
  for (const text of texts.slice(1)) {
    const last = lines.length - 1;
    if (lines[last].length + text.length + 1 > 100) lines.push(' '.repeat(head.length) + text);
    else lines[last] += ` ${text}`;
  }
  return lines;
}
