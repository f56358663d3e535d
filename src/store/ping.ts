import type { Config } from '../config';
import { Cluster } from 'ioredis';
import { AbtestError, UnavailableError } from '../errors';
import { createRedis, guard } from './redis';
import { sentence } from './unavailable';

/**
 * Connects to the Redis of `config` once (no reconnecting), sends PING, and checks what the
 * handlers will need: the password, the database number, TLS. Resolves when all is well, else
 * throws an {@link AbtestError} whose message is one sentence naming `--redis-url`/`redis_url`
 * (built from the host: no password).
 */
export async function pingStore(config: Config): Promise<void> {
  const client = createRedis(config);
  // One attempt is the test: no reconnecting afterwards.
  if (client instanceof Cluster) client.options.clusterRetryStrategy = () => null;
  else client.options.retryStrategy = () => null;
  try {
    await guard(client, config, async () => {
      const answer = await client.ping();
      if (answer !== 'PONG') throw new AbtestError('redis', `Redis answered PING with ${JSON.stringify(answer)}`);
    });
  } catch (e) {
    if (!(e instanceof UnavailableError)) throw e;
    throw new AbtestError('unavailable', sentence(e.cause, config, '--redis-url/redis_url'), {
      status: 503,
      cause: e.cause,
    });
  } finally {
    // A connection that already ended needs no disconnect (which would wait for its socket).
    if (client.status !== 'end') client.disconnect();
  }
}
