import type { Config } from './config';

/**
 * Visitors whose requests are answered but never counted: bots (by user agent) and ignored
 * addresses. Sixpack's rules (../shared/reference/sixpack-api.md §6): a user agent matches
 * the bot pattern case-insensitively, and a present but empty one is a bot.
 *
 * This first version holds Sixpack's default pattern only; the config keys (pattern, ignored
 * addresses and CIDR ranges) come next.
 */

/** Sixpack 2.7's default robot pattern, without its `$^` alternative (the empty case is handled apart). */
export const SIXPACK_BOT_PATTERN =
  'trivial|facebook|MetaURI|butterfly|google|amazon|goldfire|sleuth|xenu|msnbot|SiteUptime|Slurp|WordPress|ZIBB|ZyBorg|pingdom|bot|yahoo|slurp|java|fetch|spider|url|crawl|oneriot|abby|commentreader|twiceler';

const BOT = new RegExp(SIXPACK_BOT_PATTERN, 'i');

/**
 * Whether a request comes from a visitor that must not be counted.
 * @param userAgent the user agent, or undefined when the request gave none
 * @param ip the visitor's address, or undefined when unknown
 */
export function excludedVisitor(
  _config: Pick<Config, never>,
  userAgent: string | undefined,
  _ip: string | undefined,
): boolean {
  if (userAgent === undefined) return false;
  return userAgent === '' || BOT.test(userAgent);
}
