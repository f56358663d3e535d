import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run as preflight } from '../../cli/commands/preflight';
import { FakeAws } from '../helpers/fake-aws';
import { startTestRedis, type PrivateRedis } from '../helpers/redis';

let redis: PrivateRedis;
let dir: string;
let fake: FakeAws;
beforeAll(async () => (redis = await startTestRedis()));
afterAll(() => redis.stop());
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-preflight-'));
  fake = new FakeAws().install();
});
afterEach(() => {
  fake.restore();
  fs.rmSync(dir, { recursive: true, force: true });
});

const config = (values: Record<string, unknown>) => {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ region: 'eu-west-1', ...values }));
  return file;
};
const zips = async () => ({ track: { zip: Buffer.alloc(2048), sha256: 'x' } });

describe('abtest preflight', () => {
  it('passes when credentials, region, Redis and bundles are fine', async () => {
    const r = await preflight({ config: config({ redis_url: redis.url }) }, { env: {}, buildZips: zips });
    expect(r.ok).toBe(true);
    expect(r.checks).toEqual([
      { name: 'AWS region', status: 'ok', detail: 'eu-west-1' },
      {
        name: 'AWS credentials',
        status: 'ok',
        detail: 'account 123456789012 as arn:aws:iam::123456789012:user/tester',
      },
      { name: 'Redis', status: 'ok', detail: `127.0.0.1:${redis.port} answers PING` },
      { name: 'bundles', status: 'ok', detail: '1 function, 2.0 KB zipped' },
    ]);
    expect(fake.mutations()).toEqual([]);
  });

  it('fails on a Redis it cannot reach, but only warns when a VPC is configured', async () => {
    const down = { redis_url: 'redis://127.0.0.1:1' };
    const open = await preflight({ config: config(down) }, { env: {}, buildZips: zips });
    expect(open.ok).toBe(false);
    expect(open.checks[2]).toMatchObject({
      status: 'fail',
      detail:
        'Redis at 127.0.0.1:1 cannot be reached (connection refused or closed); check that it is up and that --redis-url/redis_url is right',
    });
    const vpc = await preflight(
      { config: config({ ...down, vpc: { subnet_ids: ['s-1'], security_group_ids: ['sg-1'] } }) },
      { env: {}, buildZips: zips },
    );
    expect(vpc.ok).toBe(true);
    expect(vpc.checks[2]).toMatchObject({
      status: 'warn',
      fix: 'the functions run inside the configured VPC; check its subnets and security groups',
    });
  });

  it('reports a bundle that does not build, with the fix', async () => {
    const r = await preflight(
      { config: config({ redis_url: redis.url }) },
      { env: {}, buildZips: async () => Promise.reject(new Error('lambdas/track.ts does not exist')) },
    );
    expect(r.ok).toBe(false);
    expect(r.checks[3]).toEqual({
      name: 'bundles',
      status: 'fail',
      detail: 'lambdas/track.ts does not exist',
      fix: 'fix the error above, then run abtest build',
    });
  });
});
