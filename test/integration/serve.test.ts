import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import Redis from 'ioredis';
import { freePort } from '../../cli/dev/redis-server';
import { experimentKeys } from '../../src/store/keys';
import { abtest, startServeProcess, userEnv, type ServeProcess } from '../helpers/cli';
import { startTestRedis, uniquePrefix, type PrivateRedis } from '../helpers/redis';

/** `abtest serve` as an operator runs it: the built binary, a configured Redis and key, over HTTP. */
const KEY = 'serve-test-key-0123456789abcdef';
let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

/** A user's environment with the config in ABTEST_* variables (a unique key prefix, exact counting). */
const serveEnv = (extra: Record<string, string | undefined> = {}) => {
  const { env, home } = userEnv();
  const prefix = uniquePrefix();
  const vars = {
    ABTEST_REDIS_URL: redis.url,
    ABTEST_API_KEY: KEY,
    ABTEST_KEY_PREFIX: prefix,
    ABTEST_COUNTING: 'exact',
    ABTEST_REDIS_COMMAND_TIMEOUT_MS: '5000',
    ...extra,
  };
  const all: NodeJS.ProcessEnv = { ...env, ...vars };
  for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
  return { env: all, home, prefix };
};

/** The pids of a process's children (the workers of a primary). */
const childrenOf = (pid: number): number[] =>
  fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

const exitOf = (s: ServeProcess) =>
  new Promise<number | null>((resolve) =>
    s.child.exitCode !== null ? resolve(s.child.exitCode) : s.child.once('exit', (code) => resolve(code)),
  );

describe('abtest serve refuses to start without what production needs', () => {
  const runToEnd = async (args: string[], env: NodeJS.ProcessEnv, cwd: string) => {
    const r = await abtest(['serve', '--port', '0', '--workers', '1', ...args], { env, cwd }, 20_000);
    return { code: r.code, output: r.stdout + r.stderr };
  };

  it('no Redis: names --redis-url and redis_url', async () => {
    const { env, home } = serveEnv({ ABTEST_REDIS_URL: undefined });
    const r = await runToEnd([], env, home);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/✖ abtest serve needs a Redis.*\n.*--redis-url.*redis_url/);
  });

  it('no API key: names --api-key and api_key', async () => {
    const { env, home } = serveEnv({ ABTEST_API_KEY: undefined });
    const r = await runToEnd([], env, home);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/✖ abtest serve needs an API key.*\n.*--api-key.*api_key/);
  });

  it('a bad --api-key or a Redis where nothing listens: names the flag', async () => {
    const { env, home } = serveEnv();
    expect((await runToEnd(['--api-key', 'short'], env, home)).output).toMatch(/--api-key/);
    const r = await runToEnd(['--redis-url', `redis://127.0.0.1:${await freePort()}`], env, home);
    expect(r).toMatchObject({ code: 1, output: expect.stringMatching(/cannot be reached.*--redis-url/) });
  });

  it('a port in use: says so and names --port', async () => {
    const { env, home } = serveEnv();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const r = await abtest(['serve', '--port', String(port), '--workers', '2'], { env, cwd: home }, 20_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/✖ the port is already in use.*\n.*pass another --port/);
    } finally {
      taken.close();
    }
  });
});

describe('abtest serve stopped while a worker starts', () => {
  it('the worker that was starting drains once it is up: the stop ends cleanly, well within the drain deadline', async () => {
    const { env, home } = serveEnv();
    const s = await startServeProcess(['--port', '0', '--workers', '2'], { cwd: home, env });
    const [first, other] = childrenOf(s.child.pid!);
    process.kill(first, 'SIGKILL');
    // The replacement is forked (its process exists) but still loading: stop now.
    const deadline = Date.now() + 10_000;
    const replaced = () => childrenOf(s.child.pid!).some((pid) => pid !== first && pid !== other);
    while (Date.now() < deadline && !replaced()) await new Promise((r) => setTimeout(r, 5));
    expect(replaced()).toBe(true);
    const t = Date.now();
    s.child.kill('SIGTERM');
    expect(await exitOf(s)).toBe(0);
    // A worker that never heard the stop would be killed after the drain deadline (10 s) + 2 s.
    expect(Date.now() - t).toBeLessThan(8000);
  }, 30_000);
});

describe('abtest serve when Redis goes down', () => {
  it('/_status answers 503 within the deadline, and 200 again once Redis is back', async () => {
    const own = await startTestRedis();
    const { env, home } = serveEnv({ ABTEST_REDIS_URL: own.url, ABTEST_REDIS_COMMAND_TIMEOUT_MS: '1000' });
    const s = await startServeProcess(['--port', '0', '--workers', '1'], { cwd: home, env });
    try {
      expect((await fetch(`${s.base}/_status`)).status).toBe(200);
      await own.stop();
      const t = Date.now();
      const down = await fetch(`${s.base}/_status`);
      expect(down.status).toBe(503);
      expect(Date.now() - t).toBeLessThan(5000);
      expect(JSON.stringify(await down.json())).not.toMatch(/127\.0\.0\.1|ECONN/);
      const back = await startTestRedis({ port: own.port });
      try {
        const deadline = Date.now() + 10_000;
        let status = 0;
        while ((status = (await fetch(`${s.base}/_status`)).status) !== 200 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        expect(status).toBe(200);
      } finally {
        await back.stop();
      }
    } finally {
      s.child.kill('SIGTERM');
      await exitOf(s);
    }
  });
});

describe('abtest serve --workers 2', () => {
  let s: ServeProcess;
  let prefix: string;
  beforeAll(async () => {
    const started = serveEnv();
    prefix = started.prefix;
    s = await startServeProcess(['--port', '0', '--workers', '2', '--log', 'json'], {
      cwd: started.home,
      env: started.env,
    });
  });
  afterAll(() => s.child.exitCode === null && s.child.kill('SIGKILL'));

  const api = async (p: string, init: RequestInit = {}) => {
    const r = await fetch(s.base + p, init);
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
  };

  it('prints the real port it listens on, and runs two workers', () => {
    expect(s.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:(?!0\b)\d+ with 2 workers/);
    expect(childrenOf(s.child.pid!)).toHaveLength(2);
    expect(s.output()).not.toContain(KEY);
  });

  it('tracks publicly, reads results with the API key (403 without), answers CORS preflights', async () => {
    expect(await api('/track?experiment=serve&variant=a&event=participate&uuid=1')).toMatchObject({
      status: 200,
      body: { status: 'ok', stored: 1 },
    });
    expect(await api('/experiments?scope=serve')).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
    const read = await api('/experiments?scope=serve', { headers: { 'x-api-key': KEY } });
    expect(read.status).toBe(200);
    expect(read.body[1]).toMatchObject({ experiment: 'serve', variants: [{ label: 'a', participants: 1 }] });
    const pre = await fetch(`${s.base}/track`, { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET,POST,OPTIONS');
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers /_status: 200 with Redis up', async () => {
    expect(await api('/_status')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('serves no demo page and no dashboard (it would hand out the API key)', async () => {
    for (const p of ['/', '/dashboard']) {
      const r = await api(p, { headers: { Host: 'localhost' } });
      expect(r).toMatchObject({ status: 403, body: { message: 'Missing Authentication Token' } });
    }
  });

  it('logs one JSON line per request, without the query string or the API key', async () => {
    await api('/track?experiment=serve&variant=a&event=participate&uuid=secret-visitor');
    await api('/experiments?scope=serve', { headers: { 'x-api-key': KEY } });
    const deadline = Date.now() + 5000;
    const lines = () =>
      s
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{"time"'))
        .map((l) => JSON.parse(l));
    while (!lines().some((l) => l.path === '/experiments' && l.status === 200) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const track = lines().find((l) => l.path === '/track' && l.method === 'GET');
    expect(track).toEqual({
      time: expect.any(String),
      method: 'GET',
      path: '/track',
      status: 200,
      ms: expect.any(Number),
    });
    expect(lines()).toContainEqual(expect.objectContaining({ method: 'GET', path: '/experiments', status: 200 }));
    expect(s.output()).not.toMatch(/secret-visitor|serve-test-key/);
  });

  it('replaces a worker that dies', async () => {
    const [first] = childrenOf(s.child.pid!);
    process.kill(first, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const now = childrenOf(s.child.pid!);
      if (now.length === 2 && !now.includes(first)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(childrenOf(s.child.pid!)).toHaveLength(2);
    expect(childrenOf(s.child.pid!)).not.toContain(first);
    expect(s.output()).toMatch(new RegExp(`worker ${first} died \\(SIGKILL\\); replaced`));
    for (let i = 0; i < 10; i++)
      expect((await api(`/track?experiment=serve&variant=b&event=participate&uuid=r${i}`)).status).toBe(200);
  });

  it('SIGTERM under load: answers every request it accepted, then exits 0', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const base = new URL(s.base);
    let ok = 0;
    let okAfterSignal = 0;
    let signalled = false;
    const statuses: number[] = [];
    const errors: string[] = [];
    let n = 0;
    const one = () =>
      new Promise<'again' | 'refused'>((resolve) => {
        const req = http.get(
          {
            host: base.hostname,
            port: base.port,
            agent,
            path: `/track?experiment=drain&variant=a&event=participate&uuid=d${n++}`,
          },
          (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('error', (e) => {
              errors.push(`body: ${e.message}`);
              resolve('again');
            });
            res.on('end', () => {
              if (res.statusCode === 200 && JSON.parse(body).stored === 1) {
                ok++;
                if (signalled) okAfterSignal++;
              } else statuses.push(res.statusCode!);
              resolve('again');
            });
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'ECONNREFUSED') return resolve('refused');
          errors.push(e.code ?? e.message);
          resolve('again');
        });
      });
    const loops = Array.from({ length: 32 }, async () => {
      while ((await one()) === 'again' && n < 200_000);
    });
    while (ok < 300) await new Promise((r) => setTimeout(r, 20));
    // Redis holds every command for a second: the requests in flight now wait on it while the signal arrives.
    const admin = new Redis(redis.url);
    await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
    await new Promise((r) => setTimeout(r, 200));
    signalled = true;
    s.child.kill('SIGTERM');
    expect(await exitOf(s)).toBe(0);
    await Promise.all(loops);
    agent.destroy();
    const counted = await admin.scard(experimentKeys(prefix, 'alephbet', 'drain').counter('participate', 'a'));
    admin.disconnect();
    expect(statuses).toEqual([]);
    // A request sent on a keep-alive connection as the server closed it is refused, never half answered.
    expect(errors.filter((e) => e !== 'ECONNRESET' && e !== 'socket hang up')).toEqual([]);
    expect(okAfterSignal).toBeGreaterThan(0);
    expect(counted).toBe(ok);
    expect(s.output()).toMatch(/stopped\n/);
  }, 60_000);
});
