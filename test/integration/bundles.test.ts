import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import commands from '@ioredis/commands/built/commands.json';
import { CHECKED_FLAGS, compactCommands } from '../../cli/deploy/trim-ioredis';
import { configToEnv } from '../../src/config';
import { startTestCluster, testConfig, type TestCluster } from '../helpers/redis';

const root = path.join(__dirname, '..', '..');

/** Loads the CommonJS text that the bundle carries instead of commands.json. */
function load(source: string): unknown {
  const module = { exports: {} as unknown };
  new Function('module', source)(module);
  return module.exports;
}

describe('the Lambda bundles', () => {
  it('are each under the 150 KB budget (npm run build made them)', () => {
    const dir = path.join(root, 'dist', 'lambdas');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.js'));
    expect(files.sort()).toEqual(['admin.js', 'delete.js', 'experiments.js', 'sixpack.js', 'track.js']);
    const over = files.filter((f) => fs.statSync(path.join(dir, f)).size > 150 * 1024);
    expect(over).toEqual([]);
  });

  it('carry every Redis command with its key positions and the flags ioredis checks', () => {
    const table = commands as Record<string, { flags: string[]; keyStart: number; keyStop: number; step: number }>;
    const expected = Object.fromEntries(
      Object.entries(table).map(([name, c]) => [
        name,
        {
          flags: CHECKED_FLAGS.filter((f) => c.flags.includes(f)),
          keyStart: c.keyStart,
          keyStop: c.keyStop,
          step: c.step,
        },
      ]),
    );
    const compact = compactCommands(table as never);
    expect(load(compact)).toEqual(expected);
    expect(compact.length).toBeLessThan(JSON.stringify(table).length / 3);
  });

  it('keep every flag that ioredis asks hasFlag about', () => {
    const asked = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith('.js')) {
          const text = fs.readFileSync(file, 'utf8');
          for (const m of text.matchAll(/hasFlag\)?\(\s*[^,()]+(?:\([^)]*\))?,\s*(["'`])?([^,)]+?)\1?\s*[,)]/g))
            asked.add(m[2]);
        }
      }
    };
    walk(path.join(root, 'node_modules', 'ioredis', 'built'));
    expect([...asked].sort()).toEqual([...CHECKED_FLAGS].sort());
  });
});

/** Calls the built handlers in a process of their own, one event after the other; their answers. */
function callBundles(env: Record<string, string>, calls: [string, object][]): { statusCode: number; body: string }[] {
  const dir = path.join(root, 'dist', 'lambdas');
  const script = `(async () => {
    const out = [];
    for (const [name, event] of JSON.parse(require('fs').readFileSync(0, 'utf8'))) {
      out.push(await require(require('path').join(${JSON.stringify(dir)}, name + '.js')).handler(event));
    }
    console.log(JSON.stringify(out));
    process.exit(0);
  })()`;
  const child = spawnSync(process.execPath, ['-e', script], {
    input: JSON.stringify(calls),
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (child.status !== 0) throw new Error(`the bundles failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

describe('the built bundles (compacted command table) against a real 3-master Redis Cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('track, read and delete experiments whose keys sit on different nodes', () => {
    const env = configToEnv(testConfig(cluster.url, { redis_cluster: true, counting: 'exact' }));
    const get = (path: string, httpMethod: string, query: Record<string, string>) => ({
      resource: path,
      path,
      httpMethod,
      headers: {},
      queryStringParameters: query,
      body: null,
      isBase64Encoded: false,
    });
    const names = Array.from({ length: 6 }, (_, i) => `e${i}`);
    const track = names.flatMap((experiment) => [
      ['track', get('/track', 'GET', { namespace: 'ns', experiment, variant: 'a', event: 'participate', uuid: 'u1' })],
      ['track', get('/track', 'GET', { namespace: 'ns', experiment, variant: 'a', event: 'buy', uuid: 'u1' })],
    ]) as [string, object][];
    const answers = callBundles(env, [
      ...track,
      ['experiments', get('/experiments', 'GET', { namespace: 'ns' })],
      ['delete', get('/delete', 'DELETE', { namespace: 'ns', experiment: 'e0' })],
      ['experiments', get('/experiments', 'GET', { namespace: 'ns' })],
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200));
    const listed = (a: { body: string }) => (JSON.parse(a.body) as { experiment?: string }[]).slice(1);
    const before = listed(answers[track.length]);
    expect(before.map((e) => e.experiment)).toEqual(names);
    expect(before[0]).toMatchObject({
      goals: [{ goal: 'buy', results: [{ label: 'a', successes: 1, trials: 1 }] }],
      variants: [{ label: 'a', participants: 1 }],
    });
    expect(listed(answers[track.length + 2]).map((e) => e.experiment)).toEqual(names.slice(1));
  }, 60_000);
});
