import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../cli/dev/redis-server';
import { abtest as runCli, cleanEnv } from '../helpers/cli';

/**
 * The built CLI against moto, an AWS API emulator, through AWS_ENDPOINT_URL: the deploy code
 * runs unchanged. Skipped where `moto_server` is not installed (pip install 'moto[server]').
 */
const hasMoto = spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;

let moto: ChildProcess;
let endpoint: string;
let home: string;

const abtest = (args: string[]) =>
  runCli(args, {
    cwd: home,
    env: cleanEnv({
      HOME: home,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: endpoint,
    }),
  });

(hasMoto ? describe : describe.skip)('abtest deploy against moto', () => {
  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-moto-'));
    fs.mkdirSync(path.join(home, '.abtest'));
    fs.writeFileSync(path.join(home, '.abtest', 'config.json'), JSON.stringify({ redis_url: 'redis://redis.example:6379' }));
    // Lambda's managed policies exist in AWS; moto loads them only when asked.
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' }, stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const up = await fetch(`${endpoint}/moto-api/`).then(() => true, () => false);
      if (up) break;
      if (Date.now() > deadline) throw new Error('moto_server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 30_000);
  afterAll(() => {
    moto?.kill();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('deploys, changes nothing the second time, rolls back and destroys', async () => {
    const first = await abtest(['deploy', '--json']);
    expect(first.stderr).toContain('… + create IAM role abtest-lambda');
    expect(first.code).toBe(0);
    const r = JSON.parse(first.stdout);
    expect(r.plan).toHaveLength(25);
    expect(r.urls.trackUrl).toMatch(new RegExp(`^${endpoint}/restapis/\\w+/prod/_user_request_/track$`));
    expect(r.snippet).toContain(r.urls.trackUrl);

    const second = await abtest(['deploy', '--json']);
    expect(JSON.parse(second.stdout).plan).toEqual([]);

    const none = await abtest(['rollback']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('has no version before 1');

    const gone = await abtest(['destroy', '--yes']);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toContain('✔ removed usage plan abtest-prod, API key abtest-prod, REST API abtest');
    expect((await abtest(['destroy', '--yes'])).stdout).toContain('✔ nothing to remove');
  }, 60_000);
});
