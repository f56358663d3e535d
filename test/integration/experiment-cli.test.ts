import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefinitionsApi, type Definition } from '../../cli/experiment/api';
import { applyStep, planAll } from '../../cli/experiment/plan';
import { abtest, cleanEnv, CLI, startDevProcess } from '../helpers/cli';

/** `abtest experiment ...` as a user runs it: the built binary against a spawned `abtest dev`. */
jest.setTimeout(120_000);

let home: string;
let env: NodeJS.ProcessEnv;
let child: ChildProcess;
let base = '';
let key = '';

beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build first');
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-experiment-'));
  env = cleanEnv({ HOME: home });
  ({ child, base, apiKey: key } = await startDevProcess(['--port', '0'], { cwd: home, env }));
});
afterAll(() => {
  if (child?.exitCode === null) child.kill('SIGTERM');
  fs.rmSync(home, { recursive: true, force: true });
});

/** Runs `abtest experiment <args>` against the dev server in namespace `ns`. */
const exp = async (ns: string, ...args: string[]) => {
  const r = await abtest(['experiment', ...args, '--url', base, '--key', key, '--namespace', ns], { cwd: home, env });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
};
const expJson = async (ns: string, ...args: string[]): Promise<Definition> => {
  const r = await exp(ns, ...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
};
/** POSTs one event as a batch, as the browser client does; the answer lists it in `rejected` when refused. */
const track = (ns: string, experiment: string, variant: string, uuid: string) =>
  fetch(`${base}/track`, {
    method: 'POST',
    body: JSON.stringify([{ namespace: ns, experiment, variant, event: 'participate', uuid }]),
  }).then((r) => r.json() as Promise<{ rejected?: { field: string; message: string }[] }>);

describe('abtest experiment (verbs)', () => {
  it('creates, starts, pauses, resumes, rolls out, restarts, changes weights and archives one experiment', async () => {
    const created = await exp('verbs', 'create', 'button', '--variants', 'red=2,green=1', '--description', 'the cta');
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/^✔ button \(namespace verbs\): created/);
    expect((await expJson('verbs', 'show', 'button')).state).toBe('draft');

    const started = await exp('verbs', 'start', 'button');
    expect(started.stdout).toMatch(/running, phase 1 since/);
    expect(started.stdout).toMatch(/split red 2 : green 1; counted into phase 1/);
    expect((await track('verbs', 'button', 'red', 'u1')).rejected ?? []).toEqual([]);

    expect((await expJson('verbs', 'pause', 'button')).state).toBe('paused');
    const refused = await track('verbs', 'button', 'red', 'u2');
    expect(refused.rejected?.[0]).toMatchObject({ field: 'experiment', message: expect.stringMatching(/paused/) });
    const resumed = await expJson('verbs', 'resume', 'button');
    expect([resumed.state, resumed.phase]).toEqual(['running', 1]);

    const badWinner = await exp('verbs', 'rollout', 'button', 'blue');
    expect(badWinner.status).toBe(1);
    expect(badWinner.stderr).toMatch(/^✖ .*\(field winner\)/);
    const rolled = await expJson('verbs', 'rollout', 'button', 'green');
    expect([rolled.state, rolled.winner]).toEqual(['rolled_out', 'green']);
    expect((await expJson('verbs', 'restart', 'button')).phase).toBe(2);

    const weighted = await expJson('verbs', 'weights', 'button', 'green=3,red=1', '--sample', '0.5');
    expect(weighted.variants).toEqual([
      { label: 'red', weight: 1 },
      { label: 'green', weight: 3 },
    ]);
    expect([weighted.phase, weighted.sample]).toEqual([3, 0.5]);

    const list = await exp('verbs', 'list');
    expect(list.stdout).toMatch(/^button +running +3 +red 1 : green 3 +0\.5$/m);
    expect((await exp('verbs', 'archive', 'button')).stdout).toMatch(/archived/);
    expect(JSON.parse((await exp('verbs', 'list', '--json')).stdout)).toEqual([]);
    expect(JSON.parse((await exp('verbs', 'list', '--archived', '--json')).stdout)).toHaveLength(1);
    const frozen = await exp('verbs', 'pause', 'button');
    expect(frozen.status).toBe(1);
    expect(frozen.stderr).toMatch(/^✖ POST \/definition\/state of "button" in namespace "verbs": .*\(field state\)/);
  });

  it('names the flag, the missing experiment, or the key', async () => {
    const missing = await exp('verbs', 'show', 'nope');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(
      /^✖ experiment "nope" is not defined in namespace "verbs"\n {2}abtest experiment list/,
    );
    const one = await exp('verbs', 'create', 'solo', '--variants', 'red');
    expect(one.stderr).toMatch(/^✖ --variants needs two labels or more/);
    const sample = await exp('verbs', 'create', 'solo', '--variants', 'a,b', '--sample', '2');
    expect(sample.stderr).toMatch(/^✖ --sample must be a share above 0 and at most 1/);
    const noKey = await abtest(['experiment', 'list', '--url', base], { cwd: home, env });
    expect([noKey.code, noKey.stderr]).toEqual([1, expect.stringMatching(/^✖ no API key for the admin routes/)]);
    const wrongKey = await abtest(['experiment', 'list', '--url', base, '--key', 'x'.repeat(20)], { cwd: home, env });
    expect(wrongKey.stderr).toMatch(/refused the API key \(40[13]\)\n {2}pass the key/);
  });
});

describe('abtest experiment export NAME', () => {
  /** Sends events as a batch; the answer must store them all. */
  const send = async (events: object[]) => {
    const r = await fetch(`${base}/track`, { method: 'POST', body: JSON.stringify(events) });
    expect(await r.json()).toEqual({ status: 'ok', stored: events.length });
  };
  const e = (variant: string, uuid: string, event = 'participate') => ({
    namespace: 'export',
    experiment: 'cta',
    variant,
    event,
    uuid,
  });

  it('prints the CSV of the current phase per day (or week), quoting and defusing names; names bad flags', async () => {
    expect((await exp('export', 'create', 'cta', '--variants', 'red,green')).status).toBe(0);
    expect((await exp('export', 'start', 'cta')).status).toBe(0);
    await send([e('red', 'u1'), e('red', 'u2'), e('green', 'u3'), e('red', 'u1')]);
    await send([e('red', 'u1', '=HYPERLINK("x"),buy'), e('red', 'u1', '=HYPERLINK("x"),buy')]);
    const today = new Date().toISOString().slice(0, 10); // the dev server counts on its own clock
    const r = await exp('export', 'export', 'cta');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      [
        'experiment,phase,period,start,variant,goal,participants,cumulative_participants,conversions,cumulative_conversions',
        `cta,1,day,${today},red,"'=HYPERLINK(""x""),buy",2,2,1,1`,
        `cta,1,day,${today},green,"'=HYPERLINK(""x""),buy",1,1,0,0`,
        '',
      ].join('\r\n'),
    );
    const d = new Date(`${today}T00:00:00Z`);
    const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
    const weekly = await exp('export', 'export', 'cta', '--period', 'week');
    expect(weekly.stdout.split('\r\n')[1]).toBe(`cta,1,week,${monday},red,"'=HYPERLINK(""x""),buy",2,2,1,1`);
    const old = await exp('export', 'export', 'cta', '--phase', '0');
    expect(old.stdout.split('\r\n')).toEqual([expect.stringMatching(/^experiment,/), '']);

    const refusals = [
      [['--phase', '5'], /^✖ --phase: phase 5 does not exist in experiment "cta" \(its phases: 0 to 1\)/],
      [['--phase', 'one'], /^✖ --phase must be a whole number/],
      [['--period', 'year'], /^✖ --period must be one of day, week, month, got "year"/],
    ] as const;
    for (const [flags, message] of refusals) {
      const bad = await exp('export', 'export', 'cta', ...flags);
      expect([bad.status, bad.stdout]).toEqual([1, '']);
      expect(bad.stderr).toMatch(message);
    }
    const missing = await exp('export', 'export', 'nope');
    expect([missing.status, missing.stderr]).toEqual([
      1,
      expect.stringMatching(/^✖ experiment "nope" has no counts in namespace "export"\n {2}check the name/),
    ]);
  });
});

describe('abtest experiment apply FILE', () => {
  const file = () => path.join(home, 'experiments.json');
  const writeFile = (doc: unknown) => fs.writeFileSync(file(), JSON.stringify(doc));
  const apply = (...args: string[]) => exp('apply', 'apply', file(), ...args);
  const doc = {
    experiments: [
      { experiment: 'hero', variants: ['a', { label: 'b', weight: 3 }], state: 'running', description: 'hero image' },
      { experiment: 'menu', variants: ['x', 'y'], sample: 0.5 },
    ],
  };

  it('prints the plan, makes it true, and changes nothing the second time', async () => {
    writeFile(doc);
    const dry = await apply('--dry-run');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/^Plan:\n {2}\+ define "hero" \(namespace apply\): a 1 : b 3, sample 1, fallback a\n/);
    expect(dry.stdout).toMatch(/dry run: nothing changed \(3 changes planned/);
    expect(JSON.parse((await exp('apply', 'list', '--json')).stdout)).toEqual([]);

    const first = await apply();
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/> "hero" \(namespace apply\): running/);
    expect(first.stdout).toMatch(/✔ applied 3 changes \(2 experiments of /);
    const hero = await expJson('apply', 'show', 'hero');
    expect([hero.state, hero.phase, hero.description]).toEqual(['running', 1, 'hero image']);
    expect((await expJson('apply', 'show', 'menu')).sample).toBe(0.5);

    const second = await apply();
    expect(second.stdout).toBe(
      `Plan: no changes\n✔ no changes: the 2 experiments of ${file()} already hold at ${base}\n`,
    );
  });

  it('starts a new phase for new weights, rolls out, and refuses what cannot change, naming file and field', async () => {
    writeFile({ experiments: [{ ...doc.experiments[0], variants: ['a', 'b'] }, doc.experiments[1]] });
    const reweighted = await apply('--json');
    expect(reweighted.status).toBe(0);
    expect(JSON.parse(reweighted.stdout).plan).toEqual([
      '~ weights of "hero" (namespace apply): a 1 : b 1, sample 1 (a new phase 2 starts)',
    ]);
    expect((await expJson('apply', 'show', 'hero')).phase).toBe(2);

    writeFile({ experiments: [{ ...doc.experiments[0], variants: ['a', 'c'] }] });
    const relabelled = await apply();
    expect(relabelled.status).toBe(1);
    expect(relabelled.stderr).toMatch(
      new RegExp(`^✖ ${file()}: experiments\\[0\\]\\.variants: the variants of running`),
    );

    writeFile({ experiments: [{ experiment: 'hero', variants: ['a', { label: 'b', weight: -1 }] }] });
    const bad = await apply();
    expect(bad.stderr).toMatch(
      new RegExp(`^✖ ${file()}: experiments\\[0\\]\\.variants\\[1\\]\\.weight must be a number above 0`),
    );

    writeFile({ experiments: [{ experiment: 'hero', variants: ['a', 'b'], state: 'rolled_out', winner: 'b' }] });
    const rolled = await apply();
    expect(rolled.status).toBe(0);
    expect((await expJson('apply', 'show', 'hero')).winner).toBe('b');
  });

  it('changes only what the plan saw: a definition changed meanwhile is refused (If-Match, 412)', async () => {
    expect((await exp('race', 'create', 'hero', '--variants', 'a,b')).status).toBe(0);
    const api = new DefinitionsApi(base, key);
    const wanted = [
      {
        namespace: 'race',
        experiment: 'hero',
        variants: [
          { label: 'a', weight: 1 },
          { label: 'b', weight: 1 },
        ],
        sample: 1,
        fallback: 'a',
        state: 'running' as const,
        where: 'f.json: experiments[0]',
      },
    ];
    const { steps, versions } = await planAll(api, wanted);
    expect(steps.map((s) => s.text)).toEqual(['> "hero" (namespace race): running']);
    expect((await exp('race', 'describe', 'hero', 'changed by someone else')).status).toBe(0);
    const seen = versions.get(JSON.stringify(['race', 'hero']))!;
    await expect(applyStep(api, steps[0], seen)).rejects.toThrow(
      'experiment "hero" in namespace "race" changed since it was read (412)',
    );
    expect((await expJson('race', 'show', 'hero')).state).toBe('draft');
    expect((await applyStep(api, steps[0], seen + 1)).state).toBe('running');
  });
});
