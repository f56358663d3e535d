import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { freePort, pingRedis, startRedisServer, type PrivateRedis } from '../../cli/dev/redis-server';
import { abtest, startDevProcess, userEnv } from '../helpers/cli';

/** Runs the built CLI to its end (killed after 15 s: a dev that serves instead of failing). */
const runToEnd = async (args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) => {
  const r = await abtest(args, opts, 15_000);
  return { code: r.code, output: r.stdout + r.stderr };
};

/**
 * `abtest dev` as a user runs it: the built binary, no config anywhere (so it starts its own
 * redis-server), spoken to over HTTP.
 */
let child: ChildProcess;
let output: () => string;
let base = '';
let key = '';
let redisPort = 0;

beforeAll(async () => {
  const { env, home } = userEnv();
  const dev = await startDevProcess(['--port', '0'], { cwd: home, env });
  ({ child, base, apiKey: key } = dev);
  output = dev.output;
  redisPort = Number(output().match(/redis +redis:\/\/127\.0\.0\.1:(\d+) \(private/)![1]);
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

const api = async (p: string, init: RequestInit = {}) => {
  const r = await fetch(base + p, init);
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
};
const admin = (p: string, init: RequestInit = {}) =>
  api(p, { ...init, headers: { 'x-api-key': key, ...(init.headers ?? {}) } });

describe('abtest dev over HTTP', () => {
  it('prints where it serves and what it runs on', () => {
    expect(output()).toMatch(/track +http:\/\/127\.0\.0\.1:\d+\/track/);
    expect(output()).toMatch(/experiments +http:\/\/127\.0\.0\.1:\d+\/experiments/);
    expect(output()).toMatch(/private redis-server, removed on exit/);
  });

  it('tracks through the built bundles and reports results behind the API key', async () => {
    expect((await api('/track?experiment=dev+test&variant=red&event=participate&uuid=1')).status).toBe(200);
    const batch = await api('/track', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify([
        { experiment: 'dev test', variant: 'blue', event: 'participate', uuid: '2' },
        { experiment: 'dev test', variant: 'blue', event: 'click', uuid: '2' },
      ]),
    });
    expect(batch).toMatchObject({ status: 200, body: { status: 'ok', stored: 2 } });
    expect(batch.headers.get('cache-control')).toBe('no-store');
    expect((await api('/experiments')).status).toBe(403);
    expect((await api('/experiments', { headers: { 'x-api-key': 'wrong' } })).status).toBe(403);
    const res = await admin('/experiments?scope=dev+test');
    expect(res.status).toBe(200);
    expect(res.body[1]).toMatchObject({
      experiment: 'dev test',
      variants: [
        { label: 'blue', participants: 1 },
        { label: 'red', participants: 1 },
      ],
      goals: [
        {
          goal: 'click',
          results: [
            { label: 'blue', successes: 1, trials: 1 },
            { label: 'red', successes: 0, trials: 1 },
          ],
        },
      ],
    });
    expect((await admin('/delete?experiment=dev+test', { method: 'DELETE' })).status).toBe(200);
    expect((await admin('/experiments?scope=dev+test')).body).toHaveLength(1);
  });

  it('answers like API Gateway: 403 Missing Authentication Token, 403 Forbidden, CORS preflight, 413', async () => {
    const missing = { status: 403, body: { message: 'Missing Authentication Token' } };
    const unknown = await api('/nope');
    expect(unknown).toMatchObject(missing);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await api('/track', { method: 'PUT' })).toMatchObject(missing);
    expect(await api('/nope', { method: 'OPTIONS' })).toMatchObject(missing);
    const wrongKey = await api('/experiments', { headers: { 'x-api-key': 'wrong' } });
    expect(wrongKey).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
    expect(wrongKey.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
    const pre = await fetch(`${base}/experiments`, { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET,OPTIONS');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/X-Api-Key/i);
    const big = await api('/track', { method: 'POST', body: 'x'.repeat(300_000) });
    expect(big).toMatchObject({ status: 413, body: { status: 'failed', field: 'body' } });
    const bad = await api('/track?experiment=e&variant=v&event=participate');
    expect(bad).toMatchObject({ status: 400, body: { field: 'uuid' } });
  });

  it('a parameter or header named like an Object property is only a name, not a crash', async () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    for (const n of names) {
      expect((await api(`/track?${n}=1&${n}=2`)).status).toBe(400);
      const ok = await api(`/track?experiment=proto&variant=a&event=participate&uuid=${n}&${n}=x`, {
        headers: { [n]: 'x' },
      });
      expect(ok.status).toBe(200);
      expect((await admin(`/experiments?${n}=1`)).status).toBe(200);
    }
    expect(child.exitCode).toBeNull();
    expect((await admin('/experiments?scope=proto')).body[1].variants).toEqual([
      { label: 'a', participants: names.length },
    ]);
  });

  it('serves /dashboard (it holds the API key) only to loopback host names', async () => {
    const page = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get(`${base}/dashboard`, { headers: { Host: host } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
      });
    const port = new URL(base).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const local = await page(host);
      expect(local.status).toBe(200);
      expect(local.body).toContain(key);
    }
    const rebound = await page(`attacker.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain(key);
  });

  it('the Alephbet library (GimelAdapter), unmodified, tracks participate and a goal', async () => {
    const storage = new Map<string, string>();
    const g = globalThis as Record<string, unknown>;
    g.window = { fetch: globalThis.fetch };
    g.localStorage = {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => void storage.set(k, String(v)),
      removeItem: (k: string) => void storage.delete(k),
    };
    try {
      const AlephBet = require('alephbet');
      const adapter = new AlephBet.GimelAdapter(`${base}/track`, 'alephbet');
      const shown: string[] = [];
      const experiment = new AlephBet.Experiment({
        name: 'alephbet button',
        tracking_adapter: adapter,
        variants: { red: { activate: () => shown.push('red') }, blue: { activate: () => shown.push('blue') } },
      });
      const goal = new AlephBet.Goal('button clicked');
      experiment.add_goal(goal);
      goal.complete();
      goal.complete();
      // The adapter empties its persistent queue when the server answers 200.
      const deadline = Date.now() + 5000;
      while (JSON.parse(storage.get('alephbet') ?? '{}')._gimel_queue !== '[]' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(JSON.parse(JSON.parse(storage.get('alephbet')!)._gimel_queue)).toEqual([]);
      const res = await admin('/experiments?scope=alephbet+button');
      const variant = shown[0];
      expect(res.body[1].variants).toEqual([{ label: variant, participants: 1 }]);
      expect(res.body[1].goals).toEqual([
        { goal: 'button clicked', results: [{ label: variant, successes: 1, trials: 1 }] },
      ]);
    } finally {
      delete g.window;
      delete g.localStorage;
    }
  });

  it('stops cleanly on Ctrl-C and removes its private Redis', async () => {
    expect(await pingRedis('127.0.0.1', redisPort)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toMatch(/stopped/);
    expect(await pingRedis('127.0.0.1', redisPort)).toBe(false);
  });
});

describe('abtest dev starting and ending', () => {
  const redisPortOf = (out: string) => Number(out.match(/redis +redis:\/\/[^@\s]*@?127\.0\.0\.1:(\d+)/)![1]);
  const leftIn = (tmp: string) => fs.readdirSync(tmp).filter((n) => n.startsWith('abtest-redis-'));

  it.each(['SIGTERM', 'SIGHUP'] as const)(
    '%s stops the private redis-server and removes its temp dir',
    async (signal) => {
      const { env, home, tmp } = userEnv();
      const dev = await startDevProcess(['--port', '0'], { cwd: home, env });
      const port = redisPortOf(dev.output());
      expect(leftIn(tmp)).toHaveLength(1);
      const exited = new Promise<number | null>((resolve) => dev.child.once('exit', (code) => resolve(code)));
      dev.child.kill(signal);
      expect(await exited).toBe(0);
      expect(await pingRedis('127.0.0.1', port)).toBe(false);
      expect(leftIn(tmp)).toEqual([]);
    },
  );

  it('a failure at start (the port is taken) removes them too', async () => {
    const { env, home, tmp } = userEnv();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const r = await runToEnd(['dev', '--port', String(port)], { cwd: home, env });
      expect(r.code).toBe(1);
      expect(r.output).toMatch(/✖ the port is already in use/);
      expect(leftIn(tmp)).toEqual([]);
    } finally {
      taken.close();
    }
  });

  describe('with a configured Redis that wants a password', () => {
    let secured: PrivateRedis;
    beforeAll(async () => {
      secured = await startRedisServer({ args: ['--requirepass', 's3cret-pw'] });
    });
    afterAll(() => secured.stop());
    const url = (auth: string, db = '0') => `redis://${auth}127.0.0.1:${secured.port}/${db}`;

    it.each([
      ['a wrong password', () => url(':wrong-pw@'), /refused the user or password/],
      ['no password', () => url(''), /needs a password/],
      ['a database index Redis does not have', () => url(':s3cret-pw@', '99'), /has no database 99/],
    ])('refuses to start with %s, in one sentence naming --redis-url', async (_what, redisUrl, why) => {
      const { env, home, tmp } = userEnv();
      const r = await runToEnd(['dev', '--port', '0', '--redis-url', redisUrl()], { cwd: home, env });
      expect(r.code).toBe(1);
      expect(r.output).toMatch(why);
      expect(r.output).toMatch(/pass a working --redis-url/);
      expect(r.output).not.toMatch(/pw@|Press Ctrl-C/);
      expect(leftIn(tmp)).toEqual([]);
    });

    it('names the flag of an unparsable --redis-url without printing its password', async () => {
      const { env, home } = userEnv();
      const r = await runToEnd(['dev', '--port', '0', '--redis-url', 'redis://:s3cret-pw@redis.internal:99999'], {
        cwd: home,
        env,
      });
      expect(r).toMatchObject({ code: 1, output: expect.stringMatching(/--redis-url/) });
      expect(r.output).not.toContain('s3cret-pw');
    });

    it('refuses a Redis where nothing listens', async () => {
      const { env, home } = userEnv();
      const r = await runToEnd(['dev', '--port', '0', '--redis-url', `redis://127.0.0.1:${await freePort()}`], {
        cwd: home,
        env,
      });
      expect(r).toMatchObject({ code: 1, output: expect.stringMatching(/cannot be reached.*--redis-url/) });
    });

    it('prints the real address, hides the password, keeps /dashboard local unless exposed', async () => {
      const { env, home } = userEnv();
      const dev = await startDevProcess(['--port', '0', '--host', '0.0.0.0', '--redis-url', url(':s3cret-pw@')], {
        cwd: home,
        env,
      });
      try {
        expect(dev.output()).not.toContain('s3cret-pw');
        expect(dev.output()).toContain(`redis        redis://:***@127.0.0.1:${secured.port}/0 (configured)`);
        expect(dev.output()).toMatch(/listening on 0\.0\.0\.0:\d+/);
        expect(dev.output()).toMatch(/dashboard +http:\/\/127\.0\.0\.1:\d+\/dashboard/);
        expect(dev.output()).toMatch(/served only to localhost/);
        expect((await fetch(`${dev.base}/track?experiment=e&variant=a&event=participate&uuid=u`)).status).toBe(200);
      } finally {
        dev.child.kill('SIGKILL');
      }
      const exposed = await startDevProcess(['--port', '0', '--expose-dashboard', '--redis-url', url(':s3cret-pw@')], {
        cwd: home,
        env,
      });
      exposed.child.kill('SIGKILL');
      expect(exposed.output()).toMatch(/⚠ \/dashboard hands the API key to anyone who can load it/);
    });
  });
});
