import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseVariants } from '../../cli/commands/experiment';
import type { Definition } from '../../cli/experiment/api';
import { readDefinitionsFile, type Wanted } from '../../cli/experiment/file';
import { planOne } from '../../cli/experiment/plan';
import { InputError } from '../../src/errors';

/** The pure parts of `abtest experiment`: flags, the definitions file, and the plan of apply. */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-exp-plan-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (doc: unknown) => {
  const file = path.join(dir, `defs-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
};

const wanted = (over: Partial<Wanted> = {}): Wanted => ({
  namespace: 'ns',
  experiment: 'button',
  variants: [
    { label: 'red', weight: 1 },
    { label: 'green', weight: 1 },
  ],
  sample: 1,
  fallback: 'red',
  where: 'f.json: experiments[0]',
  ...over,
});

const defined = (over: Partial<Definition> = {}): Definition => ({
  namespace: 'ns',
  experiment: 'button',
  description: '',
  variants: [
    { label: 'red', weight: 1 },
    { label: 'green', weight: 1 },
  ],
  sample: 1,
  fallback: 'red',
  state: 'running',
  winner: null,
  phase: 1,
  phases: [{ phase: 1, started_at: '2026-01-01T00:00:00.000Z', ended_at: null, weights: [1, 1], sample: 1 }],
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  version: 2,
  ...over,
});

const kinds = (steps: ReturnType<typeof planOne>) =>
  steps.map((s) => (s.kind === 'state' ? `state:${s.body.state}${s.body.restart ? '+restart' : ''}` : s.kind));

describe('parseVariants (--variants, --weights)', () => {
  it('reads labels, label=weight pairs, and weights in order or by label', () => {
    expect(parseVariants('red,green')).toEqual([
      { label: 'red', weight: 1 },
      { label: 'green', weight: 1 },
    ]);
    expect(parseVariants('a=2,b=1,c=1')).toEqual([
      { label: 'a', weight: 2 },
      { label: 'b', weight: 1 },
      { label: 'c', weight: 1 },
    ]);
    expect(parseVariants('red,green', '3,1').map((v) => v.weight)).toEqual([3, 1]);
    expect(parseVariants('red,green', 'green=3,red=1').map((v) => v.weight)).toEqual([1, 3]);
  });

  it.each([
    ['red', undefined, '--variants'],
    ['red,red', undefined, '--variants'],
    ['red=0,green', undefined, '--variants'],
    ['red,green', '1', '--weights'],
    ['red,green', '1,x', '--weights'],
    ['red,green', 'red=1,blue=1', '--weights'],
  ])('refuses --variants %s --weights %s, naming %s', (v, w, flag) => {
    expect(() => parseVariants(v, w)).toThrow(InputError);
    try {
      parseVariants(v, w);
    } catch (e) {
      expect((e as InputError).field).toBe(flag);
      expect((e as Error).message).toContain(flag);
    }
  });
});

describe('readDefinitionsFile', () => {
  it('fills in the namespace, weights, sample and fallback', () => {
    const file = write({ experiments: [{ experiment: 'b', variants: ['x', { label: 'y', weight: 2 }] }] });
    expect(readDefinitionsFile(file, 'dflt')).toEqual([
      {
        namespace: 'dflt',
        experiment: 'b',
        variants: [
          { label: 'x', weight: 1 },
          { label: 'y', weight: 2 },
        ],
        sample: 1,
        fallback: 'x',
        where: `${file}: experiments[0]`,
        description: undefined,
        state: undefined,
        winner: undefined,
      },
    ]);
  });

  it.each([
    ['{', 'is not JSON'],
    [{ experiment: [] }, 'experiment is not a known field'],
    [{ experiments: [{ experiment: 'b', variants: ['x'] }] }, 'experiments[0].variants must list two'],
    [
      { experiments: [{ experiment: 'b', variants: ['x', { label: 'y', weight: 0 }] }] },
      'experiments[0].variants[1].weight must',
    ],
    [{ experiments: [{ experiment: 'b', variants: ['x', 'y'], sample: 0 }] }, 'experiments[0].sample must'],
    [
      { experiments: [{ experiment: 'b', variants: ['x', 'y'], fallback: 'z' }] },
      'experiments[0].fallback must be one of',
    ],
    [{ experiments: [{ experiment: 'b', variants: ['x', 'y'], state: 'on' }] }, 'experiments[0].state must be one of'],
    [
      { experiments: [{ experiment: 'b', variants: ['x', 'y'], state: 'rolled_out' }] },
      'experiments[0].winner is needed',
    ],
    [
      { experiments: [{ experiment: 'b', variants: ['x', 'y'], colour: 1 }] },
      'experiments[0].colour is not a known field',
    ],
    [
      {
        experiments: [
          { experiment: 'b', variants: ['x', 'y'] },
          { experiment: 'b', variants: ['x', 'y'] },
        ],
      },
      'experiments[1].experiment: "b" is given twice'.replace(': ', ' '),
    ],
  ])('refuses %j naming the file and the field (%s)', (doc, message) => {
    const file = write(doc);
    expect(() => readDefinitionsFile(file, 'ns')).toThrow(`${file}`);
    expect(() => readDefinitionsFile(file, 'ns')).toThrow(message);
  });
});

describe('planOne (apply)', () => {
  it('defines a new experiment, then starts it', () => {
    expect(kinds(planOne(wanted({ state: 'running' }), null))).toEqual(['create', 'state:running']);
    expect(kinds(planOne(wanted(), null))).toEqual(['create']);
  });

  it('plans nothing when the definition already holds', () => {
    expect(planOne(wanted({ state: 'running' }), defined())).toEqual([]);
    expect(planOne(wanted(), defined({ state: 'paused' }))).toEqual([]);
    expect(
      planOne(wanted({ state: 'rolled_out', winner: 'green' }), defined({ state: 'rolled_out', winner: 'green' })),
    ).toEqual([]);
    expect(planOne(wanted({ state: 'archived' }), defined({ state: 'archived' }))).toEqual([]);
  });

  it('changes weights of a started experiment through a new phase, and replaces a draft', () => {
    const w = wanted({
      variants: [
        { label: 'red', weight: 2 },
        { label: 'green', weight: 1 },
      ],
    });
    const steps = planOne(w, defined());
    expect(kinds(steps)).toEqual(['weights']);
    expect(steps[0].text).toMatch(/new phase 2/);
    expect(kinds(planOne(w, defined({ state: 'draft' })))).toEqual(['replace']);
    expect(kinds(planOne(wanted({ description: 'hi' }), defined()))).toEqual(['describe']);
  });

  it('goes through the allowed transitions', () => {
    expect(kinds(planOne(wanted({ state: 'paused' }), null))).toEqual(['create', 'state:running', 'state:paused']);
    expect(kinds(planOne(wanted({ state: 'running' }), defined({ state: 'paused' })))).toEqual(['state:running']);
    expect(kinds(planOne(wanted({ state: 'running' }), defined({ state: 'rolled_out', winner: 'red' })))).toEqual([
      'state:running+restart',
    ]);
    const other = planOne(
      wanted({ state: 'rolled_out', winner: 'green' }),
      defined({ state: 'rolled_out', winner: 'red' }),
    );
    expect(kinds(other)).toEqual(['state:running+restart', 'state:rolled_out']);
    expect(kinds(planOne(wanted({ state: 'archived' }), defined()))).toEqual(['state:archived']);
  });

  it('refuses what the API cannot do, naming the file and field', () => {
    expect(() => planOne(wanted({ state: 'draft' }), defined())).toThrow('f.json: experiments[0].state');
    const blue = wanted({
      variants: [
        { label: 'red', weight: 1 },
        { label: 'blue', weight: 1 },
      ],
    });
    expect(() => planOne(blue, defined())).toThrow('f.json: experiments[0].variants');
    expect(() => planOne(wanted({ fallback: 'green' }), defined())).toThrow('f.json: experiments[0].fallback');
    expect(() => planOne(wanted({ sample: 0.5 }), defined({ state: 'archived' }))).toThrow(/archived/);
  });
});
