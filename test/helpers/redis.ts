import { randomBytes } from 'node:crypto';
import { startRedisServer, type PrivateRedis } from '../../cli/dev/redis-server';
import { validateConfig, type Config } from '../../src/config';

export type { PrivateRedis };

/** Starts a private redis-server on a free port for one test file (stop it in afterAll). */
export const startTestRedis = (opts: { port?: number; dir?: string } = {}): Promise<PrivateRedis> => startRedisServer(opts);

/** A key prefix no other test uses. */
export const uniquePrefix = (): string => `t${randomBytes(4).toString('hex')}:`;

/** A validated config pointing at `redisUrl` with a unique key prefix. */
export function testConfig(redisUrl: string, overrides: Partial<Config> = {}): Config {
  return validateConfig({ redis_url: redisUrl, key_prefix: uniquePrefix(), ...overrides }, 'test');
}
