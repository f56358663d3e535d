import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULTS, type Wiring } from '../../src/config';
import { run as deploy, type DeployOptions } from '../../cli/commands/deploy';
import { run as destroy } from '../../cli/commands/destroy';
import { run as rollback } from '../../cli/commands/rollback';
import type { Zips } from '../../cli/deploy/desired';
import { describeDeployment } from '../../cli/deploy/describe';
import type { Reporter } from '../../cli/deploy/reporter';
import type { Prompter } from '../../cli/prompter';
import { zipBundle } from '../../cli/deploy/zip';
import { ACCOUNT, FakeAws } from '../helpers/fake-aws';

/** Records progress in order: `plan: ...`, `stage: ...`, `call: lambda CreateFunction`. */
function arrayReporter(): Reporter & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    plan: (lines) => events.push(`plan: ${lines.length} changes`),
    stage: (text) => events.push(`stage: ${text}`),
    apiCall: (service, op) => events.push(`call: ${service} ${op}`),
  };
}

let dir: string;
let fake: FakeAws;
let code: Record<string, string>;
const sleeps: number[] = [];

/** Zips of the source text in `code`, so a test changes one function's code by editing it. */
async function fakeZips(wiring: Wiring): Promise<Zips> {
  const zips: Zips = {};
  for (const f of wiring.functions) {
    const file = path.join(dir, `${f.name}.js`);
    fs.writeFileSync(
      file,
      code[f.name] ?? `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(f.name)} });`,
    );
    zips[f.name] = await zipBundle(file, `${f.handler.split('.')[0]}.js`);
  }
  return zips;
}

function writeConfig(values: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ redis_url: 'redis://redis.example:6379', region: 'us-east-1', ...values }));
  return file;
}

const run = (opts: Partial<DeployOptions> = {}, reporter = arrayReporter()) =>
  deploy(
    { config: path.join(dir, 'config.json'), ...opts },
    { reporter, sleep: async (ms) => void sleeps.push(ms), env: {}, buildZips: fakeZips },
  );

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-deploy-'));
  writeConfig();
  code = {};
  sleeps.length = 0;
  fake = new FakeAws().install();
});
afterEach(() => {
  fake.restore();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('abtest deploy against a fake account', () => {
  it('creates everything on the first deploy, in an order AWS accepts, reporting each step', async () => {
    const reporter = arrayReporter();
    const r = await run({}, reporter);

    expect(r.plan).toHaveLength(65);
    const stages = reporter.events.filter((e) => e.startsWith('stage: ')).map((e) => e.slice(7));
    expect(stages.slice(0, 4)).toEqual([
      'check AWS credentials (us-east-1)',
      'build the function bundles',
      'read what exists in the account',
      '+ create IAM role abtest-prod-lambda (AWSLambdaBasicExecutionRole)',
    ]);
    expect(reporter.events.indexOf('plan: 50 changes')).toBeLessThan(reporter.events.indexOf('call: iam CreateRole'));
    const order = fake.ops(0, true);
    expect(order.indexOf('iam CreateRole')).toBeLessThan(order.indexOf('lambda CreateFunction'));
    expect(order.indexOf('apigateway CreateDeployment')).toBeLessThan(order.indexOf('apigateway CreateUsagePlan'));

    expect([...fake.functions.keys()]).toEqual([
      'abtest-prod-track',
      'abtest-prod-experiments',
      'abtest-prod-delete',
      'abtest-prod-admin',
      'abtest-prod-sixpack',
    ]);
    // The Sixpack routes are public and preflighted like every route.
    for (const p of ['/participate', '/convert', '/_status']) {
      expect(r.plan).toContain(`+ create CORS preflight OPTIONS ${p} (GET,OPTIONS)`);
    }
    for (const f of fake.functions.values()) {
      expect(f.aliases.live).toBe('1');
      expect(f.latest.config).toMatchObject({
        Runtime: 'nodejs24.x',
        Environment: { Variables: { ABTEST_REDIS_URL: 'redis://redis.example:6379' } },
      });
      expect(f.policies.live).toEqual([
        {
          Sid: 'abtest-apigateway',
          SourceArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${r.urls!.baseUrl.split('//')[1].split('.')[0]}/*/*/*`,
        },
      ]);
    }
    expect(fake.functions.get('abtest-prod-track')!.latest.config).toMatchObject({
      MemorySize: 256,
      Timeout: 5,
      Handler: 'track.handler',
    });
    expect(fake.roles.get('abtest-prod-lambda')!.policies).toEqual([
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    ]);

    const [api] = fake.apis.values();
    const methods = Object.fromEntries([...api.resources.values()].map((res) => [res.path, res.resourceMethods]));
    expect(Object.keys(methods).sort()).toEqual([
      '/',
      '/_status',
      '/assign',
      '/config',
      '/convert',
      '/definition',
      '/definition/describe',
      '/definition/state',
      '/definition/weights',
      '/definitions',
      '/delete',
      '/experiments',
      '/participate',
      '/track',
    ]);
    expect(Object.keys(methods['/participate']).sort()).toEqual(['GET', 'OPTIONS']);
    expect(methods['/participate'].GET.apiKeyRequired).toBe(false);
    expect(methods['/assign'].GET.apiKeyRequired).toBe(false);
    expect(methods['/convert'].GET.methodIntegration!.uri).toMatch(/function:abtest-prod-sixpack:live\/invocations$/);
    expect(Object.keys(methods['/definition']).sort()).toEqual(['GET', 'OPTIONS', 'PUT']);
    expect(methods['/config'].GET.apiKeyRequired).toBe(false);
    expect(methods['/definition/state'].POST.apiKeyRequired).toBe(true);
    expect(Object.keys(methods['/track']).sort()).toEqual(['GET', 'OPTIONS', 'POST']);
    expect(methods['/experiments'].GET.apiKeyRequired).toBe(true);
    expect(methods['/track'].GET.apiKeyRequired).toBe(false);
    expect(methods['/delete'].DELETE.methodIntegration!.uri).toMatch(/function:abtest-prod-delete:live\/invocations$/);
    expect(
      methods['/delete'].OPTIONS.methodIntegration!.integrationResponses!['200'].responseParameters![
        'method.response.header.Access-Control-Allow-Methods'
      ],
    ).toBe("'DELETE,OPTIONS'");
    expect(api.stages.has('prod')).toBe(true);
    // Usage-plan throttling applies only to keyed requests: the stage throttles every method, /track included.
    expect(api.methodSettings.get('prod')).toEqual({ '*/*': { throttlingRateLimit: 100, throttlingBurstLimit: 200 } });
    expect(order.indexOf('apigateway UpdateStage')).toBeGreaterThan(order.indexOf('apigateway CreateDeployment'));
    const [plan] = fake.usagePlans.values();
    expect(plan).toMatchObject({
      name: 'abtest-prod',
      apiStages: [{ apiId: api.id, stage: 'prod' }],
      throttle: { rateLimit: 100, burstLimit: 200 },
    });
    expect(plan.keys).toEqual([...fake.apiKeys.keys()]);

    expect(r.urls).toEqual({
      baseUrl: `https://${api.id}.execute-api.us-east-1.amazonaws.com/prod`,
      trackUrl: `https://${api.id}.execute-api.us-east-1.amazonaws.com/prod/track`,
      experimentsUrl: `https://${api.id}.execute-api.us-east-1.amazonaws.com/prod/experiments`,
    });
    expect(r.apiKey.command).toContain('aws apigateway get-api-key --api-key ');
    expect(r.snippet).toContain(r.urls!.trackUrl);
    expect(await describeDeployment({ config: { ...DEFAULTS, region: 'us-east-1' } })).toEqual({
      ...r.urls,
      apiKey: [...fake.apiKeys.values()][0].value,
    });
    expect(await describeDeployment({ config: { ...DEFAULTS, region: 'us-east-1', app_name: 'other' } })).toBeNull();
  });

  it('waits for a new function and retries while a new role cannot be assumed yet', async () => {
    fake.rolePropagationFailures = 2;
    await run();
    expect(fake.ops(0, true).filter((op) => op === 'lambda CreateFunction')).toHaveLength(7);
    expect(sleeps.length).toBeGreaterThanOrEqual(2 + 3);
  });

  it('makes no mutating call on a second deploy with nothing changed', async () => {
    await run();
    const mark = fake.calls.length;
    const r = await run();
    expect(r.plan).toEqual([]);
    expect(fake.ops(mark, true)).toEqual([]);
    expect(r.urls).not.toBeNull();
  });

  it('uploads and republishes only the function whose code changed, and moves its alias', async () => {
    await run();
    code.track = 'exports.handler = async () => ({ statusCode: 201 });';
    const mark = fake.calls.length;
    const reporter = arrayReporter();
    const r = await run({}, reporter);
    expect(r.plan).toEqual([
      '~ update function abtest-prod-track (code)',
      '~ publish a version of abtest-prod-track and point live at it (changed)',
    ]);
    expect(fake.ops(mark, true)).toEqual(['lambda UpdateFunctionCode', 'lambda PublishVersion', 'lambda UpdateAlias']);
    const applied = reporter.events.slice(reporter.events.indexOf('plan: 2 changes'));
    expect(applied).toEqual([
      'plan: 2 changes',
      'stage: ~ update function abtest-prod-track (code)',
      'call: lambda UpdateFunctionCode',
      'call: lambda GetFunctionConfiguration',
      'call: lambda GetFunctionConfiguration',
      'stage: ~ publish a version of abtest-prod-track and point live at it (changed)',
      'call: lambda PublishVersion',
      'call: lambda UpdateAlias',
    ]);
    expect(fake.functions.get('abtest-prod-track')!.aliases.live).toBe('2');
    expect(fake.functions.get('abtest-prod-experiments')!.aliases.live).toBe('1');
  });

  it('updates configuration and republishes every function when the runtime config changes', async () => {
    await run();
    writeConfig({ namespace: 'shop' });
    const mark = fake.calls.length;
    await run();
    expect(fake.ops(mark, true).filter((op) => op === 'lambda UpdateFunctionConfiguration')).toHaveLength(5);
    expect(fake.ops(mark, true).filter((op) => op.startsWith('apigateway'))).toEqual([]);
    for (const f of fake.functions.values())
      expect(f.versions.at(-1)!.config.Environment.Variables.ABTEST_NAMESPACE).toBe('shop');
  });

  it('adds a route of extra_wiring to an existing function without touching the functions', async () => {
    await run();
    writeConfig({ extra_wiring: { routes: [{ path: '/hit', method: 'GET', function: 'track' }] } });
    const mark = fake.calls.length;
    const r = await run();
    expect(r.plan).toEqual([
      '+ create resource /hit',
      '+ create method GET /hit (abtest-prod-track:live)',
      '+ create CORS preflight OPTIONS /hit (GET,OPTIONS)',
      '~ deploy the API to stage prod',
    ]);
    expect(fake.ops(mark, true).every((op) => op.startsWith('apigateway'))).toBe(true);
    writeConfig();
    expect((await run()).plan).toEqual(['- delete resource /hit (no longer wired)', '~ deploy the API to stage prod']);
  });

  it('removes a function of this stage that extra_wiring no longer has, after its routes, and no other', async () => {
    await run();
    await run({ stage: 'beta' });
    const hit = {
      functions: [{ name: 'hit', handler: 'track.handler', memory: 128, timeout: 3 }],
      routes: [{ path: '/hit', method: 'GET', function: 'hit' }],
    };
    writeConfig({ extra_wiring: hit });
    await run();
    await run({ stage: 'beta' });
    expect(fake.functions.has('abtest-prod-hit')).toBe(true);
    writeConfig();
    const r = await run();
    expect(r.plan).toEqual([
      '- delete resource /hit (no longer wired)',
      '~ deploy the API to stage prod',
      '- delete function abtest-prod-hit (no longer wired)',
    ]);
    expect(fake.functions.has('abtest-prod-hit')).toBe(false);
    expect(fake.functions.has('abtest-beta-hit')).toBe(true);
    expect([...fake.functions.keys()].filter((f) => f.startsWith('abtest-prod-'))).toEqual([
      'abtest-prod-track',
      'abtest-prod-experiments',
      'abtest-prod-delete',
      'abtest-prod-admin',
      'abtest-prod-sixpack',
    ]);
    expect((await run()).plan).toEqual([]);
  });

  it('adds VPC access to the role and the functions when a VPC is configured', async () => {
    await run();
    writeConfig({ vpc: { subnet_ids: ['subnet-1'], security_group_ids: ['sg-1'] } });
    const r = await run();
    expect(r.plan[0]).toBe('~ update IAM role abtest-prod-lambda (attach AWSLambdaVPCAccessExecutionRole)');
    expect(r.plan[1]).toBe('~ update function abtest-prod-track (vpc)');
    expect(fake.functions.get('abtest-prod-track')!.latest.config.VpcConfig.SubnetIds).toEqual(['subnet-1']);
  });

  it('changes the throttle in place and replaces the key when config api_key changes', async () => {
    await run();
    const oldKey = [...fake.apiKeys.keys()][0];
    writeConfig({ throttle: { rate_limit: 10, burst_limit: 20 }, api_key: 'a-key-of-twenty-chars-at-least' });
    const r = await run();
    expect(r.plan).toEqual([
      '~ update throttle of every method of stage prod (10 requests/s, bursts of 20, with or without an API key)',
      '± replace API key abtest-prod (value from config api_key)',
      '~ update usage plan abtest-prod (10 requests/s, bursts of 20 per API key)',
      '+ create binding of API key abtest-prod to usage plan abtest-prod',
    ]);
    const [key] = fake.apiKeys.values();
    expect(key.id).not.toBe(oldKey);
    expect(key.value).toBe('a-key-of-twenty-chars-at-least');
    expect([...fake.usagePlans.values()][0]).toMatchObject({
      throttle: { rateLimit: 10, burstLimit: 20 },
      keys: [key.id],
    });
    expect([...fake.apis.values()][0].methodSettings.get('prod')!['*/*']).toEqual({
      throttlingRateLimit: 10,
      throttlingBurstLimit: 20,
    });
    expect((await run()).plan).toEqual([]);
  });

  it('throttles every method of a stage that has no method throttle, and only that', async () => {
    await run();
    const [api] = fake.apis.values();
    api.methodSettings.delete('prod');
    const mark = fake.calls.length;
    expect((await run()).plan).toEqual([
      '~ update throttle of every method of stage prod (100 requests/s, bursts of 200, with or without an API key)',
    ]);
    expect(fake.ops(mark, true)).toEqual(['apigateway UpdateStage']);
    expect(fake.calls.at(-1)!.input.patchOperations).toEqual([
      { op: 'replace', path: '/*/*/throttling/rateLimit', value: '100' },
      { op: 'replace', path: '/*/*/throttling/burstLimit', value: '200' },
    ]);
    expect((await run()).plan).toEqual([]);
  });

  it("puts CORS headers on API Gateway's own errors once, then again only for a new cors_origin", async () => {
    const cors = (origin: string) => ({
      'gatewayresponse.header.Access-Control-Allow-Origin': `'${origin}'`,
      'gatewayresponse.header.Access-Control-Allow-Methods': "'GET,POST,DELETE,PUT,OPTIONS'",
      'gatewayresponse.header.Access-Control-Allow-Headers': "'Content-Type,X-Api-Key'",
    });
    // The gateway responses of the deployment the stage serves.
    const deployed = () => {
      const [api] = fake.apis.values();
      return JSON.parse(api.deployments.get(api.stages.get('prod')!)!.snapshot)[1];
    };
    const first = await run();
    const [api] = fake.apis.values();
    const why = (origin: string) => `(Access-Control-Allow-Origin '${origin}' on API Gateway's own errors)`;
    expect(first.plan).toContain(`+ create gateway response DEFAULT_4XX ${why('*')}`);
    expect(first.plan).toContain(`+ create gateway response DEFAULT_5XX ${why('*')}`);
    expect([...api.gatewayResponses.values()]).toEqual([
      { responseType: 'DEFAULT_4XX', responseParameters: cors('*') },
      { responseType: 'DEFAULT_5XX', responseParameters: cors('*') },
    ]);
    const order = fake.ops(0, true);
    expect(order.lastIndexOf('apigateway PutGatewayResponse')).toBeLessThan(
      order.indexOf('apigateway CreateDeployment'),
    );
    expect(deployed().map((r: { responseType: string }) => r.responseType)).toEqual(['DEFAULT_4XX', 'DEFAULT_5XX']);

    let mark = fake.calls.length;
    expect((await run()).plan).toEqual([]);
    expect(fake.ops(mark)).toContain('apigateway GetGatewayResponses');
    expect(fake.ops(mark, true)).toEqual([]);

    writeConfig({ cors_origin: 'https://shop.example' });
    mark = fake.calls.length;
    const changed = await run();
    expect(changed.plan).toContain(`~ update gateway response DEFAULT_4XX ${why('https://shop.example')}`);
    expect(changed.plan).toContain('~ deploy the API to stage prod');
    const puts = fake.ops(mark, true).filter((op) => op.includes('GatewayResponse'));
    expect(puts).toEqual(['apigateway PutGatewayResponse', 'apigateway PutGatewayResponse']);
    expect(api.gatewayResponses.get('DEFAULT_5XX')!.responseParameters).toEqual(cors('https://shop.example'));
    expect(deployed()[0].responseParameters).toEqual(cors('https://shop.example'));
    expect((await run()).plan).toEqual([]);
  });

  it('puts only the gateway response that differs, and redeploys the stage for it', async () => {
    await run();
    const [api] = fake.apis.values();
    api.gatewayResponses.delete('DEFAULT_5XX');
    const mark = fake.calls.length;
    expect((await run()).plan).toEqual([
      "+ create gateway response DEFAULT_5XX (Access-Control-Allow-Origin '*' on API Gateway's own errors)",
      '~ deploy the API to stage prod',
    ]);
    expect(fake.ops(mark, true)).toEqual(['apigateway PutGatewayResponse', 'apigateway CreateDeployment']);
    expect((await run()).plan).toEqual([]);
  });

  it('keeps the newest 5 versions', async () => {
    for (let i = 0; i < 7; i++) {
      code.track = `exports.handler = async () => ({ statusCode: 200, body: "${i}" });`;
      await run();
    }
    const track = fake.functions.get('abtest-prod-track')!;
    expect(track.versions.map((v) => v.version)).toEqual(['3', '4', '5', '6', '7']);
    expect(track.aliases.live).toBe('7');
  });

  it('--dry-run prints the plan and makes no mutating call', async () => {
    const first = await run({ dryRun: true });
    expect(first.plan).toHaveLength(65);
    expect(first.urls).toBeNull();
    expect(fake.mutations()).toEqual([]);
    await run();
    code.delete = 'exports.handler = async () => ({ statusCode: 204 });';
    const mark = fake.calls.length;
    expect((await run({ dryRun: true })).plan).toEqual([
      '~ update function abtest-prod-delete (code)',
      '~ publish a version of abtest-prod-delete and point live at it (changed)',
    ]);
    expect(fake.ops(mark, true)).toEqual([]);
  });

  it('deploys another stage, with changed code, without changing anything of the first stage', async () => {
    const prod = await run();
    const before = stageState('prod');
    code.track = 'exports.handler = async () => ({ statusCode: 200, body: "beta" });';
    const mark = fake.calls.length;
    const r = await run({ stage: 'beta' });
    expect(r.plan).toContain('+ create function abtest-beta-track (nodejs24.x, 256 MB, 5 s)');
    expect(r.plan).toContain('+ create REST API abtest-beta');
    expect(r.plan.slice(-3)).toEqual([
      '+ create API key abtest-beta (value made by API Gateway)',
      '+ create usage plan abtest-beta (100 requests/s, bursts of 200 per API key)',
      '+ create binding of API key abtest-beta to usage plan abtest-beta',
    ]);
    expect(stageState('prod')).toEqual(before);
    const prodApi = [...fake.apis.values()].find((a) => a.name === 'abtest-prod')!.id;
    const touched = fake.calls.slice(mark).filter((c) => !/^(Get|List)/.test(c.op));
    expect(
      touched.filter(
        (c) =>
          String(c.input.FunctionName ?? c.input.RoleName ?? '').startsWith('abtest-prod-') ||
          c.input.restApiId === prodApi,
      ),
    ).toEqual([]);
    expect(fake.functions.get('abtest-beta-track')!.latest.sha).not.toBe(
      fake.functions.get('abtest-prod-track')!.latest.sha,
    );
    expect(r.urls!.baseUrl).toMatch(/\/beta$/);
    expect(r.urls!.baseUrl).not.toBe(prod.urls!.baseUrl.replace(/prod$/, 'beta'));
    delete code.track;
    expect((await run()).plan).toEqual([]);
  });
});

/** Everything one stage owns in the fake account (functions, versions, aliases, API, key, plan), to compare. */
function stageState(stage: string): unknown {
  const prefix = `abtest-${stage}`;
  const functions = [...fake.functions.values()].filter((f) => f.name.startsWith(`${prefix}-`));
  const api = [...fake.apis.values()].find((a) => a.name === prefix);
  return structuredClone({
    role: fake.roles.get(`${prefix}-lambda`),
    functions: functions.map((f) => ({
      ...f,
      latest: { ...f.latest, zip: null },
      versions: f.versions.map((v) => ({ ...v, zip: null })),
    })),
    api: api && {
      ...api,
      resources: [...api.resources.values()],
      deployments: [...api.deployments.values()],
      stages: [...api.stages],
    },
    keys: [...fake.apiKeys.values()].filter((k) => k.name === prefix),
    plans: [...fake.usagePlans.values()].filter((p) => p.name === prefix),
  });
}

describe('abtest rollback and destroy', () => {
  const opts = () => ({ config: path.join(dir, 'config.json') });
  const deps = () => ({ reporter: arrayReporter(), sleep: async () => {}, env: {} });

  it('points live at the previous version, and says so when there is none', async () => {
    await expect(rollback(opts(), deps())).rejects.toThrow(
      'abtest-prod-track has no alias live: it was never deployed',
    );
    await run();
    code.track = 'exports.handler = async () => ({ statusCode: 202 });';
    await run();
    await expect(rollback(opts(), deps())).rejects.toThrow(
      'abtest-prod-experiments has no version before 1, the one live serves: there is nothing to roll back to',
    );
    expect(fake.functions.get('abtest-prod-track')!.aliases.live).toBe('2');
    const r = await rollback({ ...opts(), function: 'track' }, deps());
    expect(r.moved).toEqual([{ fn: 'abtest-prod-track', from: '2', to: '1' }]);
    expect(fake.functions.get('abtest-prod-track')!.aliases.live).toBe('1');
    // The next deploy brings live back to the current code without publishing a new version.
    const mark = fake.calls.length;
    expect((await run()).plan).toEqual([
      '~ publish a version of abtest-prod-track and point live at it (live is not the current code)',
    ]);
    expect(fake.ops(mark, true)).toEqual(['lambda PublishVersion', 'lambda UpdateAlias']);
    expect(fake.functions.get('abtest-prod-track')!.aliases.live).toBe('2');
    await expect(rollback({ ...opts(), function: 'nope' }, deps())).rejects.toThrow(
      'there is no function "nope" in the wiring',
    );
  });

  it('refuses a --stage that is not a stage name, naming the flag, before any AWS call', async () => {
    const refusal = '--stage: config key "stage" must be letters, digits and _, got "be-ta"';
    await expect(run({ stage: 'be-ta' })).rejects.toThrow(refusal);
    await expect(rollback({ ...opts(), stage: 'be-ta' }, deps())).rejects.toThrow(refusal);
    await expect(destroy({ ...opts(), stage: 'be-ta', yes: true }, deps())).rejects.toThrow(refusal);
    expect(fake.calls).toEqual([]);
  });

  it('rolls back and destroys one stage, leaving the other as it was', async () => {
    await run();
    code.track = 'exports.handler = async () => ({ statusCode: 200, body: "2" });';
    await run();
    await run({ stage: 'beta' });
    code.track = 'exports.handler = async () => ({ statusCode: 200, body: "3" });';
    await run({ stage: 'beta' });
    const before = stageState('prod');
    const back = await rollback({ ...opts(), stage: 'beta', function: 'track' }, deps());
    expect(back.moved).toEqual([{ fn: 'abtest-beta-track', from: '2', to: '1' }]);
    expect(stageState('prod')).toEqual(before);
    expect(fake.functions.get('abtest-prod-track')!.aliases.live).toBe('2');

    const gone = await destroy({ ...opts(), stage: 'beta', yes: true }, deps());
    expect(gone.removed).toEqual([
      'usage plan abtest-beta',
      'API key abtest-beta',
      expect.stringMatching(/^REST API abtest-beta \(\w+\)$/),
      'function abtest-beta-track',
      'function abtest-beta-experiments',
      'function abtest-beta-delete',
      'function abtest-beta-admin',
      'function abtest-beta-sixpack',
      'IAM role abtest-beta-lambda',
    ]);
    expect(stageState('beta')).toEqual({ role: undefined, functions: [], api: undefined, keys: [], plans: [] });
    expect(stageState('prod')).toEqual(before);
    code.track = 'exports.handler = async () => ({ statusCode: 200, body: "2" });';
    expect((await run()).plan).toEqual([]);
  });

  it('removes everything deploy made, asking first unless --yes', async () => {
    await run();
    await expect(destroy(opts(), deps())).rejects.toThrow('needs confirmation');
    const asked: string[] = [];
    const mark = fake.calls.length;
    const refuse = async (q: { message: string }) => {
      asked.push(q.message);
      return false;
    };
    const prompter: Prompter = { input: async () => '', select: async () => '', confirm: refuse };
    const no = await destroy(opts(), { ...deps(), prompter });
    expect(no.cancelled).toBe(true);
    expect(asked[0]).toMatch(
      /^Remove usage plan abtest-prod, API key abtest-prod, REST API abtest-prod \(\w+\), function abtest-prod-track, .* \(stage prod\) in us-east-1\?$/,
    );
    expect(fake.ops(mark, true)).toEqual([]);

    const r = await destroy({ ...opts(), yes: true }, deps());
    expect(r.removed).toHaveLength(9);
    expect([fake.roles.size, fake.functions.size, fake.apis.size, fake.apiKeys.size, fake.usagePlans.size]).toEqual([
      0, 0, 0, 0, 0,
    ]);
    expect((await destroy({ ...opts(), yes: true }, deps())).removed).toEqual([]);
  });
});
