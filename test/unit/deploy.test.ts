import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig, type Wiring } from '../../src/config';
import type { Actual } from '../../cli/deploy/actual';
import { desiredState } from '../../cli/deploy/desired';
import { resourceNames } from '../../cli/deploy/names';
import { apiUrls } from '../../cli/deploy/describe';
import { describeChange, planDeploy } from '../../cli/deploy/plan';
import { silentReporter } from '../../cli/deploy/reporter';
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import { configurationDiff } from '../../cli/deploy/steps/function';
import { versionsToPrune } from '../../cli/deploy/steps/version';
import { zipBundle } from '../../cli/deploy/zip';
import type { DeployContext } from '../../cli/deploy/context';

const wiring: Wiring = {
  functions: [
    { name: 'track', handler: 'track.handler', memory: 256, timeout: 5 },
    { name: 'experiments', handler: 'experiments.handler', memory: 256, timeout: 15 },
  ],
  routes: [
    { path: '/track', method: 'GET', function: 'track', apiKeyRequired: false },
    { path: '/track', method: 'POST', function: 'track', apiKeyRequired: false },
    { path: '/admin/experiments', method: 'GET', function: 'experiments', apiKeyRequired: true },
  ],
};
const zip = { zip: Buffer.from('z'), sha256: 'sha' };
const zips = { track: zip, experiments: zip };
const config = validateConfig({ redis_url: 'redis://h:6379', namespace: 'shop' });
const at = { region: 'eu-west-1', accountId: '111122223333', stage: 'prod' };
const ctx = { aws: {}, report: silentReporter, sleep: async () => {} } as unknown as DeployContext;
const empty: Actual = {
  role: null,
  functions: { 'abtest-prod-track': null, 'abtest-prod-experiments': null },
  unwired: [],
  apiId: null,
  resources: [],
  gatewayResponses: {},
  stage: null,
  apiKey: null,
  usagePlan: null,
};

describe('desiredState', () => {
  const d = desiredState(config, wiring, zips, at);

  it('names resources after app_name and passes only ABTEST_* runtime config to the functions', () => {
    expect(d.functions.map((f) => f.name)).toEqual(['abtest-prod-track', 'abtest-prod-experiments']);
    expect(d.functions[0].environment).toEqual({ ABTEST_REDIS_URL: 'redis://h:6379', ABTEST_NAMESPACE: 'shop' });
    expect(d.policies).toEqual(['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
  });

  it('adds VPC access to the role only with a VPC', () => {
    const vpc = desiredState(
      { ...config, vpc: { subnet_ids: ['s-1'], security_group_ids: ['sg-1'] } },
      wiring,
      zips,
      at,
    );
    expect(vpc.policies[1]).toBe('arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole');
    expect(vpc.functions[0].vpc).toEqual({ subnetIds: ['s-1'], securityGroupIds: ['sg-1'] });
  });

  it('lists parents before children, with CORS allowing every method of a route', () => {
    expect(d.paths.map((p) => p.path)).toEqual(['/admin', '/track', '/admin/experiments']);
    expect(d.paths[1].cors['Access-Control-Allow-Methods']).toBe('GET,POST,OPTIONS');
    expect(d.paths[0].methods).toEqual([]);
    expect(d.paths[2].methods[0]).toEqual({
      verb: 'GET',
      fn: 'abtest-prod-experiments',
      apiKeyRequired: true,
      uri: 'arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111122223333:function:abtest-prod-experiments:live/invocations',
    });
  });

  it("gives API Gateway's own errors the preflight's origin, headers and every wired method, quoted", () => {
    expect(d.gatewayResponse).toEqual({
      'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
      'gatewayresponse.header.Access-Control-Allow-Methods': "'GET,POST,OPTIONS'",
      'gatewayresponse.header.Access-Control-Allow-Headers': `'${d.paths[1].cors['Access-Control-Allow-Headers']}'`,
    });
    const shop = desiredState({ ...config, cors_origin: 'https://shop.example' }, wiring, zips, at);
    expect(shop.gatewayResponse['gatewayresponse.header.Access-Control-Allow-Origin']).toBe("'https://shop.example'");
  });

  it('changes the API hash when the routes change, not when code does', () => {
    expect(
      desiredState(config, wiring, { track: { zip: Buffer.from('y'), sha256: 'other' }, experiments: zip }, at).apiHash,
    ).toBe(d.apiHash);
    expect(desiredState({ ...config, cors_origin: 'https://shop.example' }, wiring, zips, at).apiHash).not.toBe(
      d.apiHash,
    );
  });
});

describe('planDeploy', () => {
  it('plans everything, in dependency order, for an empty account', () => {
    const lines = planDeploy(ctx, desiredState(config, wiring, zips, at), empty).map(describeChange);
    expect(lines).toEqual([
      '+ create IAM role abtest-prod-lambda (AWSLambdaBasicExecutionRole)',
      '+ create function abtest-prod-track (nodejs24.x, 256 MB, 5 s)',
      '~ publish a version of abtest-prod-track and point live at it (first version)',
      '+ create function abtest-prod-experiments (nodejs24.x, 256 MB, 15 s)',
      '~ publish a version of abtest-prod-experiments and point live at it (first version)',
      '+ create REST API abtest-prod',
      '+ create resource /admin',
      '+ create resource /track',
      '+ create method GET /track (abtest-prod-track:live)',
      '+ create method POST /track (abtest-prod-track:live)',
      '+ create CORS preflight OPTIONS /track (GET,POST,OPTIONS)',
      '+ create resource /admin/experiments',
      '+ create method GET /admin/experiments (abtest-prod-experiments:live, API key required)',
      '+ create CORS preflight OPTIONS /admin/experiments (GET,OPTIONS)',
      "+ create gateway response DEFAULT_4XX (Access-Control-Allow-Origin '*' on API Gateway's own errors)",
      "+ create gateway response DEFAULT_5XX (Access-Control-Allow-Origin '*' on API Gateway's own errors)",
      '+ create permission for API Gateway to call abtest-prod-track:live',
      '+ create permission for API Gateway to call abtest-prod-experiments:live',
      '~ deploy the API to stage prod',
      '~ update throttle of every method of stage prod (100 requests/s, bursts of 200, with or without an API key)',
      '+ create API key abtest-prod (value made by API Gateway)',
      '+ create usage plan abtest-prod (100 requests/s, bursts of 200 per API key)',
      '+ create binding of API key abtest-prod to usage plan abtest-prod',
    ]);
  });
});

describe('configurationDiff', () => {
  const spec = desiredState(config, wiring, zips, at).functions[0];
  const live = {
    Runtime: 'nodejs24.x',
    Handler: 'track.handler',
    MemorySize: 256,
    Timeout: 5,
    Role: 'arn:role',
    Environment: { Variables: { ABTEST_NAMESPACE: 'shop', ABTEST_REDIS_URL: 'redis://h:6379' } },
    VpcConfig: { SubnetIds: [], SecurityGroupIds: [], VpcId: '' },
  } satisfies FunctionConfiguration;
  it('finds nothing when only the order of variables differs', () =>
    expect(configurationDiff(spec, 'arn:role', { ...live })).toEqual([]));
  it('names each field that differs', () => {
    expect(configurationDiff(spec, 'arn:other', { ...live, MemorySize: 128, Environment: { Variables: {} } })).toEqual([
      'memory',
      'role',
      'environment',
    ]);
  });
});

describe('versionsToPrune', () => {
  it.each([
    [['1', '2', '3'], ['3'], []],
    [['1', '2', '3', '4', '5', '6', '7'], ['7'], ['2', '1']],
    [['2', '9', '10', '11', '12', '13'], ['13'], ['2']],
    [['1', '2', '3', '4', '5', '6'], ['1'], []],
  ])('versions %j, protecting %j, deletes %j', (versions, protect, pruned) =>
    expect(versionsToPrune(versions, protect)).toEqual(pruned),
  );
});

describe('zipBundle', () => {
  it('gives the same bytes and hash for the same code, whatever the file time', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-zip-'));
    const file = path.join(dir, 'track.js');
    fs.writeFileSync(file, 'exports.handler = async () => ({ statusCode: 200 });');
    const a = await zipBundle(file, 'track.js');
    fs.utimesSync(file, new Date(2001, 1, 1), new Date(2001, 1, 1));
    const b = await zipBundle(file, 'track.js');
    expect(b.zip.equals(a.zip)).toBe(true);
    expect(b.sha256).toBe(a.sha256);
    fs.writeFileSync(file, 'exports.handler = async () => ({ statusCode: 204 });');
    expect((await zipBundle(file, 'track.js')).sha256).not.toBe(a.sha256);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('apiUrls', () => {
  it('uses execute-api on AWS and LocalStack paths with an endpoint', () => {
    expect(apiUrls('abc123', 'eu-west-1', 'prod', null).trackUrl).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/track',
    );
    expect(apiUrls('abc123', 'us-east-1', 'prod', 'http://localhost:4566/').experimentsUrl).toBe(
      'http://localhost:4566/restapis/abc123/prod/_user_request_/experiments',
    );
  });
});

describe('config keys deploy depends on', () => {
  it('defaults to nodejs24.x, accepts nodejs22.x, and refuses a runtime Lambda no longer supports, naming the supported ones', () => {
    expect(validateConfig({}).runtime).toBe('nodejs24.x');
    expect(validateConfig({ runtime: 'nodejs22.x' }).runtime).toBe('nodejs22.x');
    for (const old of ['nodejs20.x', 'nodejs18.x', 'nodejs26.x', 'python3.12']) {
      expect(() => validateConfig({ runtime: old }, 'abtest.config.json')).toThrow(
        `abtest.config.json: config key "runtime" is "${old}", a runtime AWS Lambda no longer supports or abtest does not know: ` +
          'use nodejs24.x (supported until 2028-04-30) or nodejs22.x (supported until 2027-04-30)',
      );
    }
  });

  it.each(['*', 'https://shop.example', 'http://localhost:8080', 'https://[::1]:3000', 'capacitor://localhost'])(
    'accepts cors_origin %s',
    (origin) => {
      expect(validateConfig({ cors_origin: origin }).cors_origin).toBe(origin);
    },
  );

  it.each([
    'https://shop.example/',
    'https://shop.example/path',
    'shop.example',
    'https://a.example, https://b.example',
    '**',
    'https://shop.example?x=1',
  ])('refuses cors_origin %s, naming the key', (origin) => {
    expect(() => validateConfig({ cors_origin: origin })).toThrow(
      `config key "cors_origin" must be "*" or an origin such as https://shop.example (scheme://host[:port], no path), got "${origin}"`,
    );
  });
});

describe('resourceNames', () => {
  it('gives every stage its own role, functions, API, key and usage plan', () => {
    const beta = resourceNames(config, 'beta');
    expect([beta.role, beta.fn('track'), beta.api, beta.apiKey, beta.usagePlan, beta.alias]).toEqual([
      'abtest-beta-lambda',
      'abtest-beta-track',
      'abtest-beta',
      'abtest-beta',
      'abtest-beta',
      'live',
    ]);
    expect(resourceNames(config, 'prod').fn('track')).toBe('abtest-prod-track');
  });

  it('refuses a stage that would make a name longer than AWS allows, naming the key', () => {
    expect(() => resourceNames(config, 's'.repeat(60))).toThrow(
      `the AWS name abtest-${'s'.repeat(60)}-lambda is longer than 64 characters`,
    );
    expect(() => resourceNames(config, 's'.repeat(50)).fn('experiments')).toThrow(/is longer than 64 characters/);
  });
});
