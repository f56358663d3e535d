import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../cli/dev/redis-server';
import { abtest as runCli, cleanEnv, CLI } from '../helpers/cli';

let home: string;

/**
 * Runs the built `abtest` with a temp HOME and no AWS_* or ABTEST_* variables (and no
 * instance metadata lookup), so that nothing real is picked up.
 */
const abtest = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { cwd: home, env: cleanEnv({ HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...env }) });

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build first');
});
beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-cli-'))));
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe('abtest AWS commands, error paths', () => {
  it('deploy without credentials names the ways to provide them', async () => {
    const r = await abtest(['deploy', '--region', 'us-east-1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('… check AWS credentials (us-east-1)\n');
    expect(r.stderr).toBe(
      '✖ no AWS credentials found\n  run `aws configure` (or `aws sso login`), pass --profile or set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n',
    );
  });

  it.each([['deploy'], ['rollback'], ['destroy', '--yes']])(
    '%s without a region says how to give one',
    async (...args) => {
      const r = await abtest(args, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('✖ AWS region is missing\n  pass --region, set AWS_REGION, or run abtest configure\n');
    },
  );

  it('deploy with an emulator endpoint that is not running says nothing listens there', async () => {
    const port = await freePort();
    const r = await abtest(['deploy', '--region', 'us-east-1', '--endpoint-url', `http://127.0.0.1:${port}`], {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `✖ nothing listens at 127.0.0.1:${port} (connection refused)\n  check the host and port (for AWS: --endpoint-url or AWS_ENDPOINT_URL)`,
    );
  });

  it('reads AWS_ENDPOINT_URL like --endpoint-url', async () => {
    const port = await freePort();
    const r = await abtest(['rollback', '--region', 'us-east-1'], {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`nothing listens at 127.0.0.1:${port}`);
  });

  it('refuses a bad config file before calling AWS', async () => {
    fs.writeFileSync(path.join(home, 'bad.json'), '{ "region": ');
    const broken = await abtest(['--config', 'bad.json', 'deploy']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^✖ config file .*bad\.json is not valid JSON/);
    fs.writeFileSync(path.join(home, 'typo.json'), JSON.stringify({ regoin: 'us-east-1' }));
    const typo = await abtest(['--config', 'typo.json', 'deploy', '--dry-run']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/unknown config key "regoin"/);
  });

  it('preflight prints one line per check with the fix for each ✖', async () => {
    const r = await abtest(['preflight']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter((l) => /^[✔✖!] /.test(l))).toEqual([
      '✖ AWS region: AWS region is missing',
      '✖ AWS credentials: not checked without a region',
      '✖ Redis: no Redis is configured',
      expect.stringMatching(/^✔ bundles: 5 functions, [\d.]+ KB zipped$/),
    ]);
    expect(r.stdout).toContain('  fix: run abtest configure, or set ABTEST_REDIS_URL');
  });

  it('configure takes --counting hll or exact only, as commander choices named in --help', async () => {
    const r = await abtest(['configure', '--yes', '--counting', 'approx']);
    expect(r.code).toBe(1);
    const refusal = /option '--counting <mode>' argument 'approx' is invalid\. Allowed choices are hll, exact\./;
    expect(r.stderr).toMatch(refusal);
    const help = (await abtest(['configure', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--counting <mode> hll (HyperLogLog) or exact (choices: "hll", "exact")');
  });

  it('configure --yes refuses a Redis URL that does not answer, and writes nothing', async () => {
    const port = await freePort();
    const r = await abtest(['configure', '--yes', '--redis-url', `redis://127.0.0.1:${port}`, '--region', 'eu-west-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `✖ Redis URL refused: Redis at 127.0.0.1:${port} cannot be reached (connection refused or closed); check that it is up and that --redis-url/redis_url is right`,
    );
    expect(fs.existsSync(path.join(home, '.abtest', 'config.json'))).toBe(false);
  });
});
