import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pingRedis } from '../../cli/dev/redis-server';
import { startDevProcess } from '../helpers/cli';

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
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-dev-home-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ABTEST_')));
  const dev = await startDevProcess(['--port', '0'], { cwd: home, env: { ...env, HOME: home } });
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
const admin = (p: string, init: RequestInit = {}) => api(p, { ...init, headers: { 'x-api-key': key, ...(init.headers ?? {}) } });

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
      variants: [{ label: 'blue', participants: 1 }, { label: 'red', participants: 1 }],
      goals: [{ goal: 'click', results: [{ label: 'blue', successes: 1, trials: 1 }, { label: 'red', successes: 0, trials: 1 }] }],
    });
    expect((await admin('/delete?experiment=dev+test', { method: 'DELETE' })).status).toBe(200);
    expect((await admin('/experiments?scope=dev+test')).body).toHaveLength(1);
  });

  it('answers like API Gateway: 404, 405, CORS preflight, 413, all JSON', async () => {
    expect(await api('/nope')).toMatchObject({ status: 404, body: { status: 'failed', message: expect.stringContaining('no route /nope') } });
    const put = await api('/track', { method: 'PUT' });
    expect(put).toMatchObject({ status: 405, body: { status: 'failed' } });
    expect(put.headers.get('allow')).toBe('GET,POST,OPTIONS');
    const pre = await fetch(base + '/experiments', { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET,OPTIONS');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/X-Api-Key/i);
    const big = await api('/track', { method: 'POST', body: 'x'.repeat(300_000) });
    expect(big.status).toBe(413);
    const bad = await api('/track?experiment=e&variant=v&event=participate');
    expect(bad).toMatchObject({ status: 400, body: { field: 'uuid' } });
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
      while (JSON.parse(storage.get('alephbet') ?? '{}')._gimel_queue !== '[]' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(JSON.parse(JSON.parse(storage.get('alephbet')!)._gimel_queue)).toEqual([]);
      const res = await admin('/experiments?scope=alephbet+button');
      const variant = shown[0];
      expect(res.body[1].variants).toEqual([{ label: variant, participants: 1 }]);
      expect(res.body[1].goals).toEqual([{ goal: 'button clicked', results: [{ label: variant, successes: 1, trials: 1 }] }]);
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
