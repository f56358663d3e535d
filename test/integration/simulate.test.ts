import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type SimulateResult } from '../../cli/commands/simulate';
import { parseExperiment } from '../../cli/simulate/traffic';
import { InputError } from '../../src/errors';
import { abtest, cleanEnv, CLI, startDevProcess } from '../helpers/cli';

/** `abtest simulate` as a user runs it: the built binary, a clean HOME, no ABTEST_* variables. */
let home: string;
let env: NodeJS.ProcessEnv;
// Each run starts a node process, abtest dev and a redis-server: slow on a loaded machine.
jest.setTimeout(120_000);

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build first');
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-simulate-'));
  env = cleanEnv({ HOME: home }, { keepAws: true });
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const simulate = async (...args: string[]) => {
  const r = await abtest(['simulate', ...args], { cwd: home, env });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
};
const json = async (...args: string[]): Promise<SimulateResult> => {
  const r = await simulate('--json', ...args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
};

describe('parseExperiment', () => {
  it('reads name[/goal]:label=weight@rate,...', () => {
    expect(parseExperiment('button/click:red=1@0.10,green=2@0.125')).toEqual({
      name: 'button',
      goal: 'click',
      variants: [
        { label: 'red', weight: 1, rate: 0.1 },
        { label: 'green', weight: 2, rate: 0.125 },
      ],
    });
    expect(parseExperiment('hero:a=1@0,b=1@1').goal).toBe('convert');
  });

  it.each(['button', 'button:red=1', 'button:red=0@0.1,green=1@0.1', 'button:red=1@1.5,green=1@0.1'])(
    'refuses %s with the format in the message',
    (spec) => {
      expect(() => parseExperiment(spec)).toThrow(InputError);
      expect(() => parseExperiment(spec)).toThrow(/name\[\/goal\]:label=weight@rate/);
    },
  );
});

describe('abtest simulate (built binary, its own abtest dev)', () => {
  it('in exact mode every counter equals the distinct visitors sent, and a seed reproduces the run', async () => {
    const a = await json('--counting', 'exact', '--visitors', '300', '--seed', '7');
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

    const b = await json('--counting', 'exact', '--visitors', '300', '--seed', '7');
    expect(b.experiments).toEqual(a.experiments);
    expect(b.independence).toEqual(a.independence);
    const c = await json('--counting', 'exact', '--visitors', '300', '--seed', '8');
    expect(c.experiments).not.toEqual(a.experiments);
  });

  it('prints the report and takes experiments from --experiment', async () => {
    const experiments = ['--experiment', 'hero/signup:a=1@0.2,b=3@0.3', '--experiment', 'menu:x=1@0.5,y=1@0.5'];
    const r = await simulate('--counting', 'exact', '--visitors', '200', ...experiments, '--concurrency', '2');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^abtest simulate: 200 visitors, seed 1, 2 experiments/);
    expect(r.stdout).toMatch(/hero \(goal signup\), counting exact/);
    expect(r.stdout).toMatch(/^ {2}b +3 +75\.00%/m);
    expect(r.stdout).toMatch(/sample ratio: χ² = [\d.]+, df 1, p = [\d.e-]+ → (no mismatch|MISMATCH)/);
    expect(r.stdout).toMatch(/independence of hero × menu/);
    expect(r.stdout).toMatch(/✔ every counter equals the distinct visitors sent/);
  });

  it('takes --counting hll or exact only, as commander choices named in --help', async () => {
    const r = await simulate('--counting', 'approx');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /option '--counting <mode>' argument 'approx' is invalid\. Allowed choices are hll, exact\./,
    );
    const help = (await simulate('--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--counting <mode> counting mode of the abtest dev started here (choices: "hll", "exact")');
  });

  it('never writes to process.env: the abtest dev it starts gets --counting and --api-key in its own', async () => {
    const before = { ...process.env };
    const r = await run({ counting: 'exact', apiKey: 'simulate-test-key-0123456789', visitors: 20 }, { env });
    expect(process.env).toEqual(before);
    expect(r.server).toBe('started');
    expect(r.problems).toEqual([]);
    for (const e of r.experiments) expect(e.counting).toBe('exact');
  });

  it('POSTs the events of names with +, which GET /track would read as a space', async () => {
    const plus = ['--experiment', 'a+b/sign+up:x+1=1@0.5,y=1@0.5', '--experiment', 'menu:p=1@0.3,q=1@0.3'];
    const r = await json('--counting', 'exact', '--visitors', '200', ...plus);
    expect(r.problems).toEqual([]);
    expect(r.experiments[0].name).toBe('a+b');
    expect(r.experiments[0].variants.map((v) => v.label)).toEqual(['x+1', 'y']);
    for (const v of r.experiments[0].variants) {
      expect(v.sentParticipants).toBeGreaterThan(0);
      expect(v.participants).toBe(v.sentParticipants);
      expect(v.conversions).toBe(v.sentConversions);
    }
  });

  it('reports the events a 200 answer refuses (allowed_experiments), with exit code 1', async () => {
    const config = path.join(home, 'only-button.json');
    fs.writeFileSync(config, JSON.stringify({ allowed_experiments: ['button'] }));
    const r = await simulate('--config', config, '--counting', 'exact', '--visitors', '100', '--json');
    expect(r.status).toBe(1);
    const result: SimulateResult = JSON.parse(r.stdout);
    const refused = 'event(s) refused, not stored: experiment: experiment "pricing" is not in allowed_experiments';
    expect(result.problems).toContainEqual(expect.stringContaining(refused));
    // Each pricing event was sent at least once, as a GET answered 400 or in a POST answered 200 with it refused.
    const pricing = result.experiments.find((e) => e.name === 'pricing')!;
    const sent = pricing.variants.reduce((n, v) => n + v.sentParticipants + v.sentConversions, 0);
    expect(result.requests.rejected).toBeGreaterThan(0);
    expect(result.requests.failed + result.requests.rejected).toBeGreaterThanOrEqual(sent);
    for (const v of result.experiments.find((e) => e.name === 'button')!.variants) {
      expect(v.participants).toBe(v.sentParticipants);
    }
    const text = await simulate('--config', config, '--counting', 'exact', '--visitors', '100');
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/\d+ failed, [\d,]+ events refused \(not stored\)\n/);
    expect(text.stdout).toMatch(/^✖ [\d,]+ event\(s\) refused, not stored: experiment: /m);
  });

  it('refuses a bad --experiment with one ✖ line and exit code 1', async () => {
    const r = await simulate('--experiment', 'oops');
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

  it('sends to the given URL; in HLL mode the counters stay within their error', async () => {
    const r = await json('--url', base, '--api-key', key, '--visitors', '300');
    expect(r.server).toBe('given');
    expect(r.url).toBe(base);
    expect(r.problems).toEqual([]);
    for (const e of r.experiments) expect(e.counting).toBe('hll');
  });

  it('defines the experiments it sends, so results show the declared control and weights, and no false alarm', async () => {
    const r = await json('--url', base, '--api-key', key, '--visitors', '400', '--namespace', 'defined');
    expect(r.problems).toEqual([]);
    const res = await fetch(`${base}/experiments?namespace=defined&stats=1`, { headers: { 'x-api-key': key } });
    const [, ...experiments] = (await res.json()) as {
      experiment: string;
      definition?: { state: string; phase: number; variants: { label: string; weight: number }[] };
      variants: { label: string }[];
      srm: { mismatch: boolean; expected: string };
    }[];
    const pricing = experiments.find((e) => e.experiment === 'pricing')!;
    expect(pricing.definition).toMatchObject({ state: 'running', phase: 1 });
    expect(pricing.definition!.variants).toEqual([
      { label: 'low', weight: 2 },
      { label: 'mid', weight: 1 },
      { label: 'high', weight: 1 },
    ]);
    expect(pricing.variants.map((v) => v.label)).toEqual(['low', 'mid', 'high']);
    expect(pricing.srm).toMatchObject({ mismatch: false, expected: 'declared weights' });
    // Run again: the delete removed the old definition and counts; the new run is phase 1 again.
    expect(
      (await json('--url', base, '--api-key', key, '--visitors', '50', '--namespace', 'defined')).problems,
    ).toEqual([]);
  });

  it('takes --url as the base or one of its routes', async () => {
    const r = await json('--url', `${base}/experiments/`, '--api-key', key, '--visitors', '20');
    expect(r.url).toBe(base);
    expect(r.problems).toEqual([]);
  });

  it('names the fix when the API key is wrong or missing', async () => {
    const wrong = await simulate('--url', base, '--api-key', 'not-the-key-at-all-0000', '--visitors', '10');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^✖ .*refused the API key \(40[13]\)\n {2}pass the key/);
    const missing = await simulate('--url', base, '--visitors', '10');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^✖ no API key to read results from/);
  });
});
