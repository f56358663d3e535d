import type { Config } from './config';
import type { ProxyEvent } from './http';
import { header } from './http';
import { inRanges, parseIp, parseRange, type IpRange } from './ip';
import type { Exclusion } from './protocol';

/**
 * Visitors whose requests are answered but never counted: bots (by user agent) and ignored
 * addresses. Sixpack's rules (../shared/reference/sixpack-api.md §6), with two differences
 * (README, "Bots and ignored addresses"): ignored addresses may be CIDR ranges and IPv6, and
 * only the first {@link USER_AGENT_TESTED_LENGTH} characters of a user agent are tested.
 */

/**
 * Sixpack 2.7's default robot pattern, verbatim: `$^` matches only the empty string, so a
 * user agent that is present but empty is a bot; the rest are substrings, case-insensitive
 * (`url` makes `curl/8.5` a bot, `fetch` makes `node-fetch` one).
 */
export const SIXPACK_BOT_PATTERN =
  '$^|trivial|facebook|MetaURI|butterfly|google|amazon|goldfire|sleuth|xenu|msnbot|SiteUptime|Slurp|WordPress|ZIBB|ZyBorg|pingdom|bot|yahoo|slurp|java|fetch|spider|url|crawl|oneriot|abby|commentreader|twiceler';

/**
 * The longest user agent text the pattern is run on: the rest is not looked at. The pattern is
 * the operator's and runs on every request, so this bounds what a pattern that backtracks
 * badly can cost; real user agents are 100 to 300 characters, their bot tokens well inside.
 */
export const USER_AGENT_TESTED_LENGTH = 512;

/** The config keys the visitor rules come from. */
export type VisitorConfig = Pick<Config, 'bot_user_agent_pattern' | 'ignored_ips'>;

interface Rules {
  bot: RegExp | null;
  ranges: IpRange[];
}

/** The compiled rules of each config object: compiled once per container, not per request. */
const compiled = new WeakMap<VisitorConfig, Rules>();

/**
 * The bot pattern as a RegExp: case-insensitive, no other flag (a `g` flag would make `test`
 * remember where it stopped). Throws the engine's SyntaxError for an invalid pattern.
 */
export const botRegExp = (pattern: string): RegExp => new RegExp(pattern, 'i');

function rules(config: VisitorConfig): Rules {
  let r = compiled.get(config);
  if (!r) {
    const ranges = config.ignored_ips.map(parseRange).filter((x): x is IpRange => typeof x !== 'string');
    const pattern = config.bot_user_agent_pattern;
    r = { bot: pattern === null ? null : botRegExp(pattern), ranges };
    compiled.set(config, r);
  }
  return r;
}

/**
 * Percent-decodes what can be decoded and keeps the rest, as Python's `urllib.parse.unquote`
 * does (bytes that are not UTF-8 become U+FFFD; a stray `%` stays).
 */
export function unquote(s: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/(?:%[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/**
 * Why a request's visitor must not be counted, or null when it must. Sixpack's rules: no user
 * agent is no bot; a user agent (its first {@link USER_AGENT_TESTED_LENGTH} characters,
 * percent-decoded once more as Sixpack does, so `%2567ooglebot` sent as a parameter is a bot)
 * that the pattern finds is a bot; an address in one of `ignored_ips` is ignored.
 * @param userAgent the user agent, or undefined when the request gave none
 * @param ip the visitor's address, or undefined when unknown (an unparsable one is never ignored)
 */
export function exclusionOf(
  config: VisitorConfig,
  userAgent: string | undefined,
  ip: string | undefined,
): Exclusion | null {
  const { bot, ranges } = rules(config);
  if (bot && userAgent !== undefined && bot.test(unquote(userAgent.slice(0, USER_AGENT_TESTED_LENGTH)))) return 'bot';
  if (ranges.length > 0 && ip !== undefined) {
    const words = parseIp(unquote(ip), true);
    if (words && inRanges(words, ranges)) return 'ignored_ip';
  }
  return null;
}

/**
 * Whether a request comes from a visitor that must not be counted (see {@link exclusionOf}).
 * @param userAgent the user agent, or undefined when the request gave none
 * @param ip the visitor's address, or undefined when unknown
 */
export function excludedVisitor(config: VisitorConfig, userAgent: string | undefined, ip: string | undefined): boolean {
  return exclusionOf(config, userAgent, ip) !== null;
}

/**
 * The visitor of a proxy event as API Gateway describes it: the `User-Agent` header (else
 * `requestContext.identity.userAgent`) and `requestContext.identity.sourceIp`, the address of
 * the client that connected (behind a CDN or proxy, that one's). Fields of the wrong type are
 * read as absent, never a crash.
 */
export function requestVisitor(event: ProxyEvent): { userAgent: string | undefined; ip: string | undefined } {
  const identity = (event.requestContext as Partial<ProxyEvent['requestContext']> | undefined)?.identity as
    | Partial<ProxyEvent['requestContext']['identity']>
    | undefined;
  const string = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const fromContext = typeof identity === 'object' && identity !== null ? identity : {};
  return {
    userAgent: header(event, 'User-Agent') ?? string(fromContext.userAgent),
    ip: string(fromContext.sourceIp),
  };
}
