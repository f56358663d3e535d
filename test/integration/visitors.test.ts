import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import Redis from 'ioredis';
import { experiments, track } from '../../src/api';
import { configToEnv, type Config } from '../../src/config';
import { makeHandler, type Handler } from '../../src/handler';
import type { ProxyResult } from '../../src/http';
import { abtest, startDevProcess, userEnv } from '../helpers/cli';
import { proxyEvent } from '../helpers/events';
import { testConfig, useTestRedis } from '../helpers/redis';

/**
 * Bots and ignored addresses on /track, against a real Redis: through the handler (API Gateway
 * proxy events) and through the built `abtest dev` (a real socket and User-Agent header).
 */

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const event = (uuid: string) => ({ experiment: 'hero', variant: 'a', event: 'participate', uuid });
const body = (r: ProxyResult) => JSON.parse(r.body);

describe('/track handler: bots and ignored addresses', () => {
  const redis = useTestRedis();
  const opened: Handler[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((h) => h.close()));
  });

  const container = (overrides: Partial<Config> = {}) => {
    const config = testConfig(redis.url, { ignored_ips: ['203.0.113.0/24', '2001:db8::/32'], ...overrides });
    const env = configToEnv(config);
    const handlers = { track: makeHandler(track, env), experiments: makeHandler(experiments, env) };
    opened.push(handlers.track, handlers.experiments);
    return { ...handlers, keys: () => redis.admin.keys(`${config.key_prefix}*`) };
  };
  /** A track request from `ip` with `userAgent` in its header (none when undefined). */
  const from = (
    ip: string,
    userAgent: string | undefined,
    opts: { query?: Record<string, string>; body?: string } = {},
  ) => {
    const headers: Record<string, string> = opts.body ? { 'Content-Type': 'text/plain' } : {};
    if (userAgent !== undefined) headers['User-Agent'] = userAgent;
    const e = proxyEvent(opts.body ? 'POST' : 'GET', '/track', { ...opts, headers });
    e.requestContext.identity.sourceIp = ip;
    e.requestContext.identity.userAgent = userAgent ?? null;
    return e;
  };

  it.each([
    ['Googlebot', '198.51.100.1', GOOGLEBOT, 'bot'],
    ['an empty user agent', '198.51.100.1', '', 'bot'],
    ['curl (Sixpack’s “url”)', '198.51.100.1', 'curl/8.5.0', 'bot'],
    ['an ignored IPv4 range', '203.0.113.77', CHROME, 'ignored_ip'],
    ['an IPv4-mapped IPv6 address in that range', '::ffff:203.0.113.77', CHROME, 'ignored_ip'],
    ['an ignored IPv6 range', '2001:db8:42::1', CHROME, 'ignored_ip'],
  ])('%s: answered 200 excluded, nothing counted (no key in Redis)', async (_, ip, ua, why) => {
    const c = container();
    const get = await c.track(from(ip, ua, { query: event('g1') }));
    expect([get.statusCode, body(get)]).toEqual([200, { status: 'ok', stored: 0, excluded: why }]);
    expect(get.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' });
    const post = await c.track(from(ip, ua, { body: JSON.stringify([event('p1'), event('p2')]) }));
    expect(body(post)).toEqual({ status: 'ok', stored: 0, excluded: why });
    expect(await c.keys()).toEqual([]);
  });

  it('normal visitors are still counted, next to excluded ones', async () => {
    const c = container();
    expect(body(await c.track(from('198.51.100.1', CHROME, { query: event('human-1') })))).toEqual({
      status: 'ok',
      stored: 1,
    });
    expect(body(await c.track(from('203.0.112.255', undefined, { query: event('human-2') }))).stored).toBe(1);
    expect(body(await c.track(from('2001:db9::1', CHROME, { query: event('human-3') }))).stored).toBe(1);
    await c.track(from('203.0.113.1', CHROME, { query: event('office') }));
    await c.track(from('198.51.100.1', GOOGLEBOT, { query: event('bot') }));
    const out = body(await c.experiments(proxyEvent('GET', '/experiments', { query: { scope: 'hero' } })));
    expect(out[1].variants).toEqual([{ label: 'a', participants: 3 }]);
    expect((await c.keys()).length).toBeGreaterThan(0);
  });

  it('checks the input first: a bad event is still a 400 naming the field, a bad one in a batch is listed', async () => {
    const c = container();
    const bad = await c.track(from('203.0.113.5', GOOGLEBOT, { query: { ...event('x'), uuid: '' } }));
    expect([bad.statusCode, body(bad).field]).toEqual([400, 'uuid']);
    const batch = await c.track(
      from('203.0.113.5', CHROME, { body: JSON.stringify([event('ok'), { experiment: 'e' }]) }),
    );
    expect(body(batch)).toMatchObject({ status: 'ok', stored: 0, excluded: 'ignored_ip', rejected: [{ index: 1 }] });
    expect(await c.keys()).toEqual([]);
  });

  it('bot_user_agent_pattern null and ignored_ips [] count everyone', async () => {
    const c = container({ bot_user_agent_pattern: null, ignored_ips: [] });
    expect(body(await c.track(from('203.0.113.77', GOOGLEBOT, { query: event('g') }))).stored).toBe(1);
    expect(body(await c.track(from('203.0.113.77', '', { query: event('e') }))).stored).toBe(1);
  });

  it('a bad ignored_ips in the environment: 500 "misconfigured" in public, the key and entry in the log', async () => {
    const env = { ...configToEnv(testConfig(redis.url)), ABTEST_IGNORED_IPS: '10.0.0.0/8,10.0.0.300' };
    const h = makeHandler(track, env);
    opened.push(h);
    const log = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const r = await h(from('198.51.100.1', CHROME, { query: event('u') }));
      expect(r.statusCode).toBe(500);
      expect(body(r)).toMatchObject({ status: 'failed', code: 'config' });
      expect(r.body).not.toContain('10.0.0.300');
      expect(log.mock.calls.join('\n')).toContain('config key \\"ignored_ips\\" has an entry \\"10.0.0.300\\"');
    } finally {
      log.mockRestore();
    }
  });
});

describe('/track through the built abtest dev: the socket’s address and the User-Agent header', () => {
  let child: ChildProcess;
  let base: URL;
  let store: Redis;
  beforeAll(async () => {
    const { env, home } = userEnv();
    // 127.0.0.2 is loopback too: a request sent from it is an "office" visitor.
    const dev = await startDevProcess(['--port', '0'], { cwd: home, env: { ...env, ABTEST_IGNORED_IPS: '127.0.0.2' } });
    child = dev.child;
    base = new URL(dev.base);
    const port = Number(dev.output().match(/redis +redis:\/\/127\.0\.0\.1:(\d+) \(private/)![1]);
    store = new Redis({ host: '127.0.0.1', port });
  });
  afterAll(() => {
    store?.disconnect();
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  /** GET /track from `localAddress` with exactly these headers (Node adds no User-Agent of its own). */
  const send = (uuid: string, headers: Record<string, string>, localAddress = '127.0.0.1') =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const q = new URLSearchParams(event(uuid)).toString();
      const req = http.get(
        { host: base.hostname, port: base.port, path: `/track?${q}`, headers, localAddress },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
    });

  it('excludes bots, empty user agents and ignored addresses, and counts nothing for them', async () => {
    const excluded = (why: string) => ({ status: 200, body: { status: 'ok', stored: 0, excluded: why } });
    expect(await send('b1', { 'User-Agent': GOOGLEBOT })).toEqual(excluded('bot'));
    expect(await send('b2', { 'user-agent': 'curl/8.5.0' })).toEqual(excluded('bot'));
    expect(await send('b3', { 'User-Agent': '' })).toEqual(excluded('bot'));
    expect(await send('o1', { 'User-Agent': CHROME }, '127.0.0.2')).toEqual(excluded('ignored_ip'));
    expect(await store.keys('*')).toEqual([]);
  });

  it('counts a normal visitor, with or without a user agent', async () => {
    expect(await send('h1', { 'User-Agent': CHROME })).toEqual({ status: 200, body: { status: 'ok', stored: 1 } });
    expect(await send('h2', {})).toEqual({ status: 200, body: { status: 'ok', stored: 1 } });
    expect((await store.keys('*')).length).toBeGreaterThan(0);
  });
});

describe('abtest dev refuses a bad bot pattern or ignored address, naming the key', () => {
  it.each([
    [
      'ABTEST_IGNORED_IPS',
      '10.0.0.0/8,10.0.0.1/8',
      /config key "ignored_ips" has an entry "10\.0\.0\.1\/8" that has bits set/,
    ],
    ['ABTEST_BOT_USER_AGENT_PATTERN', 'bot|(', /config key "bot_user_agent_pattern" is not a valid regular expression/],
  ])('%s=%s', async (name, value, message) => {
    const { env, home } = userEnv();
    const run = await abtest(['dev', '--port', '0'], { cwd: home, env: { ...env, [name]: value } }, 15_000);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(message);
  });
});
