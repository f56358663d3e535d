import { validateConfig, type Config } from '../../src/config';
import { pingStore } from '../../src/store/ping';
import { explain } from '../explain';

/**
 * {@link pingStore} for configure and preflight: resolves null when Redis at `url` answers,
 * else the reason as a sentence. Connects give at least 3 s (a first TLS handshake is slow).
 */
export async function pingRedisUrl(url: string, config: Partial<Config> = {}): Promise<string | null> {
  try {
    await pingStore(
      validateConfig(
        { ...config, redis_url: url, redis_connect_timeout_ms: Math.max(config.redis_connect_timeout_ms ?? 0, 3000) },
        'Redis URL',
      ),
    );
    return null;
  } catch (e) {
    return explain(e).message;
  }
}
