import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { validateConfig } from '../../src/config';
import { UnavailableError } from '../../src/errors';
import { guard, type HotClient } from '../../src/store/redis';

// guard() watches every operation's deadline with one timer: operations of other lengths, in
// any order, each fail at their own deadline, answers after a deadline change nothing, and
// nothing is left to hold the process open.
const config = (ms: number) =>
  validateConfig({ redis_url: 'redis://127.0.0.1:1', redis_command_timeout_ms: ms, redis_connect_timeout_ms: 10 });
const client = {} as HotClient;
const never = () => new Promise<never>(() => {});

async function failsAfter(p: Promise<unknown>): Promise<number> {
  const started = Date.now();
  await expect(p).rejects.toBeInstanceOf(UnavailableError);
  return Date.now() - started;
}

describe('the deadlines of store operations', () => {
  it('fails a short operation begun after a long one at its own deadline', async () => {
    const long = guard(client, config(1500), never);
    const short = failsAfter(guard(client, config(60), never));
    expect(await short).toBeLessThan(600);
    expect(await failsAfter(long)).toBeGreaterThan(300);
  });

  it('fails each of many operations in flight at its deadline, and answers the ones that finish in time', async () => {
    const slow = Array.from({ length: 50 }, () => guard(client, config(80), never));
    const fast = Array.from({ length: 50 }, (_, i) => guard(client, config(80), async () => i));
    expect(await Promise.all(fast)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const results = await Promise.allSettled(slow);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof UnavailableError)).toBe(true);
  });

  it('holds no process open once nothing is in flight (a 30 s deadline, answered at once)', () => {
    const code = `
      const { validateConfig } = require('./src/config');
      const { guard } = require('./src/store/redis');
      const config = validateConfig({ redis_url: 'redis://127.0.0.1:1', redis_command_timeout_ms: 30000 });
      Promise.all([1, 2, 3].map((i) => guard({}, config, async () => i))).then((v) => console.log(v.join(',')));`;
    const started = Date.now();
    const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: path.join(__dirname, '../..'),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(out.stdout.trim()).toBe('1,2,3');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('keeps the first outcome: an answer after the deadline, or a failure after an answer, changes nothing', async () => {
    let answer: (v: string) => void = () => {};
    const late = guard(client, config(40), () => new Promise<string>((r) => (answer = r)));
    await expect(late).rejects.toBeInstanceOf(UnavailableError);
    answer('too late');
    await expect(guard(client, config(40), async () => 'ok')).resolves.toBe('ok');
    let fail: (e: Error) => void = () => {};
    const failing = guard(client, config(1000), () => new Promise<string>((_, r) => (fail = r)));
    fail(new Error('Connection is closed'));
    await expect(failing).rejects.toBeInstanceOf(UnavailableError);
  });
});
