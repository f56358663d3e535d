import fs from 'node:fs';
import path from 'node:path';
import { remove } from '../../src/api';
import { createClient, type ClientEnv } from '../../src/browser/client';
import { validateConfig } from '../../src/config';
import { AbtestError, NotFoundError } from '../../src/errors';
import { errorResult, type ProxyEvent } from '../../src/http';
import type { CounterStore } from '../../src/store';

const root = path.join(__dirname, '..', '..');

/** Files under `dir` (relative to the package) ending in .ts. */
function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? sources(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

describe('one error type', () => {
  it('project code throws AbtestError (or a subclass), never a plain Error', () => {
    // The Sentinel stub is ioredis code that the bundler puts in its place, not ours.
    const exempt = ['cli/deploy/trim-ioredis.ts'];
    const plain = [...sources('src'), ...sources('cli'), ...sources('lambdas')]
      .filter((f) => !exempt.includes(f.split(path.sep).join('/')))
      .filter((f) => /\bnew Error\(/.test(fs.readFileSync(path.join(root, f), 'utf8')));
    expect(plain).toEqual([]);
  });

  it('a missing experiment is a NotFoundError, answered 404 naming the field by the one error mapper', async () => {
    const config = validateConfig({});
    const store = { deleteExperiment: async () => false } as unknown as CounterStore;
    const query = { experiment: 'gone' };
    const event = { httpMethod: 'DELETE', queryStringParameters: query, headers: {} } as unknown as ProxyEvent;
    const thrown = await remove(event, { config, store }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(NotFoundError);
    expect(thrown).toMatchObject({ code: 'not-found', status: 404, field: 'experiment' });
    const answer = errorResult(thrown, config);
    expect(answer.statusCode).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({
      status: 'failed',
      message: 'experiment "gone" does not exist in namespace "alephbet"',
      field: 'experiment',
    });
  });

  it('the field of any AbtestError below 500 reaches the answer', () => {
    const e = new AbtestError('input', 'too many', { status: 413, field: 'body' });
    const body = JSON.parse(errorResult(e, validateConfig({})).body);
    expect(body).toEqual({ status: 'failed', message: 'too many', field: 'body' });
  });
});

describe('the browser client, misused', () => {
  it('warns with the reason and throws nothing', () => {
    const warnings: string[] = [];
    const env = {
      storage: { getItem: () => null, setItem: () => undefined },
      post: async () => ({ status: 200, text: '' }),
      beacon: () => true,
      random: () => 0.5,
      randomId: () => 'id',
      search: '',
      setTimeout: () => undefined,
      warn: (m: string) => warnings.push(m),
    } as ClientEnv;
    const client = createClient(env);
    client.complete('goal');
    client.init(undefined as never);
    client.init({} as never);
    expect(client.experiment({ name: 'x', variants: {} })).toEqual({ name: 'x', variant: null, tracked: false });
    expect(warnings).toEqual([
      'abtest: call abtest.init({ url }) first',
      'abtest: init needs { url }',
      'abtest: init needs { url }',
      'abtest: an experiment needs a name and variants',
    ]);
  });
});
