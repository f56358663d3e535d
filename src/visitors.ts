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

/**
 * The quantifier at `i`, or null: its length, whether it repeats (`*`, `+`, `{n,}`, `{n,m}`
 * with m > 1) and whether its count varies (`*`, `+`, `{n,}`, `{n,m}` with m > n).
 */
function quantifierAt(p: string, i: number): { repeats: boolean; varies: boolean; length: number } | null {
  if (p[i] === '*' || p[i] === '+') return { repeats: true, varies: true, length: 1 };
  const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 24));
  if (!m) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
  return { repeats: max > 1, varies: max > min, length: m[0].length };
}

/**
 * Why `pattern` may take exponential time, or null: a repeated group that holds a quantifier
 * of varying count (`(a+)+`, `(\w+\s?)*`, `(?:x{1,3}y){2,}`), the classic shape of
 * catastrophic backtracking. Other slow shapes exist (`(a|a)+`); this is the one hand-written
 * patterns hit.
 */
export function backtrackingRisk(pattern: string): string | null {
  const open: boolean[] = []; // per open group: whether it holds a quantifier of varying count
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[') {
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
    } else if (c === '(') open.push(false);
    else if (c === ')') {
      const inner = open.pop() ?? false;
      const q = quantifierAt(pattern, i + 1);
      if (inner && q?.repeats) {
        const where = pattern.slice(0, i + 1 + q.length).slice(-40);
        return `repeats a group that holds a repetition (${where}), which can take exponential time on some user agents: write it without the nesting`;
      }
      if (inner && open.length > 0) open[open.length - 1] = true;
    } else {
      const q = quantifierAt(pattern, i);
      if (q?.varies && open.length > 0) open[open.length - 1] = true;
      if (q) i += q.length - 1;
    }
  }
  return null;
}

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
