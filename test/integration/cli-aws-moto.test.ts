import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  APIGatewayClient,
  GetGatewayResponsesCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStageCommand,
} from '@aws-sdk/client-api-gateway';
import { GetAliasCommand, LambdaClient, ListVersionsByFunctionCommand } from '@aws-sdk/client-lambda';
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

const abtest = (args: string[], extra: Record<string, string> = {}) =>
  runCli(args, {
    cwd: home,
    env: cleanEnv({
      HOME: home,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...credentials(),
      AWS_ENDPOINT_URL: endpoint,
      ...extra,
    }),
  });

const credentials = () => ({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' });

/** What moto holds of one stage's functions and API: versions, alias targets, methods and integrations. */
async function stageState(stage: string): Promise<unknown> {
  const opts = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const lambda = new LambdaClient(opts);
  const apigw = new APIGatewayClient(opts);
  const functions: Record<string, unknown> = {};
  for (const name of ['track', 'experiments', 'delete'].map((n) => `abtest-${stage}-${n}`)) {
    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: name }));
    const alias = await lambda.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }));
    functions[name] = {
      versions: versions.Versions!.map((v) => [v.Version, v.CodeSha256, v.Environment]),
      live: alias.FunctionVersion,
    };
  }
  const api = (await apigw.send(new GetRestApisCommand({}))).items!.find((a) => a.name === `abtest-${stage}`)!;
  const resources = (await apigw.send(new GetResourcesCommand({ restApiId: api.id, embed: ['methods'] }))).items!;
  const methods = resources.map((r) => [
    r.path,
    Object.entries(r.resourceMethods ?? {}).map(([verb, m]) => [verb, m.apiKeyRequired, m.methodIntegration?.uri]),
  ]);
  const deployed = (await apigw.send(new GetStageCommand({ restApiId: api.id, stageName: stage }))).deploymentId;
  const gateway = (await apigw.send(new GetGatewayResponsesCommand({ restApiId: api.id }))).items!;
  const gatewayResponses = Object.fromEntries(gateway.map((g) => [g.responseType, g.responseParameters]));
  lambda.destroy();
  apigw.destroy();
  return { functions, methods, deployed, gatewayResponses };
}

(hasMoto ? describe : describe.skip)('abtest deploy against moto', () => {
  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-moto-'));
    fs.mkdirSync(path.join(home, '.abtest'));
    fs.writeFileSync(
      path.join(home, '.abtest', 'config.json'),
      JSON.stringify({ redis_url: 'redis://redis.example:6379' }),
    );
    // Lambda's managed policies exist in AWS; moto loads them only when asked.
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
      env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const up = await fetch(`${endpoint}/moto-api/`).then(
        () => true,
        () => false,
      );
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
    expect(first.stderr).toContain('… + create IAM role abtest-prod-lambda');
    expect(first.code).toBe(0);
    const r = JSON.parse(first.stdout);
    expect(r.plan).toHaveLength(65);
    // API Gateway's own errors carry the CORS headers (moto stores gateway responses; it does not serve them).
    const { gatewayResponses } = (await stageState('prod')) as { gatewayResponses: Record<string, unknown> };
    expect(Object.keys(gatewayResponses).sort()).toEqual(['DEFAULT_4XX', 'DEFAULT_5XX']);
    expect(gatewayResponses.DEFAULT_4XX).toEqual({
      'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
      'gatewayresponse.header.Access-Control-Allow-Methods': "'GET,POST,DELETE,PUT,OPTIONS'",
      'gatewayresponse.header.Access-Control-Allow-Headers': "'Content-Type,X-Api-Key'",
    });
    expect(r.plan).toContain(
      '~ update throttle of every method of stage prod (100 requests/s, bursts of 200, with or without an API key)',
    );
    expect(r.urls.trackUrl).toMatch(new RegExp(`^${endpoint}/restapis/\\w+/prod/_user_request_/track$`));
    expect(r.snippet).toContain(r.urls.trackUrl);

    const second = await abtest(['deploy', '--json']);
    expect(JSON.parse(second.stdout).plan).toEqual([]);

    const none = await abtest(['rollback']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('has no version before 1');

    const gone = await abtest(['destroy', '--yes']);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toContain('✔ removed usage plan abtest-prod, API key abtest-prod, REST API abtest-prod');
    expect((await abtest(['destroy', '--yes'])).stdout).toContain('✔ nothing to remove');
  }, 60_000);

  it('deploys, rolls back and destroys a beta stage without changing prod', async () => {
    expect((await abtest(['deploy', '--json'])).code).toBe(0);
    const before = await stageState('prod');
    // Another namespace changes every function's environment: new versions for beta only.
    for (const namespace of ['beta1', 'beta2']) {
      const beta = await abtest(['deploy', '--stage', 'beta', '--json'], { ABTEST_NAMESPACE: namespace });
      expect(beta.code).toBe(0);
      expect(JSON.parse(beta.stdout).urls.trackUrl).toMatch(/\/beta\/_user_request_\/track$/);
    }
    expect(await stageState('prod')).toEqual(before);
    const back = await abtest(['rollback', '--stage', 'beta']);
    expect(back.stdout).toContain('✔ abtest-beta-track: live now serves version 1 (was 2)');
    expect(await stageState('prod')).toEqual(before);
    const gone = await abtest(['destroy', '--stage', 'beta', '--yes']);
    expect(gone.stdout).toContain('✔ removed usage plan abtest-beta, API key abtest-beta, REST API abtest-beta');
    expect(await stageState('prod')).toEqual(before);
    expect(JSON.parse((await abtest(['deploy', '--json'])).stdout).plan).toEqual([]);
    expect((await abtest(['destroy', '--yes'])).stdout).toContain('✔ removed usage plan abtest-prod');
  }, 120_000);
});
