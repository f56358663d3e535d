import net from 'node:net';
import { configFromEnv, configToEnv, DEFAULTS, validateConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { parseIp } from '../../src/ip';
import {
  excludedVisitor,
  exclusionOf,
  requestVisitor,
  SIXPACK_BOT_PATTERN,
  USER_AGENT_TESTED_LENGTH,
  type VisitorConfig,
} from '../../src/visitors';
import { proxyEvent } from '../helpers/events';

const rules = (overrides: Partial<VisitorConfig> = {}): VisitorConfig => validateConfig(overrides, 'test');

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const HEADLESS =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36';

describe("bots: Sixpack's default pattern", () => {
  const config = rules();

  it('is the default of bot_user_agent_pattern, verbatim', () => {
    expect(DEFAULTS.bot_user_agent_pattern).toBe(SIXPACK_BOT_PATTERN);
    expect(SIXPACK_BOT_PATTERN.startsWith('$^|trivial|facebook|')).toBe(true);
  });

  it.each([
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    'Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)',
    'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)',
    'Java/1.8.0_151',
    'curl/8.5.0',
    'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
    'Baiduspider+(+http://www.baidu.com/search/spider.htm)',
    'WordPress/6.4; https://example.com',
    'Xenu Link Sleuth/1.3.8',
    'GOOGLEBOT',
    'msnbot/2.0b',
  ])('%s is a bot', (ua) => {
    expect(exclusionOf(config, ua, undefined)).toBe('bot');
  });

  it.each([CHROME, IPHONE, FIREFOX, HEADLESS, 'node', 'jest'])('%s is not a bot', (ua) => {
    expect(excludedVisitor(config, ua, undefined)).toBe(false);
  });

  it('a present but empty user agent is a bot; an absent one is not', () => {
    expect(exclusionOf(config, '', undefined)).toBe('bot');
    expect(exclusionOf(config, undefined, undefined)).toBeNull();
  });

  it('decodes the user agent once more, as Sixpack does (user_agent=%2567ooglebot arrives as %67ooglebot)', () => {
    expect(excludedVisitor(config, '%67ooglebot', undefined)).toBe(true);
    expect(excludedVisitor(config, 'Mozilla%2F5.0%20(compatible%3B%20Googlebot)', undefined)).toBe(true);
    expect(excludedVisitor(config, '100%25 human%zz%', undefined)).toBe(false);
  });

  it(`looks at the first ${USER_AGENT_TESTED_LENGTH} characters only`, () => {
    const pad = 'x'.repeat(USER_AGENT_TESTED_LENGTH - 3);
    expect(excludedVisitor(config, `${pad}bot`, undefined)).toBe(true);
    expect(excludedVisitor(config, `${pad}xbot`, undefined)).toBe(false);
  });
});

describe('bots: the configured pattern', () => {
  it('null turns bot matching off, the empty user agent too', () => {
    const config = rules({ bot_user_agent_pattern: null });
    expect(excludedVisitor(config, 'Googlebot', undefined)).toBe(false);
    expect(excludedVisitor(config, '', undefined)).toBe(false);
  });

  it('a pattern of ones own decides alone (without $^ an empty user agent is no bot)', () => {
    const config = rules({ bot_user_agent_pattern: '^internal-monitor/|lighthouse' });
    expect(excludedVisitor(config, 'internal-monitor/2', undefined)).toBe(true);
    expect(excludedVisitor(config, 'Mozilla/5.0 Chrome-Lighthouse', undefined)).toBe(true);
    expect(excludedVisitor(config, 'Googlebot', undefined)).toBe(false);
    expect(excludedVisitor(config, '', undefined)).toBe(false);
  });

  it('is compiled once per config, not per request', () => {
    let reads = 0;
    const config = { ignored_ips: [] as string[] } as unknown as VisitorConfig;
    Object.defineProperty(config, 'bot_user_agent_pattern', {
      get: () => {
        reads++;
        return 'bot';
      },
    });
    for (let i = 0; i < 100; i++)
      expect(excludedVisitor(config, i % 2 ? 'a bot' : 'human', undefined)).toBe(i % 2 === 1);
    expect(reads).toBe(1);
  });

  it.each([['('], ['a{2,1}'], ['[z-a]'], ['(?<n>a)(?<n>b)']])('refuses %s naming the key', (pattern) => {
    const refuse = () => validateConfig({ bot_user_agent_pattern: pattern }, 'f.json');
    expect(refuse).toThrow(ConfigError);
    expect(refuse).toThrow(/^f\.json: config key "bot_user_agent_pattern" is not a valid regular expression \(/);
  });

  it.each([
    ['(a+)+$'],
    ['^(\\w+\\s?)*$'],
    ['((ab)*)+'],
    ['(?:x*y){2,}'],
    ['bot|(?<n>[a-z]+\\.)+com'],
    ['((a)+b)*'],
    ['(a{1,})+'],
    ['(a{1,3})+'],
    ['((a+))+'],
    ['(a+)(b|(c+))+'],
  ])('refuses %s: a repeated group holding a repetition (exponential backtracking)', (pattern) => {
    expect(() => validateConfig({ bot_user_agent_pattern: pattern })).toThrow(
      /config key "bot_user_agent_pattern" repeats a group that holds a repetition \(.*\), which can take exponential time/,
    );
  });

  it.each([
    [SIXPACK_BOT_PATTERN],
    ['(bot|crawl)+'],
    ['(a+)?b'],
    ['a+b+(cd){2,3}'],
    ['[(a+)+]'],
    ['\\(a+\\)+'],
    ['(a{1,3}){1}'],
    ['(ab{2})+'],
    ['(a+)b+'],
    ['^Mozilla/5\\.0 \\(compatible; [a-z]+bot/'],
  ])('accepts %s', (pattern) => {
    expect(validateConfig({ bot_user_agent_pattern: pattern }).bot_user_agent_pattern).toBe(pattern);
  });

  it('refuses an empty pattern (it would make every visitor a bot)', () => {
    expect(() => validateConfig({ bot_user_agent_pattern: '' })).toThrow(
      /"bot_user_agent_pattern" must be a non-empty/,
    );
  });
});

describe('ignored addresses', () => {
  const config = rules({
    ignored_ips: ['10.0.0.1', '192.168.0.0/16', '2001:db8::/32', '::1', '172.16.0.0/12', '2001:DB8:1::5', '0.0.0.0/32'],
  });
  const ignored = (ip: string | undefined) => exclusionOf(config, CHROME, ip) === 'ignored_ip';

  it.each([
    '10.0.0.1',
    '192.168.0.0',
    '192.168.255.255',
    '172.16.0.1',
    '172.31.255.254',
    '2001:db8::1',
    '2001:0DB8:ffff:ffff:ffff:ffff:ffff:ffff',
    '::1',
    '0:0:0:0:0:0:0:1',
    '::ffff:10.0.0.1',
    '::ffff:192.168.3.4',
    '::FFFF:c0a8:0304',
    '0:0:0:0:0:ffff:192.168.3.4',
    '0.0.0.0',
    '2001:db8::7%eth0',
  ])('%s is ignored', (ip) => {
    expect(ignored(ip)).toBe(true);
  });

  it.each([
    '10.0.0.10',
    '10.0.0.2',
    '110.0.0.1',
    '192.169.0.0',
    '192.167.255.255',
    '172.15.255.255',
    '172.32.0.0',
    '2001:db9::',
    '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff',
    '::2',
    '::ffff:10.0.0.2',
    '::10.0.0.1',
    '::ffff:0:10.0.0.1',
    '1.2.3.4',
    '8.8.8.8',
  ])('%s is not ignored', (ip) => {
    expect(ignored(ip)).toBe(false);
  });

  it.each([
    'not an address',
    '',
    '10.0.0.1.5',
    '010.0.0.1',
    '10.0.1',
    '10.0.0.256',
    '2001:db8::1::2',
    '2001:db8:1:2:3:4:5:6:7',
    ':::',
    '10.0.0.1%eth0',
    '1'.repeat(100),
  ])('an address that is none (%j) is never ignored', (ip) => {
    expect(ignored(ip)).toBe(false);
  });

  it('an unknown address is not ignored; a bot is named before its address', () => {
    expect(exclusionOf(config, CHROME, undefined)).toBeNull();
    expect(exclusionOf(config, 'Googlebot', '10.0.0.1')).toBe('bot');
  });

  it('an IPv6 rule of a mapped range catches IPv4 clients; an IPv6 zone is dropped', () => {
    const c = rules({ ignored_ips: ['::ffff:203.0.113.0/120', 'fe80::/10'] });
    expect(exclusionOf(c, CHROME, '203.0.113.9')).toBe('ignored_ip');
    expect(exclusionOf(c, CHROME, '203.0.114.9')).toBeNull();
    expect(exclusionOf(c, CHROME, 'fe80::1%eth0')).toBe('ignored_ip');
  });

  it('0.0.0.0/0 is every IPv4 address (mapped too), ::/0 every address', () => {
    const v4 = rules({ ignored_ips: ['0.0.0.0/0'] });
    expect(excludedVisitor(v4, CHROME, '8.8.8.8')).toBe(true);
    expect(excludedVisitor(v4, CHROME, '::ffff:8.8.8.8')).toBe(true);
    expect(excludedVisitor(v4, CHROME, '2001:db8::1')).toBe(false);
    const all = rules({ ignored_ips: ['::/0'] });
    expect(excludedVisitor(all, CHROME, '2001:db8::1')).toBe(true);
    expect(excludedVisitor(all, CHROME, '8.8.8.8')).toBe(true);
  });

  it('parses what Node calls an IP address, and nothing else', () => {
    const samples = [
      '1.2.3.4',
      '255.255.255.255',
      '256.1.1.1',
      '1.2.3',
      '01.2.3.4',
      '::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3.4',
      '1.2.3.4::',
      '12345::',
      'g::',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      'fe80::1:2',
      '::ffff:1.2.3',
    ];
    for (const s of samples) expect([s, parseIp(s) !== null]).toEqual([s, net.isIP(s) !== 0]);
  });
});

describe('ignored_ips: config', () => {
  it.each([
    [['10.0.0.256'], 'has an entry "10.0.0.256" that is not an IPv4 or IPv6 address or CIDR range'],
    [
      ['10.0.0.0/33'],
      'has an entry "10.0.0.0/33" that has a prefix length "33" that is not a whole number from 0 to 32',
    ],
    [['2001:db8::/129'], 'has a prefix length "129" that is not a whole number from 0 to 128'],
    [['10.0.0.0/'], 'has a prefix length "" that'],
    [['10.0.0.1/8'], 'has an entry "10.0.0.1/8" that has bits set after its first 8: the range is 10.0.0.0/8'],
    [['2001:db8::1/32'], 'has bits set after its first 32: the range is 2001:db8:0:0:0:0:0:0/32'],
    [['fe80::1%eth0'], 'has an entry "fe80::1%eth0" that is not'],
    [['10.0.0.1', ''], 'has an entry "" that is not'],
    [[10], 'has an entry 10 that is not a string'],
    ['10.0.0.1', 'must be a list of IP addresses and CIDR ranges'],
  ])('refuses %j naming the key and the entry', (value, message) => {
    let err: unknown;
    try {
      validateConfig({ ignored_ips: value }, 'f.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('f.json: config key "ignored_ips" ');
    expect((err as ConfigError).message).toContain(message);
    expect((err as ConfigError).key).toBe('ignored_ips');
  });

  it('reads ABTEST_IGNORED_IPS as entries separated by commas, or a JSON list; empty is none', () => {
    const env = (text: string) => configFromEnv({ ABTEST_IGNORED_IPS: text }).ignored_ips;
    expect(env('10.0.0.1, 192.168.0.0/16,2001:db8::/32')).toEqual(['10.0.0.1', '192.168.0.0/16', '2001:db8::/32']);
    expect(env('["::1"]')).toEqual(['::1']);
    expect(env('')).toEqual([]);
    expect(() => env('10.0.0.1,nope')).toThrow(/config key "ignored_ips" has an entry "nope"/);
  });

  it('travels to the Lambdas with the pattern, and back', () => {
    const config = validateConfig({ ignored_ips: ['10.0.0.0/8', '::1'], bot_user_agent_pattern: 'bot|crawl' });
    const env = configToEnv(config);
    expect(env.ABTEST_IGNORED_IPS).toBe('["10.0.0.0/8","::1"]');
    expect(env.ABTEST_BOT_USER_AGENT_PATTERN).toBe('bot|crawl');
    const back = configFromEnv(env);
    expect([back.ignored_ips, back.bot_user_agent_pattern]).toEqual([config.ignored_ips, 'bot|crawl']);
    expect(configFromEnv({ ABTEST_BOT_USER_AGENT_PATTERN: 'null' }).bot_user_agent_pattern).toBeNull();
    expect(() => configFromEnv({ ABTEST_BOT_USER_AGENT_PATTERN: '(' })).toThrow(
      /"bot_user_agent_pattern" is not a valid/,
    );
  });
});

describe('requestVisitor', () => {
  it('reads the User-Agent header whatever its case, else the identity, and the source IP', () => {
    const e = proxyEvent('GET', '/track', { headers: { 'user-AGENT': 'Googlebot' } });
    expect(requestVisitor(e)).toEqual({ userAgent: 'Googlebot', ip: '127.0.0.1' });
    expect(requestVisitor(proxyEvent('GET', '/track')).userAgent).toBe('jest');
    const empty = proxyEvent('GET', '/track', { headers: { 'User-Agent': '' } });
    expect(requestVisitor(empty).userAgent).toBe('');
  });

  it.each([
    ['no requestContext', undefined],
    ['a string', 'x'],
    ['null identity', { identity: null }],
    ['an identity of numbers', { identity: { sourceIp: 5, userAgent: 7 } }],
  ])('reads %s as no visitor, without throwing', (_, requestContext) => {
    const e = { ...proxyEvent('GET', '/track'), requestContext } as unknown as ReturnType<typeof proxyEvent>;
    expect(requestVisitor(e)).toEqual({ userAgent: undefined, ip: undefined });
  });
});
