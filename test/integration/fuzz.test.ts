import http from 'node:http';
import path from 'node:path';
import Redis from 'ioredis';
import { track } from '../../src/api';
import { configToEnv } from '../../src/config';
import { makeHandler } from '../../src/handler';
import type { ProxyEvent } from '../../src/http';
import { startDevProcess, userEnv, type DevProcess } from '../helpers/cli';
import { startTestRedis, testConfig, type PrivateRedis } from '../helpers/redis';

/**
 * Seeded fuzzing: the built `abtest dev` (with its private redis-server) and the built handler
 * bundles get malformed requests; none may crash the server, answer a 500 or an undocumented
 * status, or write a key when it is refused. The seed is printed with every failure.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const REQUESTS = 3000;
const TIME_BUDGET_MS = 90_000;
const DOCUMENTED = new Set([200, 204, 400, 403, 404, 405, 413, 415, 429]);

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  return { next, int, pick };
}

const PROTO = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  '__defineGetter__',
  'isPrototypeOf',
];
const FIELDS = ['namespace', 'experiment', 'variant', 'event', 'uuid', 'scope', 'stats', 'control'];
const ODD = [
  '',
  '+',
  '%',
  '%FF',
  '%ED%A0%80',
  '%uD800',
  '%00',
  '%0A',
  '\u00e9',
  '%E2%82',
  'a+b',
  '%25',
  '=',
  '&',
  'x'.repeat(300),
];

type Gen = ReturnType<typeof rng>;
const word = (g: Gen): string => {
  const r = g.int(4);
  if (r === 0) return g.pick(PROTO);
  if (r === 1) return g.pick(ODD);
  if (r === 2) return `n${g.int(5)}`;
  return Array.from({ length: g.int(12) }, () => String.fromCharCode(33 + g.int(94))).join('');
};
const encodedWord = (g: Gen): string => {
  const w = word(g);
  return g.int(2) ? encodeURIComponent(w) : w.replace(/[\s#?]/g, '');
};

function query(g: Gen): string {
  const parts: string[] = [];
  for (let i = g.int(7); i > 0; i--) {
    const k = g.int(2) ? g.pick([...FIELDS, ...PROTO]) : encodedWord(g);
    parts.push(g.int(6) ? `${k}=${encodedWord(g)}` : k);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** A JSON value that may look like events, or anything else. */
function jsonValue(g: Gen, depth = 0): unknown {
  const r = g.int(depth > 3 ? 4 : 8);
  if (r === 0) return word(g);
  if (r === 1) return g.pick([null, true, 0, -1, 1e308, '\ud800', '\udfff', '\ufffd', 'a\u0000b']);
  if (r === 2) return { experiment: word(g), variant: word(g), event: g.pick(['participate', word(g)]), uuid: word(g) };
  if (r === 3)
    return Object.fromEntries(
      Array.from({ length: g.int(5) }, () => [g.pick([...FIELDS, ...PROTO]), jsonValue(g, depth + 1)]),
    );
  return Array.from({ length: g.int(4) }, () => jsonValue(g, depth + 1));
}

function body(g: Gen): string | Buffer | null {
  switch (g.int(8)) {
    case 0:
      return null;
    case 1:
      return JSON.stringify(jsonValue(g));
    case 2:
      return '['.repeat(2000 + g.int(20_000)) + ']'.repeat(g.int(2) ? 2000 : 0);
    case 3:
      return Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]);
    case 4:
      return JSON.stringify(Array.from({ length: 90 + g.int(30) }, () => jsonValue(g, 3)));
    case 5:
      return 'x'.repeat(200_000 + g.int(100_000));
    case 6:
      return '{"__proto__":{"experiment":"p"},"constructor":{"prototype":{"x":1}}}';
    default:
      return word(g);
  }
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | null;
}

function request(g: Gen, key: string): FuzzRequest {
  const method = g.pick(['GET', 'GET', 'POST', 'POST', 'DELETE', 'OPTIONS', 'PUT', 'PATCH', 'HEAD', 'PROPFIND']);
  const route = g.pick([
    '/track',
    '/track',
    '/experiments',
    '/delete',
    '/',
    '/dashboard',
    '/nope',
    '/track/',
    '//track',
    '/%2e%2e/track',
  ]);
  const headers: Record<string, string> = {};
  for (let i = g.int(4); i > 0; i--) {
    headers[g.pick([...PROTO, 'content-type', 'x-api-key', 'origin', `x-${g.int(9)}`])] = word(g).replace(
      /[^\x20-\x7e]/g,
      '',
    );
  }
  if (g.int(2)) headers['x-api-key'] = key;
  if (g.int(3) === 0)
    headers['content-type'] = g.pick(['application/json', 'text/plain', 'text/html', 'multipart/form-data', '']);
  return { method, path: route + query(g), headers, body: method === 'GET' || method === 'HEAD' ? null : body(g) };
}

function send(base: string, r: FuzzRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + r.path, { method: r.method, headers: r.headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(r.body ?? undefined);
  });
}

describe('fuzzing the built abtest dev', () => {
  let dev: DevProcess;
  let admin: Redis;
  beforeAll(async () => {
    const { env, home } = userEnv();
    // A busy CI box must not turn a slow Redis answer into a 503: the deadline is tested elsewhere.
    dev = await startDevProcess(['--port', '0'], {
      cwd: home,
      env: { ...env, ABTEST_REDIS_COMMAND_TIMEOUT_MS: '3000' },
    });
    admin = new Redis(dev.output().match(/redis +(redis:\/\/127\.0\.0\.1:\d+)/)![1]);
  });
  afterAll(() => {
    admin.disconnect();
    if (dev.child.exitCode === null) dev.child.kill('SIGINT');
  });

  it(`${REQUESTS} seeded requests: no crash, no 500, documented statuses, no key written when refused`, async () => {
    const g = rng(SEED);
    const statuses = new Map<number, number>();
    const keys = async () => (await admin.keys('*')).sort().join('\n');
    let before = await keys();
    const started = Date.now();
    for (let i = 0; i < REQUESTS && Date.now() - started < TIME_BUDGET_MS; i++) {
      const r = request(g, dev.apiKey);
      const where = `seed ${SEED}, request ${i}: ${r.method} ${r.path.slice(0, 200)}`;
      const status = await send(dev.base, r).catch((e) => {
        throw new Error(`${where}: ${e.message}\n${dev.output().slice(-2000)}`);
      });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (!DOCUMENTED.has(status)) throw new Error(`${where}: status ${status}`);
      const after = await keys();
      if (status !== 200 && after !== before) throw new Error(`${where}: answered ${status} but changed the keys`);
      before = after;
    }
    expect(dev.child.exitCode).toBeNull();
    expect(dev.output()).not.toMatch(/Unhandled|TypeError|failed:/);
    // The fuzzer reached the handlers, both ways.
    expect(statuses.get(200)).toBeGreaterThan(20);
    expect(statuses.get(400)).toBeGreaterThan(100);
    const after = '/track?experiment=after&variant=a&event=participate&uuid=1';
    expect(await send(dev.base, { method: 'GET', path: after, headers: {}, body: null })).toBe(200);
  }, 150_000);
});

describe('the built handlers called directly with malformed proxy events', () => {
  let redis: PrivateRedis;
  const saved = { ...process.env };
  type Handler = ((e: unknown) => Promise<{ statusCode: number; body: string }>) & { close(): Promise<void> };
  const handlers: Record<string, Handler> = {};
  beforeAll(async () => {
    redis = await startTestRedis();
    Object.assign(process.env, configToEnv(testConfig(redis.url)));
    jest.isolateModules(() => {
      for (const name of ['track', 'experiments', 'delete']) {
        handlers[name] = require(path.join(__dirname, '..', '..', 'dist', 'lambdas', `${name}.js`)).handler;
      }
    });
  });
  afterAll(async () => {
    for (const h of Object.values(handlers)) await h.close();
    process.env = saved;
    await redis.stop();
  });

  const base = {
    resource: '/track',
    path: '/track',
    httpMethod: 'GET',
    headers: {},
    queryStringParameters: null,
    body: null,
    isBase64Encoded: false,
  };
  const malformed: [string, unknown][] = [
    ['null', null],
    ['a string', 'GET /track'],
    ['an array', [base]],
    ['no httpMethod', { ...base, httpMethod: undefined }],
    ['a number as httpMethod', { ...base, httpMethod: 7 }],
    ['an array as the query', { ...base, queryStringParameters: ['experiment'] }],
    ['a string as the query', { ...base, queryStringParameters: 'experiment=e' }],
    ['an array as a parameter', { ...base, queryStringParameters: { namespace: ['a', 'b'], experiment: ['e'] } }],
    ['a number as a parameter', { ...base, queryStringParameters: { namespace: 5, experiment: 5 } }],
    [
      'an object as a parameter',
      { ...base, queryStringParameters: JSON.parse('{"namespace":{"__proto__":1},"experiment":{}}') },
    ],
    ['an array as the headers', { ...base, headers: ['content-type'] }],
    ['an array as a header', { ...base, headers: { 'content-type': ['text/plain'] } }],
    ['an object as the body', { ...base, httpMethod: 'POST', body: { experiment: 'e' } }],
  ];

  it.each(malformed)('%s answers 400 from every handler, never 500', async (_what, event) => {
    for (const [name, h] of Object.entries(handlers)) {
      const r = await h(event);
      expect([name, r.statusCode]).toEqual([name, 400]);
      expect(JSON.parse(r.body)).toMatchObject({ status: 'failed', field: expect.any(String) });
    }
  });

  it('parameters named like Object properties are only names', async () => {
    const q = JSON.parse(
      '{"__proto__":"x","constructor":"y","toString":"z","experiment":"e","variant":"v","event":"participate","uuid":"u"}',
    );
    expect((await handlers.track({ ...base, queryStringParameters: q })).statusCode).toBe(200);
    const missing = await handlers.track({ ...base, queryStringParameters: JSON.parse('{"__proto__":"e"}') });
    expect(JSON.parse(missing.body)).toMatchObject({ status: 'failed', field: 'experiment' });
  });
});

describe('failures of the server: a generic answer, details in the log, no password anywhere', () => {
  const event = {
    ...{ resource: '/track', path: '/track', headers: {}, body: null, isBase64Encoded: false },
    httpMethod: 'GET',
    queryStringParameters: { experiment: 'e', variant: 'a', event: 'participate', uuid: 'u' },
  } as unknown as ProxyEvent;

  it.each([
    ['an unparsable ABTEST_REDIS_URL (500)', 'redis://:hunter2pw@redis.internal:99999', 500, 'config'],
    ['a Redis that cannot be reached (503)', 'redis://:hunter2pw@127.0.0.1:1/0', 503, 'unavailable'],
  ])('%s', async (_what, url, status, code) => {
    const log = jest.spyOn(console, 'error').mockImplementation(() => {});
    const h = makeHandler(track, { ABTEST_REDIS_URL: url, ABTEST_REDIS_CONNECT_TIMEOUT_MS: '200' });
    try {
      const r = await h(event);
      expect(r.statusCode).toBe(status);
      expect(JSON.parse(r.body)).toEqual({ status: 'failed', message: expect.any(String), code });
      expect(r.body).not.toMatch(/hunter2|redis\.internal|127\.0\.0\.1|ABTEST/);
      const logged = log.mock.calls.map((c) => c.join(' ')).join('\n');
      expect(logged).toMatch(/"level":"error"/);
      expect(logged).not.toContain('hunter2');
    } finally {
      await h.close();
      log.mockRestore();
    }
  });
});
