import type { Config } from '../../src/config';
import { AbtestError } from '../../src/errors';
import { redactUrl } from '../../src/redact';
import { createRedis } from '../../src/store';

/** Why a Redis refused, in words, from the client's error. */
function reason(e: Error & { code?: string }, db: number): string {
  const m = e?.message ?? String(e);
  if (/^(WRONGPASS|ERR invalid password|ERR AUTH)/.test(m)) return 'refused the user name or password';
  if (/^NOAUTH/.test(m)) return 'needs a password';
  if (/DB index is out of range/.test(m)) return `has no database ${db}`;
  if (e?.code === 'ECONNREFUSED') return 'refused the connection (nothing listens there)';
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return 'has a host name that cannot be found';
  if (/timeout|timed out|ETIMEDOUT/i.test(m)) return 'did not answer in time';
  return `did not answer PING (${redactUrl(m)})`;
}

/**
 * PINGs the configured Redis (and selects its database) once, so that `abtest dev` refuses
 * to start on a wrong URL, password or database index instead of failing on every request.
 * `source` names where the URL came from (`--redis-url` or the config key).
 */
export async function checkRedis(config: Config, source: string): Promise<void> {
  const client = createRedis(config);
  let last: Error | undefined;
  client.on('error', (e: Error) => (last = e));
  const db = Number(new URL(config.redis_url!).pathname.slice(1) || 0);
  try {
    await client.ping();
    if (db && !config.redis_cluster) await client.select(db);
  } catch (e) {
    const why = reason(((e as Error)?.name === 'ReplyError' ? e : (last ?? e)) as Error, db);
    const where = redactUrl(config.redis_url!);
    throw new AbtestError('redis-check', `the Redis at ${where} ${why}: pass a working ${source}`);
  } finally {
    client.disconnect();
  }
}
