import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { Config } from '../config';
import { AbtestError, UnavailableError } from '../errors';

export type RedisClient = Redis | Cluster;

/**
 * Creates the one Redis client of a process (a Lambda container, `abtest dev`). It connects
 * lazily, times out connects and commands as configured, never queues a command longer than
 * the command timeout, and keeps reconnecting in the background, so that a Redis that comes
 * back needs no restart.
 */
export function createRedis(config: Config): RedisClient {
  if (!config.redis_url) {
    throw new AbtestError('config', 'no Redis is configured', {
      hint: 'set redis_url in the config file or ABTEST_REDIS_URL (abtest configure asks for it)',
    });
  }
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: config.redis_connect_timeout_ms,
    commandTimeout: config.redis_command_timeout_ms,
    maxRetriesPerRequest: 0,
    disconnectTimeout: 200,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
  };
  if (!config.redis_cluster) return new Redis(config.redis_url, options);
  const url = new URL(config.redis_url);
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
    enableAutoPipelining: true,
    slotsRefreshTimeout: config.redis_connect_timeout_ms,
    clusterRetryStrategy: options.retryStrategy,
    // ElastiCache's TLS certificates name the configuration endpoint, not the node IPs.
    dnsLookup: (address, callback) => callback(null, address),
    redisOptions: {
      ...options,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      tls: url.protocol === 'rediss:' ? { servername: url.hostname } : undefined,
    },
  });
}

/**
 * Runs a store operation and turns a Redis that is down, unreachable or too slow into an
 * {@link UnavailableError} (503). Errors Redis itself answered with stay what they are.
 */
export async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof AbtestError) throw e;
    const name = (e as Error)?.name ?? '';
    if (name === 'ReplyError' && !/^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY)/.test((e as Error).message)) throw e;
    throw new UnavailableError(`the Redis store is unavailable: ${(e as Error)?.message ?? e}`, e);
  }
}
