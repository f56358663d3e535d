import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { startDevProcess, userEnv } from '../helpers/cli';

// The real client, unmodified (npm sixpack-client 2.1.0); it has no types.
const sixpack = require('sixpack-client') as {
  Session: new (options: Record<string, unknown>) => SixpackSession;
};

interface SixpackAnswer {
  status: string;
  alternative?: { name: string };
  message?: string;
  excluded?: string;
  conversion?: { value: null; kpi: string | null };
}
interface SixpackSession {
  client_id: string;
  participate(
    experiment: string,
    alternatives: string[],
    fraction: number | null,
    force: string | null,
    cb: (err: Error | null, res: SixpackAnswer) => void,
  ): void;
  convert(experiment: string, kpi: string | null, cb: (err: Error | null, res: SixpackAnswer) => void): void;
}

/**
 * Sixpack's own Node client (2.1.0, unmodified) against the built `abtest dev`: participate,
 * convert, KPI, force, traffic fraction and errors, then the counts it left through `/experiments`.
 */

let child: ChildProcess;
let base: string;
let apiKey: string;
beforeAll(async () => {
  const { env, home } = userEnv();
  const dev = await startDevProcess(['--port', '0'], { cwd: home, env: { ...env, ABTEST_COUNTING: 'exact' } });
  ({ child, base, apiKey } = dev);
});
afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

const session = (options: Record<string, unknown> = {}) =>
  new sixpack.Session({ base_url: base, timeout: 5000, ...options });
const participate = (
  s: SixpackSession,
  experiment: string,
  alternatives: string[],
  fraction: number | null = null,
  force: string | null = null,
) =>
  new Promise<SixpackAnswer>((resolve, reject) =>
    s.participate(experiment, alternatives, fraction, force, (err, res) => (err ? reject(err) : resolve(res))),
  );
const convert = (s: SixpackSession, experiment: string, kpi: string | null = null) =>
  new Promise<SixpackAnswer>((resolve, reject) =>
    s.convert(experiment, kpi, (err, res) => (err ? reject(err) : resolve(res))),
  );
const sha1Choice = (experiment: string, clientId: string, alternatives: string[]) =>
  alternatives[
    Number.parseInt(createHash('sha1').update(`${experiment}.${clientId}`).digest('hex').slice(0, 7), 16) %
      alternatives.length
  ];

async function results(experiment: string) {
  const res = await fetch(`${base}/experiments?scope=${encodeURIComponent(experiment)}`, {
    headers: { 'x-api-key': apiKey },
  });
  const [, r] = (await res.json()) as [
    unknown,
    {
      variants: { label: string; participants: number }[];
      goals: { goal: string; results: { label: string; successes: number }[] }[];
    },
  ];
  return r;
}

describe('sixpack-client 2.1.0 against abtest dev', () => {
  it('participate and convert (with and without a KPI) as Sixpack would answer, counted once each', async () => {
    const alternatives = ['red', 'blue'];
    const sessions = Array.from({ length: 20 }, () => session());
    for (const s of sessions) {
      const res = await participate(s, 'button-color', alternatives);
      expect(res).toMatchObject({
        status: 'ok',
        alternative: { name: sha1Choice('button-color', s.client_id, alternatives) },
      });
      // The same alternative again.
      expect((await participate(s, 'button-color', alternatives)).alternative!.name).toBe(res.alternative!.name);
    }
    for (const s of sessions.slice(0, 5)) {
      expect(await convert(s, 'button-color')).toMatchObject({ status: 'ok', conversion: { value: null, kpi: null } });
      expect(await convert(s, 'button-color', 'purchase')).toMatchObject({
        status: 'ok',
        conversion: { kpi: 'purchase' },
      });
    }
    const r = await results('button-color');
    expect(r.variants.reduce((a, v) => a + v.participants, 0)).toBe(20);
    const total = (goal: string) => r.goals.find((g) => g.goal === goal)!.results.reduce((a, x) => a + x.successes, 0);
    expect(total('convert')).toBe(5);
    expect(total('purchase')).toBe(5);
  });

  it('force: the client answers it itself; record_force-free, so nothing is counted', async () => {
    const s = session();
    const res = await participate(s, 'forced', ['red', 'blue'], null, 'blue');
    expect(res.alternative!.name).toBe('blue');
    expect(await results('forced')).toBeUndefined();
  });

  it('traffic fraction: a visitor outside it gets the control and cannot convert; inside, it converts', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const s = session();
        const res = await participate(s, 'fraction', ['red', 'blue'], 0.5);
        return { res, conv: await convert(s, 'fraction') };
      }),
    );
    const out = answers.filter((a) => a.conv.status === 'failed');
    expect(out.length).toBeGreaterThan(5);
    expect(out.length).toBeLessThan(55);
    for (const a of out) {
      expect(a.res.alternative!.name).toBe('red');
      expect(a.conv.message).toBe('this client was not participating');
    }
    const r = await results('fraction');
    expect(r.variants.reduce((a, v) => a + v.participants, 0)).toBe(60 - out.length);
  });

  it('errors reach the callback as Sixpack bodies; a bot is answered but not counted', async () => {
    const s = session();
    await participate(s, 'errs', ['red', 'blue']);
    expect(await participate(s, 'errs', ['red', 'green'])).toEqual({
      status: 'failed',
      message: 'experiment alternatives have changed. please delete in the admin',
    });
    expect(await convert(session(), 'errs')).toEqual({
      status: 'failed',
      message: 'this client was not participating',
    });
    expect(await convert(session(), 'no-such-experiment')).toEqual({
      status: 'failed',
      message: 'experiment does not exist',
    });
    expect(await convert(s, 'errs', 'bad kpi')).toEqual({ status: 'failed', message: 'invalid kpi name' });
    const bot = session({ user_agent: 'Googlebot/2.1' });
    expect((await participate(bot, 'errs', ['red', 'blue'])).alternative!.name).toBe('red');
    expect(await convert(bot, 'errs')).toEqual({ status: 'ok', excluded: 'true' });
    expect((await results('errs')).variants.reduce((a, v) => a + v.participants, 0)).toBe(1);
  });
});
