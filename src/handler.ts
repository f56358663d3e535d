import { configFromEnv, type Config } from './config';
import { checkEvent, errorResult, type Context, type ProxyEvent, type ProxyResult, type Route } from './http';
import { createRedis, RedisCounterStore, type RedisClient } from './store';

/**
 * The Lambda composition root: what turns a route into a handler. It reads the config from the
 * environment, creates the container's one Redis client and counter store, checks the proxy
 * event, and maps every failure to an answer through {@link errorResult}.
 */

/** A Lambda handler; `close()` drops its Redis connections (for `abtest dev` and tests). */
export type Handler = ((event: ProxyEvent) => Promise<ProxyResult>) & { close(): Promise<void> };

/**
 * Wraps a route as a Lambda handler. The config and the Redis client are created on the
 * first call and reused by every later call of the container.
 */
export function makeHandler(route: Route, env: NodeJS.ProcessEnv = process.env): Handler {
  let ctx: Context | undefined;
  let redis: RedisClient | undefined;
  const fail = (e: unknown) => errorResult(e, ctx?.config ?? fallbackConfig(env));
  // A promise chain, not an async function: one layer less on every request.
  const handler = (event: ProxyEvent): Promise<ProxyResult> => {
    try {
      const checked = checkEvent(event);
      if (!ctx) {
        const config = configFromEnv(env);
        redis = createRedis(config);
        ctx = { config, store: new RedisCounterStore(redis, config) };
      }
      return route(checked, ctx).catch(fail);
    } catch (e) {
      return Promise.resolve(fail(e));
    }
  };
  const close = async () => {
    redis?.disconnect();
    ctx = undefined;
    redis = undefined;
  };
  return Object.assign(handler, { close });
}

/** Enough config to answer an error when the config itself is broken. */
function fallbackConfig(env: NodeJS.ProcessEnv): Pick<Config, 'cors_origin'> {
  return { cors_origin: env.ABTEST_CORS_ORIGIN || '*' };
}
