import { createHash } from 'node:crypto';
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { tlsCaText, type Config } from '../config';
import { AbtestError, ConfigError, UnavailableError } from '../errors';
import { RespClient } from './resp';
import { sentence } from './unavailable';

export type RedisClient = Redis | Cluster;

/** What runs the hot path's scripts: the lean client of a standalone Redis, else ioredis itself. */
export type HotClient = RedisClient | RespClient;

/** The last error each client reported: why "Connection is closed" (a TLS or auth failure). */
const lastErrors = new WeakMap<HotClient, unknown>();

/** Clients that have been ready once: later operations get no extra time to connect. */
const everReady = new WeakSet<HotClient>();

/** A standalone client made by {@link createRedis}: ioredis plus the lean connection of the hot path. */
class HotRedis extends Redis {
  constructor(
    url: string,
    options: RedisOptions,
    readonly hot: RespClient,
  ) {
    super(url, options);
  }

  /** Closes the lean connection too (unless only reconnecting), at once, as ioredis closes its own. */
  override disconnect(reconnect = false): void {
    if (!reconnect) this.hot.close();
    super.disconnect(reconnect);
  }
}

/** Reconnect delays after a drop: 100 ms doubling up to 1 s. */
const retryDelay = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1000);

/**
 * Creates the one Redis client of a process (a Lambda container, `abtest dev`). It connects
 * lazily, times out connects and commands as configured, never queues a command longer than
 * the command timeout, and keeps reconnecting in the background, so that a Redis that comes
 * back needs no restart. Its errors are logged as one line each time they change. A standalone
 * Redis also gets a lean connection for the hot path's scripts ({@link hotClient}, same URL,
 * TLS and database), closed by the client's `disconnect()`.
 */
export function createRedis(config: Config): RedisClient {
  if (!config.redis_url) {
    throw new AbtestError('config', 'no Redis is configured', {
      hint: 'set redis_url in the config file or ABTEST_REDIS_URL (abtest configure asks for it)',
    });
  }
  const url = new URL(config.redis_url);
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: config.redis_connect_timeout_ms,
    commandTimeout: config.redis_command_timeout_ms,
    maxRetriesPerRequest: 0,
    disconnectTimeout: 200,
    enableAutoPipelining: true,
    retryStrategy: retryDelay,
    tls: url.protocol === 'rediss:' ? tlsOptions(url, config) : undefined,
  };
  let client: RedisClient;
  let last = '';
  const failed = (of: HotClient) => (e: unknown) => {
    lastErrors.set(of, e);
    const text = sentence(e, config);
    if (text !== last) console.warn(JSON.stringify({ level: 'warn', message: (last = text) }));
  };
  const ready = (of: HotClient) => () => {
    last = '';
    lastErrors.delete(of);
    // Redis was reached once: neither connection gets the connect timeout added again.
    everReady.add(client);
    if (client instanceof HotRedis) everReady.add(client.hot);
  };
  if (config.redis_cluster) client = createCluster(url, config, options);
  else {
    const hot: RespClient = new RespClient({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 6379),
      tls: options.tls,
      ...credentials(url),
      db: dbIndex(config),
      connectTimeoutMs: config.redis_connect_timeout_ms,
      retryDelay,
      onError: (e) => failed(hot)(e),
      onReady: () => ready(hot)(),
    });
    client = new HotRedis(config.redis_url, options, hot);
  }
  client.on('error', failed(client));
  client.on('ready', ready(client));
  return client;
}

/** The client that runs the hot path's scripts for `redis` (its lean connection, if it has one). */
export const hotClient = (redis: RedisClient): HotClient => (redis instanceof HotRedis ? redis.hot : redis);

/** A Lua script of the store; `T` is what it answers. */
export interface Script<T> {
  keys: number;
  lua: string;
  sha: string;
  /** Only carries `T`. */
  answer?: T;
}

/** A script taking `keys` keys (the first arguments of each call). */
export const script = <T>(keys: number, lua: string): Script<T> => ({
  keys,
  lua,
  sha: createHash('sha1').update(lua).digest('hex'),
});

/** Runs `s` by its SHA1 with `args` (its keys, then its ARGV), sending its text when Redis lacks it (NOSCRIPT). */
export function runScript<T>(client: HotClient, s: Script<T>, args: readonly string[]): Promise<T> {
  return send(client, 'evalsha', s.sha, s, args).catch((e: Error) => {
    if (!/^NOSCRIPT/.test(e.message)) throw e;
    return send(client, 'eval', s.lua, s, args);
  }) as Promise<T>;
}

/** EVALSHA or EVAL (`first` is the SHA1 or the text) on either kind of client. */
function send(
  client: HotClient,
  command: 'evalsha' | 'eval',
  first: string,
  s: Script<unknown>,
  args: readonly string[],
): Promise<unknown> {
  return client instanceof RespClient
    ? client.call([command, first, String(s.keys)], args)
    : client[command](first, s.keys, ...args);
}

/** PING on either kind of client. */
export async function ping(client: HotClient): Promise<unknown> {
  return client instanceof RespClient ? client.call(['PING']) : client.ping();
}

/** TLS options of a `rediss://` URL: SNI for a host name (never an IP), the private CA if any. */
function tlsOptions(url: URL, config: Config): RedisOptions['tls'] {
  return {
    servername: /^[\d.]+$|:/.test(url.hostname) ? undefined : url.hostname,
    ca: config.redis_tls_ca ? tlsCaText(config.redis_tls_ca) : undefined,
  };
}

function createCluster(url: URL, config: Config, options: RedisOptions): Cluster {
  if (dbIndex(config) !== 0) {
    throw new ConfigError(
      'redis_url',
      `config key "redis_url" names database ${dbIndex(config)}, but a Redis Cluster has only database 0`,
      'remove the /N from the URL',
    );
  }
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
    enableAutoPipelining: true,
    slotsRefreshTimeout: config.redis_connect_timeout_ms,
    clusterRetryStrategy: options.retryStrategy,
    // ElastiCache's TLS certificates name the configuration endpoint, not the node IPs.
    dnsLookup: (address, callback) => callback(null, address),
    redisOptions: {
      ...options,
      ...credentials(url),
    },
  });
}

/** The user name and password of a Redis URL, percent-decoded (undefined when absent). */
const credentials = (url: URL): { username?: string; password?: string } => ({
  username: url.username ? decodeURIComponent(url.username) : undefined,
  password: url.password ? decodeURIComponent(url.password) : undefined,
});

/** The database number of each config's `redis_url`, read once (every store operation asks). */
const dbIndexes = new WeakMap<Config, number>();

/** The database number of `redis_url` (0 when it names none). */
export function dbIndex(config: Config): number {
  let db = dbIndexes.get(config);
  if (db === undefined) {
    db = Number(new URL(config.redis_url ?? 'redis://x').pathname.slice(1) || 0);
    dbIndexes.set(config, db);
  }
  return db;
}

/** Per connection, whether Redis accepted the configured database (checked once per connection). */
const dbChecks = new WeakMap<RedisClient, Promise<void>>();
const watched = new WeakSet<RedisClient>();

/** A lean client selects the database as it connects; ioredis is checked here. */
function checkDb(redis: HotClient, config: Config): Promise<void> {
  const db = dbIndex(config);
  if (db === 0 || !(redis instanceof Redis)) return Promise.resolve();
  let check = dbChecks.get(redis);
  if (!check) {
    if (!watched.has(redis)) redis.on('close', () => dbChecks.delete(redis));
    watched.add(redis);
    check = redis.select(db).then(
      () => undefined,
      (e) => {
        if (!/DB index|invalid DB/i.test((e as Error).message)) dbChecks.delete(redis);
        throw e;
      },
    );
    dbChecks.set(redis, check);
  }
  return check;
}

/**
 * Runs one store operation under an overall deadline of `redis_command_timeout_ms` (plus the
 * connect timeout before the client's first connection), and turns a Redis that is down,
 * unreachable, too slow or refusing the configured database into an {@link UnavailableError}
 * (503) with a sentence naming the config key. Errors Redis itself answered with stay what
 * they are. `work` gets the deadline (ms since the epoch) so that its retries stop there.
 */
export function guard<T>(redis: HotClient, config: Config, work: (deadline: number) => Promise<T>): Promise<T> {
  const ms = config.redis_command_timeout_ms + (everReady.has(redis) ? 0 : config.redis_connect_timeout_ms);
  const deadline = Date.now() + ms;
  // One promise, no async layers, no timer of its own: this runs around every request's store call.
  return new Promise<T>((resolve, reject) => {
    const watch = deadlines.watch(ms, () => reject(unavailable(redis, config, new DeadlineError(ms))));
    const fail = (e: unknown) => {
      if (deadlines.settle(watch)) reject(unavailable(redis, config, e));
    };
    let run: Promise<T>;
    try {
      run = dbIndex(config) === 0 ? work(deadline) : checkDb(redis, config).then(() => work(deadline));
    } catch (e) {
      return fail(e);
    }
    run.then((value) => {
      if (deadlines.settle(watch)) resolve(value);
    }, fail);
  });
}

/** One operation that {@link Deadlines} watches. */
interface Watched {
  /** When it fails (performance.now() ms). */
  due: number;
  /** Fails it; called once, when due. */
  expire: () => void;
  settled: boolean;
}

/**
 * The deadlines of the store operations in flight, watched by one timer set for the earliest
 * of them (a timer per operation cost every request a Timeout and two list updates). Entries
 * are kept in the order they began; settled ones leave from the front.
 */
class Deadlines {
  private entries: Watched[] = [];
  private head = 0;
  private pending = 0;
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (performance.now() ms). */
  private timerDue = Number.POSITIVE_INFINITY;

  /** Starts watching an operation that fails with `expire` unless settled within `ms`. */
  watch(ms: number, expire: () => void): Watched {
    const w: Watched = { due: performance.now() + ms, expire, settled: false };
    this.entries.push(w);
    this.pending++;
    if (w.due < this.timerDue) this.arm(w.due);
    return w;
  }

  /** Marks an operation done; false when its deadline already failed it. */
  settle(w: Watched): boolean {
    if (w.settled) return false;
    w.settled = true;
    this.pending--;
    const { entries } = this;
    while (this.head < entries.length && entries[this.head].settled) this.head++;
    if (this.pending === 0) this.reset();
    else if (this.head > 1024 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  private arm(due: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(this.fire, Math.max(0, due - performance.now()));
  }

  /** Nothing in flight: no timer holds the process open. */
  private reset(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
    this.entries = [];
    this.head = 0;
  }

  /** Fails every operation past its deadline, then waits for the earliest of the others. */
  private readonly fire = (): void => {
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const late: Watched[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (let i = this.head; i < this.entries.length; i++) {
      const w = this.entries[i];
      if (w.settled) continue;
      if (w.due <= now) late.push(w);
      else if (w.due < next) next = w.due;
    }
    for (const w of late) if (this.settle(w)) w.expire();
    if (this.pending > 0) this.arm(next);
  };
}

const deadlines = new Deadlines();

/** What a failure of a store operation becomes: Redis's own answers stay; the rest is an UnavailableError. */
function unavailable(redis: HotClient, config: Config, e: unknown): unknown {
  if (e instanceof AbtestError) return e;
  const name = (e as Error)?.name ?? '';
  const transient =
    /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|NOAUTH|WRONGPASS|ERR (DB index|invalid DB|invalid password|AUTH))/;
  if (name === 'ReplyError' && !transient.test((e as Error).message)) return e;
  const generic = /max retries per request|Connection is closed|Stream isn't writeable/i.test(
    (e as Error)?.message ?? '',
  );
  const cause = generic ? (lastErrors.get(redis) ?? e) : e;
  return new UnavailableError(sentence(cause, config), cause);
}

/** The overall deadline of a store operation passed. */
export class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/** Throws a {@link DeadlineError} once `deadline` has passed (between retries). */
export function checkDeadline(deadline: number): void {
  if (Date.now() >= deadline) throw new DeadlineError(0);
}
