import { validateConfig, type Config } from '../../src/config';
import { createRedis } from '../../src/store';
import { explain } from '../explain';

/**
 * Connects to `url` as the functions will (TLS, cluster, timeouts from `config`) and sends
 * PING. Resolves null when Redis answers, else the reason as a sentence.
 */
export async function pingRedisUrl(url: string, config: Partial<Config> = {}): Promise<string | null> {
  let client;
  try {
    client = createRedis(validateConfig({ ...config, redis_url: url, redis_connect_timeout_ms: Math.max(config.redis_connect_timeout_ms ?? 0, 3000) }, 'Redis URL'));
  } catch (e) {
    return explain(e).message;
  }
  // One attempt is the test: no reconnecting afterwards.
  if ('retryStrategy' in client.options) client.options.retryStrategy = () => null;
  let cause: unknown = null;
  client.on('error', (e) => (cause ??= e));
  try {
    await client.connect();
    const answer = await client.ping();
    return answer === 'PONG' ? null : `Redis answered PING with ${JSON.stringify(answer)}`;
  } catch (e) {
    return `Redis at ${new URL(url).host} did not answer PING: ${explain(cause ?? e).message}`;
  } finally {
    // A connection that already ended needs no disconnect (which would wait 2 s for its socket).
    if (client.status !== 'end') client.disconnect();
  }
}
