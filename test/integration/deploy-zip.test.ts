import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yauzl from 'yauzl';
import { run as deploy } from '../../cli/commands/deploy';
import { FakeAws } from '../helpers/fake-aws';
import { proxyEvent } from '../helpers/events';
import { startTestRedis, uniquePrefix, type PrivateRedis } from '../helpers/redis';

/** The entries of a zip, by name. */
function unzip(zip: Buffer): Promise<Record<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, file) => {
      if (err) return reject(err);
      const out: Record<string, Buffer> = {};
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out[entry.fileName] = Buffer.concat(chunks);
            file.readEntry();
          });
        });
      });
      file.on('end', () => resolve(out));
      file.readEntry();
    });
  });
}

/** Calls `handler` (e.g. `track.handler`) of the unzipped code in a fresh Node process with the function's environment. */
function invoke(
  codeDir: string,
  handler: string,
  env: Record<string, string>,
  events: unknown[],
): { statusCode: number; body: string }[] {
  const [file, name] = handler.split('.');
  const script = `const h = require(${JSON.stringify(path.join(codeDir, `${file}.js`))})[${JSON.stringify(name)}];
let input = ''; process.stdin.on('data', (d) => (input += d)).on('end', async () => {
  const out = []; for (const e of JSON.parse(input)) out.push(await h(e));
  process.stdout.write(JSON.stringify(out)); process.exit(0);
});`;
  const child = spawnSync(process.execPath, ['-e', script], {
    input: JSON.stringify(events),
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (child.status !== 0) throw new Error(`handler process failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

let redis: PrivateRedis;
let dir: string;
let fake: FakeAws;
beforeAll(async () => {
  redis = await startTestRedis();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-zip-'));
  fake = new FakeAws().install();
});
afterAll(async () => {
  fake.restore();
  fs.rmSync(dir, { recursive: true, force: true });
  await redis.stop();
});

it('uploads zips whose handlers count events with the deployed environment', async () => {
  const prefix = uniquePrefix();
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({ redis_url: redis.url, key_prefix: prefix, region: 'us-east-1', counting: 'exact' }),
  );
  await deploy({ config }, { sleep: async () => {}, env: {} });

  const fn = (name: string) => {
    const f = fake.functions.get(`abtest-prod-${name}`)!;
    const codeDir = path.join(dir, name);
    return { f, codeDir };
  };
  for (const name of ['track', 'experiments']) {
    const { f, codeDir } = fn(name);
    const entries = await unzip(f.latest.zip);
    expect(Object.keys(entries)).toEqual([`${name}.js`]);
    fs.mkdirSync(codeDir);
    fs.writeFileSync(path.join(codeDir, `${name}.js`), entries[`${name}.js`]);
  }
  const track = fn('track');
  const env = track.f.latest.config.Environment.Variables as Record<string, string>;
  expect(env).toEqual({ ABTEST_REDIS_URL: redis.url, ABTEST_KEY_PREFIX: prefix, ABTEST_COUNTING: 'exact' });

  const q = (variant: string, event: string, uuid: string) => ({
    namespace: 'shop',
    experiment: 'button',
    variant,
    event,
    uuid,
  });
  const answers = invoke(track.codeDir, track.f.latest.config.Handler, env, [
    proxyEvent('GET', '/track', { query: q('green', 'participate', 'u1') }),
    proxyEvent('GET', '/track', { query: q('green', 'participate', 'u1') }),
    proxyEvent('GET', '/track', { query: q('green', 'participate', 'u2') }),
    proxyEvent('POST', '/track', {
      body: JSON.stringify(q('green', 'bought', 'u2')),
      headers: { 'Content-Type': 'application/json' },
    }),
    proxyEvent('GET', '/track', { query: { namespace: 'shop' } }),
  ]);
  expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 400]);

  const experiments = fn('experiments');
  const [results] = invoke(experiments.codeDir, 'experiments.handler', env, [
    proxyEvent('GET', '/experiments', { query: { namespace: 'shop' } }),
  ]);
  expect(results.statusCode).toBe(200);
  const body = JSON.parse(results.body);
  expect(body[1]).toMatchObject({
    experiment: 'button',
    counting: 'exact',
    variants: [{ label: 'green', participants: 2 }],
    goals: [{ goal: 'bought', results: [{ label: 'green', successes: 1, trials: 2 }] }],
  });
});
