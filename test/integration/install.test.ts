import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevProcess, userEnv } from '../helpers/cli';

/**
 * The package as a user installs it: `npm pack`'s tarball (of the built tree) installed with
 * `npm install -g` into a temporary prefix, then `abtest` run from that prefix's bin.
 * Dependencies come from npm's cache when they are there (--prefer-offline).
 */
const root = path.join(__dirname, '..', '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-install-'));
const prefix = path.join(work, 'prefix');
const npm = (args: string[], cwd = root) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund'], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
let files: string[] = [];

beforeAll(() => {
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work]));
  files = packed[0].files.map((f: { path: string }) => f.path);
  npm(['install', '-g', '--prefix', prefix, '--prefer-offline', path.join(work, packed[0].filename)], work);
}, 240_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('npm pack + npm install -g', () => {
  it('the tarball holds what the CLI needs and no tests', () => {
    const needed = [
      'dist/cli.js',
      'dist/lambdas/track.js',
      'dist/browser/abtest.js',
      'dist/dashboard/index.html',
      'wiring.json',
    ];
    // deploy bundles the Lambdas again from their sources
    for (const f of [...needed, 'lambdas/track.ts', 'src/api.ts']) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('cli/') || f.includes('node_modules'))).toEqual(
      [],
    );
  });

  it('puts abtest on the PATH of the prefix and it answers --help', () => {
    const bin = path.join(prefix, 'bin', 'abtest');
    expect(fs.existsSync(bin)).toBe(true);
    const help = execFileSync(bin, ['--help'], { encoding: 'utf8' });
    expect(help).toMatch(/Usage: abtest/);
    expect(help).toMatch(/\bdev\b/);
  });

  it('runs abtest dev from the installed package (its own bundles and wiring)', async () => {
    const { env, home } = userEnv();
    const installed = path.join(prefix, 'lib', 'node_modules', 'abtest', 'dist', 'cli.js');
    const dev = await startDevProcess(['--port', '0'], { cwd: home, env, cli: installed });
    try {
      const r = await fetch(`${dev.base}/track?experiment=installed&variant=a&event=participate&uuid=1`);
      expect(await r.json()).toEqual({ status: 'ok', stored: 1 });
      const results = await fetch(`${dev.base}/experiments?scope=installed`, { headers: { 'x-api-key': dev.apiKey } });
      expect((await results.json())[1]).toMatchObject({
        experiment: 'installed',
        variants: [{ label: 'a', participants: 1 }],
      });
    } finally {
      const exited = new Promise((resolve) => dev.child.once('exit', resolve));
      dev.child.kill('SIGINT');
      await exited;
    }
  });
});
