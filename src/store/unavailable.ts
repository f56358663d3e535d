import type { Config } from '../config';
import { redactUrl } from '../redact';

/**
 * What a failure of the Redis client means, as one sentence a user understands, naming the
 * config key to check. ioredis's own texts ("max retries per request limit", "Command timed
 * out", "Connection is closed") never reach a user. Built from the host only: no password.
 * @param key how the sentence names the URL's setting
 */
export function sentence(e: unknown, config: Config, key = 'redis_url'): string {
  const err = e as NodeJS.ErrnoException & { ms?: number };
  const text = err?.message ?? String(e);
  let where = 'Redis';
  try {
    where = `Redis at ${new URL(config.redis_url ?? '').host}`;
  } catch {
    // an unparsable URL is refused by the config check; keep the generic name
  }
  const timeout = `redis_command_timeout_ms (${config.redis_command_timeout_ms} ms)`;
  if (err?.name === 'DeadlineError' || /Command timed out|timed? ?out/i.test(text)) {
    return `${where} did not answer within ${timeout}; check that it is up and reachable (${key})`;
  }
  if (/DB index|invalid DB/i.test(text)) {
    return `${where} has no database ${new URL(config.redis_url ?? 'redis://x').pathname.slice(1)}: fix the database number in ${key}`;
  }
  if (/^NOAUTH/i.test(text)) return `${where} needs a password: give it in ${key}`;
  if (/^(WRONGPASS|ERR (invalid password|AUTH))/i.test(text)) return `${where} refused the user or password of ${key}`;
  if (/^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN)/.test(text))
    return `the Redis Cluster at ${where.slice(9)} is down or moving slots; retry shortly`;
  if (/^LOADING/.test(text)) return `${where} is loading its data; retry shortly`;
  if (/^READONLY/.test(text)) return `${where} is a read-only replica: point redis_url at the primary`;
  if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN')
    return `the host of ${key} cannot be found (DNS): ${where.slice(9)}`;
  if (/certificate|SSL|TLS|self.signed|UNABLE_TO_VERIFY/i.test(text + (err?.code ?? ''))) {
    return `the TLS handshake with ${where} failed (${err?.code ?? 'certificate'}): set redis_tls_ca to its CA, or check rediss:// in ${key}`;
  }
  const closed = /max retries per request|Connection is closed|Stream isn't writeable|ECONNRESET|EPIPE|connect E/i;
  if (
    err?.code === 'ECONNREFUSED' ||
    closed.test(text) ||
    /None of startup nodes|Failed to refresh slots/i.test(text)
  ) {
    return `${where} cannot be reached (connection refused or closed); check that it is up and that ${key} is right`;
  }
  return `${where} failed: ${text.replace(/rediss?:\/\/\S+/g, redactUrl)}`;
}
