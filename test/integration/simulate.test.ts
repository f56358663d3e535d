import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseExperiment, type SimulateResult } from '../../cli/commands/simulate';
import { InputError } from '../../src/errors';
import { CLI, startDevProcess } from '../helpers/dev-process';

/** `abtest simulate` as a user runs it: the built binary, a clean HOME, no ABTEST_* variables. */
const cli = CLI;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run npm run build first');
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-simulate-'));
  env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ABTEST_'))), HOME: home };
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const simulate = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, 'simulate', ...args], { cwd: home, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const json = (...args: string[]): SimulateResult => {
  const r = simulate('--json', ...args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
};

describe('parseExperiment', () => {
  it('reads name[/goal]:label=weight@rate,...', () => {
    expect(parseExperiment('button/click:red=1@0.10,green=2@0.125')).toEqual({
      name: 'button', goal: 'click', variants: [{ label: 'red', weight: 1, rate: 0.1 }, { label: 'green', weight: 2, rate: 0.125 }],
    });
    expect(parseExperiment('hero:a=1@0,b=1@1').goal).toBe('convert');
  });

  it.each(['button', 'button:red=1', 'button:red=0@0.1,green=1@0.1', 'button:red=1@1.5,green=1@0.1'])('refuses %s with the format in the message', (spec) => {
    expect(() => parseExperiment(spec)).toThrow(InputError);
    expect(() => parseExperiment(spec)).toThrow(/name\[\/goal\]:label=weight@rate/);
  });
});

describe('abtest simulate (built binary, its own abtest dev)', () => {
  it('in exact mode every counter equals the distinct visitors sent, and a seed reproduces the run', () => {
    const a = json('--counting', 'exact', '--visitors', '300', '--seed', '7');
    expect(a.problems).toEqual([]);
    expect(a.server).toBe('started');
    expect(a.requests.duplicates).toBeGreaterThan(0);
    expect(a.requests.lostAndRetried).toBeGreaterThan(0);
    expect(a.experiments.map((e) => e.name)).toEqual(['button', 'pricing']);
    for (const e of a.experiments) {
      expect(e.counting).toBe('exact');
      expect(e.variants.reduce((s, v) => s + v.participants, 0)).toBe(300);
      for (const v of e.variants) {
        expect(v.participants).toBe(v.sentParticipants);
        expect(v.conversions).toBe(v.sentConversions);
      }
    }
    expect(a.independence).toHaveLength(1);
    expect(a.independence[0].cells).toHaveLength(6);

    const b = json('--counting', 'exact', '--visitors', '300', '--seed', '7');
    expect(b.experiments).toEqual(a.experiments);
    expect(b.independence).toEqual(a.independence);
    const c = json('--counting', 'exact', '--visitors', '300', '--seed', '8');
    expect(c.experiments).not.toEqual(a.experiments);
  });

  it('prints the report and takes experiments from --experiment', () => {
    const r = simulate('--counting', 'exact', '--visitors', '200', '--experiment', 'hero/signup:a=1@0.2,b=3@0.3', '--experiment', 'menu:x=1@0.5,y=1@0.5', '--concurrency', '2');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^abtest simulate: 200 visitors, seed 1, 2 experiments/);
    expect(r.stdout).toMatch(/hero \(goal signup\), counting exact/);
    expect(r.stdout).toMatch(/^ {2}b +3 +75\.00%/m);
    expect(r.stdout).toMatch(/sample ratio: χ² = [\d.]+, df 1, p = [\d.e-]+ → (no mismatch|MISMATCH)/);
    expect(r.stdout).toMatch(/independence of hero × menu/);
    expect(r.stdout).toMatch(/✔ every counter equals the distinct visitors sent/);
  });

  it('refuses a bad --experiment with one ✖ line and exit code 1', () => {
    const r = simulate('--experiment', 'oops');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^✖ cannot read --experiment "oops"/);
  });
});

describe('abtest simulate --url (an abtest dev already running)', () => {
  let child: ChildProcess;
  let base = '';
  let key = '';

  beforeAll(async () => {
    ({ child, base, apiKey: key } = await startDevProcess(['--port', '0'], { cwd: home, env }));
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });

  it('sends to the given URL; in HLL mode the counters stay within their error', () => {
    const r = json('--url', base, '--api-key', key, '--visitors', '300');
    expect(r.server).toBe('given');
    expect(r.url).toBe(base);
    expect(r.problems).toEqual([]);
    for (const e of r.experiments) expect(e.counting).toBe('hll');
  });

  it('names the fix when the API key is wrong or missing', () => {
    const wrong = simulate('--url', base, '--api-key', 'not-the-key-at-all-0000', '--visitors', '10');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^✖ .*refused the API key \(40[13]\)\n {2}pass the key/);
    const missing = simulate('--url', base, '--visitors', '10');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^✖ no API key to read results from/);
  });
});
