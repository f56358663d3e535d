import * as apigw from '@aws-sdk/client-api-gateway';
import * as iam from '@aws-sdk/client-iam';
import * as lambda from '@aws-sdk/client-lambda';
import * as sts from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';

/**
 * A stateful fake AWS account behind aws-sdk-client-mock: what one call creates, later calls
 * see. It enforces the rules a real account enforces that deploy must respect (a function
 * needs its role, is busy right after a change, an alias needs its version, a usage plan
 * needs its stage, a role with policies cannot be deleted, ...). Every call is recorded.
 */

export const ACCOUNT = '123456789012';

export interface Call {
  service: string;
  op: string;
  input: Record<string, any>;
}

interface Version {
  version: string;
  zip: Buffer;
  sha: string;
  config: Record<string, any>;
}
interface Fn {
  name: string;
  arn: string;
  latest: Version;
  versions: Version[];
  nextVersion: number;
  aliases: Record<string, string>;
  policies: Record<string, { Sid: string; SourceArn: string }[]>;
  busyPolls: number;
}
interface Method {
  httpMethod: string;
  apiKeyRequired: boolean;
  authorizationType: string;
  methodIntegration?: {
    type: string;
    uri?: string;
    integrationResponses?: Record<string, { statusCode: string; responseParameters?: Record<string, string> }>;
  };
  methodResponses?: Record<string, unknown>;
}
interface Resource {
  id: string;
  parentId?: string;
  pathPart?: string;
  path: string;
  resourceMethods: Record<string, Method>;
}
interface Api {
  id: string;
  name: string;
  resources: Map<string, Resource>;
  deployments: Map<string, { id: string; description?: string; snapshot: string }>;
  stages: Map<string, string>;
  /** Gateway responses customized by PutGatewayResponse, by response type. */
  gatewayResponses: Map<
    string,
    { responseType: string; statusCode?: string; responseParameters: Record<string, string> }
  >;
  /** Method settings of each stage, by `resource/method` (`*\/*` for all), as GetStage answers them. */
  methodSettings: Map<string, Record<string, Record<string, number>>>;
}

const awsError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
const isMutation = (op: string) => !/^(Get|List)/.test(op);
/** Some of API Gateway's response types: GetGatewayResponses lists them as defaults until customized. */
const GATEWAY_RESPONSE_TYPES = ['DEFAULT_4XX', 'DEFAULT_5XX', 'MISSING_AUTHENTICATION_TOKEN', 'THROTTLED'];
/** What a gateway response header may be mapped from: a static value in single quotes, or a request value. */
const GATEWAY_HEADER_VALUE = /^('[^']*'|method\.request\.[\w.-]+|context\.[\w.]+|stageVariables\.\w+)$/;

export class FakeAws {
  readonly calls: Call[] = [];
  readonly roles = new Map<string, { arn: string; policies: string[] }>();
  readonly functions = new Map<string, Fn>();
  readonly apis = new Map<string, Api>();
  readonly apiKeys = new Map<string, { id: string; name: string; value: string; enabled: boolean }>();
  readonly usagePlans = new Map<
    string,
    {
      id: string;
      name: string;
      apiStages: { apiId: string; stage: string }[];
      throttle?: { rateLimit?: number; burstLimit?: number };
      keys: string[];
    }
  >();
  /** CreateFunction calls that fail as if the new role had not propagated yet. */
  rolePropagationFailures = 0;
  private ids = 0;
  private mocks: { restore(): void }[] = [];

  constructor(readonly region = 'us-east-1') {}

  /** Puts the fake behind every client of the four services. */
  install(): this {
    this.mocks = [
      this.mock('sts', mockClient(sts.STSClient), {
        GetCallerIdentityCommand: () => ({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/tester` }),
      }),
      this.mock('iam', mockClient(iam.IAMClient), this.iam()),
      this.mock('lambda', mockClient(lambda.LambdaClient), this.lambda()),
      this.mock('apigateway', mockClient(apigw.APIGatewayClient), this.apigateway()),
    ];
    return this;
  }

  restore(): void {
    for (const m of this.mocks) m.restore();
  }

  /** The calls that change something (all but Get* and List*). */
  mutations(): Call[] {
    return this.calls.filter((c) => isMutation(c.op));
  }

  /** `service Op` of every call since `from`. */
  ops(from = 0, onlyMutations = false): string[] {
    return this.calls
      .slice(from)
      .filter((c) => !onlyMutations || isMutation(c.op))
      .map((c) => `${c.service} ${c.op}`);
  }

  private mock(service: string, stub: any, handlers: Record<string, (input: any) => unknown>) {
    const module: Record<string, unknown> = { sts, iam, lambda, apigateway: apigw }[service] as any;
    stub.onAnyCommand().rejects(new Error(`the fake AWS has no ${service} operation for this command`));
    for (const [name, handler] of Object.entries(handlers)) {
      stub.on(module[name] as any).callsFake(async (input: any) => {
        this.calls.push({ service, op: name.replace(/Command$/, ''), input });
        return structuredClone(handler(input) ?? {});
      });
    }
    return stub;
  }

  private id(prefix: string) {
    return `${prefix}${(++this.ids).toString(36).padStart(6, '0')}`;
  }

  private iam(): Record<string, (i: any) => unknown> {
    const role = (name: string) =>
      this.roles.get(name) ??
      (() => {
        throw awsError('NoSuchEntityException', `The role with name ${name} cannot be found.`, 404);
      })();
    return {
      GetRoleCommand: (i) => ({ Role: { RoleName: i.RoleName, Arn: role(i.RoleName).arn } }),
      CreateRoleCommand: (i) => {
        if (this.roles.has(i.RoleName))
          throw awsError('EntityAlreadyExistsException', `Role with name ${i.RoleName} already exists.`, 409);
        const arn = `arn:aws:iam::${ACCOUNT}:role/${i.RoleName}`;
        this.roles.set(i.RoleName, { arn, policies: [] });
        return { Role: { RoleName: i.RoleName, Arn: arn } };
      },
      ListAttachedRolePoliciesCommand: (i) => ({
        AttachedPolicies: role(i.RoleName).policies.map((PolicyArn) => ({ PolicyArn })),
      }),
      AttachRolePolicyCommand: (i) =>
        void (role(i.RoleName).policies.includes(i.PolicyArn) || role(i.RoleName).policies.push(i.PolicyArn)),
      DetachRolePolicyCommand: (i) =>
        void (role(i.RoleName).policies = role(i.RoleName).policies.filter((p) => p !== i.PolicyArn)),
      DeleteRoleCommand: (i) => {
        if (role(i.RoleName).policies.length)
          throw awsError('DeleteConflictException', 'Cannot delete entity, must detach all policies first.', 409);
        if ([...this.functions.values()].some((f) => f.latest.config.Role === role(i.RoleName).arn))
          throw new Error('test: role deleted while functions use it');
        this.roles.delete(i.RoleName);
      },
    };
  }

  private fn(name: string): Fn {
    const f = this.functions.get(name);
    if (!f)
      throw awsError(
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${this.region}:${ACCOUNT}:function:${name}`,
        404,
      );
    return f;
  }

  private ready(f: Fn) {
    if (f.busyPolls > 0)
      throw awsError(
        'ResourceConflictException',
        `The operation cannot be performed at this time. An update is in progress for resource: ${f.arn}`,
        409,
      );
  }

  private configuration(f: Fn, v: Version): Record<string, any> {
    const busy = f.busyPolls > 0 && v === f.latest;
    return {
      FunctionName: f.name,
      FunctionArn: v === f.latest ? f.arn : `${f.arn}:${v.version}`,
      Version: v.version,
      CodeSha256: v.sha,
      ...v.config,
      State: busy && f.versions.length === 0 && !f.nextVersion ? 'Pending' : 'Active',
      LastUpdateStatus: busy ? 'InProgress' : 'Successful',
    };
  }

  private lambda(): Record<string, (i: any) => unknown> {
    const sha = (zip: Uint8Array) => createHash('sha256').update(zip).digest('base64');
    const settings = (i: any, old: Record<string, any> = {}) => ({
      Role: i.Role ?? old.Role,
      Runtime: i.Runtime ?? old.Runtime,
      Handler: i.Handler ?? old.Handler,
      MemorySize: i.MemorySize ?? old.MemorySize ?? 128,
      Timeout: i.Timeout ?? old.Timeout ?? 3,
      Environment: i.Environment ? { Variables: { ...i.Environment.Variables } } : old.Environment,
      VpcConfig: i.VpcConfig
        ? {
            SubnetIds: [...i.VpcConfig.SubnetIds],
            SecurityGroupIds: [...i.VpcConfig.SecurityGroupIds],
            VpcId: i.VpcConfig.SubnetIds.length ? 'vpc-1' : '',
          }
        : old.VpcConfig,
    });
    const qualified = (f: Fn, q?: string): Version => {
      if (!q || q === '$LATEST') return f.latest;
      const version = f.aliases[q] ?? q;
      const v = f.versions.find((x) => x.version === version);
      if (!v) throw awsError('ResourceNotFoundException', `Function not found: ${f.arn}:${q}`, 404);
      return v;
    };
    return {
      GetFunctionConfigurationCommand: (i) => {
        const f = this.fn(i.FunctionName);
        const out = this.configuration(f, qualified(f, i.Qualifier));
        if (!i.Qualifier && f.busyPolls > 0) f.busyPolls--;
        return out;
      },
      CreateFunctionCommand: (i) => {
        if (this.functions.has(i.FunctionName))
          throw awsError('ResourceConflictException', `Function already exist: ${i.FunctionName}`, 409);
        const role = [...this.roles.values()].find((r) => r.arn === i.Role);
        if (!role)
          throw awsError(
            'InvalidParameterValueException',
            'The role defined for the function cannot be assumed by Lambda.',
          );
        if (this.rolePropagationFailures > 0) {
          this.rolePropagationFailures--;
          throw awsError(
            'InvalidParameterValueException',
            'The role defined for the function cannot be assumed by Lambda.',
          );
        }
        const zip = Buffer.from(i.Code.ZipFile);
        const f: Fn = {
          name: i.FunctionName,
          arn: `arn:aws:lambda:${this.region}:${ACCOUNT}:function:${i.FunctionName}`,
          latest: { version: '$LATEST', zip, sha: sha(zip), config: settings(i) },
          versions: [],
          nextVersion: 0,
          aliases: {},
          policies: {},
          busyPolls: 1,
        };
        this.functions.set(f.name, f);
        return this.configuration(f, f.latest);
      },
      UpdateFunctionCodeCommand: (i) => {
        const f = this.fn(i.FunctionName);
        this.ready(f);
        const zip = Buffer.from(i.ZipFile);
        f.latest = { ...f.latest, zip, sha: sha(zip) };
        f.busyPolls = 1;
        return this.configuration(f, f.latest);
      },
      UpdateFunctionConfigurationCommand: (i) => {
        const f = this.fn(i.FunctionName);
        this.ready(f);
        f.latest = { ...f.latest, config: settings(i, f.latest.config) };
        f.busyPolls = 1;
        return this.configuration(f, f.latest);
      },
      PublishVersionCommand: (i) => {
        const f = this.fn(i.FunctionName);
        this.ready(f);
        if (i.CodeSha256 && i.CodeSha256 !== f.latest.sha)
          throw awsError('PreconditionFailedException', 'CodeSha256 does not match', 412);
        const last = f.versions.at(-1);
        // Lambda publishes nothing new when $LATEST equals the newest version.
        if (last && last.sha === f.latest.sha && JSON.stringify(last.config) === JSON.stringify(f.latest.config))
          return this.configuration(f, last);
        const v = { ...f.latest, version: String(++f.nextVersion) };
        f.versions.push(v);
        return this.configuration(f, v);
      },
      ListVersionsByFunctionCommand: (i) => {
        const f = this.fn(i.FunctionName);
        return { Versions: [f.latest, ...f.versions].map((v) => this.configuration(f, v)) };
      },
      DeleteFunctionCommand: (i) => {
        const f = this.fn(i.FunctionName);
        if (!i.Qualifier) return void this.functions.delete(f.name);
        if (Object.values(f.aliases).includes(i.Qualifier))
          throw awsError('ResourceConflictException', `Version ${i.Qualifier} is used by an alias`, 409);
        qualified(f, i.Qualifier);
        f.versions = f.versions.filter((v) => v.version !== i.Qualifier);
      },
      GetAliasCommand: (i) => {
        const f = this.fn(i.FunctionName);
        if (!f.aliases[i.Name]) throw awsError('ResourceNotFoundException', `Alias not found: ${f.arn}:${i.Name}`, 404);
        return { Name: i.Name, FunctionVersion: f.aliases[i.Name], AliasArn: `${f.arn}:${i.Name}` };
      },
      CreateAliasCommand: (i) => {
        const f = this.fn(i.FunctionName);
        if (f.aliases[i.Name]) throw awsError('ResourceConflictException', `Alias already exists: ${i.Name}`, 409);
        qualified(f, i.FunctionVersion);
        f.aliases[i.Name] = i.FunctionVersion;
        return { Name: i.Name, FunctionVersion: i.FunctionVersion };
      },
      UpdateAliasCommand: (i) => {
        const f = this.fn(i.FunctionName);
        if (!f.aliases[i.Name]) throw awsError('ResourceNotFoundException', `Alias not found: ${i.Name}`, 404);
        qualified(f, i.FunctionVersion);
        f.aliases[i.Name] = i.FunctionVersion;
        return { Name: i.Name, FunctionVersion: i.FunctionVersion };
      },
      GetPolicyCommand: (i) => {
        const f = this.fn(i.FunctionName);
        const statements = f.policies[i.Qualifier ?? '$LATEST'];
        if (!statements?.length)
          throw awsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
        const Statement = statements.map((s) => ({
          Sid: s.Sid,
          Effect: 'Allow',
          Principal: { Service: 'apigateway.amazonaws.com' },
          Action: 'lambda:InvokeFunction',
          Condition: { ArnLike: { 'AWS:SourceArn': s.SourceArn } },
        }));
        return { Policy: JSON.stringify({ Version: '2012-10-17', Statement }) };
      },
      AddPermissionCommand: (i) => {
        const f = this.fn(i.FunctionName);
        if (i.Qualifier && !f.aliases[i.Qualifier])
          throw awsError('ResourceNotFoundException', `Alias not found: ${i.Qualifier}`, 404);
        const list = (f.policies[i.Qualifier ?? '$LATEST'] ??= []);
        if (list.some((s) => s.Sid === i.StatementId))
          throw awsError(
            'ResourceConflictException',
            `The statement id (${i.StatementId}) provided already exists.`,
            409,
          );
        list.push({ Sid: i.StatementId, SourceArn: i.SourceArn });
      },
      RemovePermissionCommand: (i) => {
        const f = this.fn(i.FunctionName);
        const key = i.Qualifier ?? '$LATEST';
        if (!f.policies[key]?.some((s) => s.Sid === i.StatementId))
          throw awsError('ResourceNotFoundException', 'Statement not found', 404);
        f.policies[key] = f.policies[key].filter((s) => s.Sid !== i.StatementId);
      },
      ListFunctionsCommand: () => ({
        Functions: [...this.functions.values()].map((f) => this.configuration(f, f.latest)),
      }),
    };
  }

  private api(id: string): Api {
    const api = this.apis.get(id);
    if (!api) throw awsError('NotFoundException', 'Invalid API identifier specified', 404);
    return api;
  }

  private resource(i: { restApiId: string; resourceId: string }): Resource {
    const r = this.api(i.restApiId).resources.get(i.resourceId);
    if (!r) throw awsError('NotFoundException', 'Invalid Resource identifier specified', 404);
    return r;
  }

  private method(i: { restApiId: string; resourceId: string; httpMethod: string }): Method {
    const m = this.resource(i).resourceMethods[i.httpMethod];
    if (!m) throw awsError('NotFoundException', 'Invalid Method identifier specified', 404);
    return m;
  }

  private apigateway(): Record<string, (i: any) => unknown> {
    const plansOf = (apiId: string) =>
      [...this.usagePlans.values()].filter((p) => p.apiStages.some((s) => s.apiId === apiId));
    return {
      GetRestApisCommand: () => ({ items: [...this.apis.values()].map((a) => ({ id: a.id, name: a.name })) }),
      CreateRestApiCommand: (i) => {
        const api: Api = {
          id: this.id('api'),
          name: i.name,
          resources: new Map(),
          deployments: new Map(),
          stages: new Map(),
          methodSettings: new Map(),
          gatewayResponses: new Map(),
        };
        const root: Resource = { id: this.id('r'), path: '/', resourceMethods: {} };
        api.resources.set(root.id, root);
        this.apis.set(api.id, api);
        return { id: api.id, name: api.name, rootResourceId: root.id };
      },
      DeleteRestApiCommand: (i) => {
        this.api(i.restApiId);
        if (plansOf(i.restApiId).length)
          throw awsError('BadRequestException', 'Cannot delete API: a usage plan is associated with its stages');
        this.apis.delete(i.restApiId);
      },
      GetResourcesCommand: (i) => ({
        items: [...this.api(i.restApiId).resources.values()].map((r) => ({
          id: r.id,
          parentId: r.parentId,
          pathPart: r.pathPart,
          path: r.path,
          resourceMethods: i.embed?.includes('methods')
            ? r.resourceMethods
            : Object.fromEntries(Object.keys(r.resourceMethods).map((m) => [m, {}])),
        })),
      }),
      CreateResourceCommand: (i) => {
        const api = this.api(i.restApiId);
        const parent = this.resource({ restApiId: i.restApiId, resourceId: i.parentId });
        const path = `${parent.path === '/' ? '' : parent.path}/${i.pathPart}`;
        if ([...api.resources.values()].some((r) => r.path === path))
          throw awsError(
            'ConflictException',
            `Another resource with the same parent already has this name: ${i.pathPart}`,
            409,
          );
        const r: Resource = { id: this.id('r'), parentId: parent.id, pathPart: i.pathPart, path, resourceMethods: {} };
        api.resources.set(r.id, r);
        return r;
      },
      DeleteResourceCommand: (i) => {
        const api = this.api(i.restApiId);
        const r = this.resource(i);
        for (const [id, x] of api.resources)
          if (x.path === r.path || x.path.startsWith(`${r.path}/`)) api.resources.delete(id);
      },
      PutMethodCommand: (i) => {
        const r = this.resource(i);
        if (r.resourceMethods[i.httpMethod])
          throw awsError('ConflictException', 'Method already exists for this resource', 409);
        r.resourceMethods[i.httpMethod] = {
          httpMethod: i.httpMethod,
          apiKeyRequired: i.apiKeyRequired === true,
          authorizationType: i.authorizationType,
        };
      },
      UpdateMethodCommand: (i) => {
        const m = this.method(i);
        for (const op of i.patchOperations) if (op.path === '/apiKeyRequired') m.apiKeyRequired = op.value === 'true';
        return m;
      },
      DeleteMethodCommand: (i) => {
        this.method(i);
        delete this.resource(i).resourceMethods[i.httpMethod];
      },
      PutMethodResponseCommand: (i) => {
        const m = this.method(i);
        (m.methodResponses ??= {})[i.statusCode] = {
          statusCode: i.statusCode,
          responseParameters: i.responseParameters,
        };
      },
      PutIntegrationCommand: (i) => {
        const m = this.method(i);
        if (
          i.type === 'AWS_PROXY' &&
          !/^arn:aws:apigateway:[\w-]+:lambda:path\/2015-03-31\/functions\/arn:aws:lambda:.+\/invocations$/.test(i.uri)
        )
          throw awsError('BadRequestException', `Invalid integration URI ${i.uri}`);
        m.methodIntegration = { type: i.type, uri: i.uri };
      },
      PutIntegrationResponseCommand: (i) => {
        const m = this.method(i);
        if (!m.methodIntegration) throw awsError('NotFoundException', 'Invalid Integration identifier specified', 404);
        if (!m.methodResponses?.[i.statusCode])
          throw awsError('NotFoundException', 'Invalid Response status code specified', 404);
        (m.methodIntegration.integrationResponses ??= {})[i.statusCode] = {
          statusCode: i.statusCode,
          responseParameters: i.responseParameters,
        };
      },
      CreateDeploymentCommand: (i) => {
        const api = this.api(i.restApiId);
        const id = this.id('d');
        const snapshot = JSON.stringify([[...api.resources.values()], [...api.gatewayResponses.values()]]);
        api.deployments.set(id, { id, description: i.description, snapshot });
        if (i.stageName) api.stages.set(i.stageName, id);
        return { id };
      },
      GetStageCommand: (i) => {
        const api = this.api(i.restApiId);
        const deploymentId = api.stages.get(i.stageName);
        if (!deploymentId) throw awsError('NotFoundException', 'Invalid Stage identifier specified', 404);
        return { stageName: i.stageName, deploymentId, methodSettings: api.methodSettings.get(i.stageName) ?? {} };
      },
      UpdateStageCommand: (i) => {
        const api = this.api(i.restApiId);
        if (!api.stages.has(i.stageName))
          throw awsError('NotFoundException', 'Invalid Stage identifier specified', 404);
        const settings = api.methodSettings.get(i.stageName) ?? {};
        for (const op of i.patchOperations) {
          const m = /^\/([^/]+)\/([^/]+)\/throttling\/(rateLimit|burstLimit)$/.exec(op.path);
          if (op.op !== 'replace' || !m)
            throw awsError('BadRequestException', `the fake supports no patch ${op.op} ${op.path}`);
          const key = `${m[1]}/${m[2]}`;
          const name = m[3] === 'rateLimit' ? 'throttlingRateLimit' : 'throttlingBurstLimit';
          settings[key] = {
            ...(settings[key] ?? { throttlingRateLimit: 10000, throttlingBurstLimit: 5000 }),
            [name]: Number(op.value),
          };
        }
        api.methodSettings.set(i.stageName, settings);
        return { stageName: i.stageName, methodSettings: settings };
      },
      GetGatewayResponsesCommand: (i) => {
        const api = this.api(i.restApiId);
        const items = GATEWAY_RESPONSE_TYPES.map((responseType) => {
          const custom = api.gatewayResponses.get(responseType);
          if (custom) return { ...custom, defaultResponse: false };
          return { responseType, defaultResponse: true, responseParameters: {} };
        });
        return { items: items.slice(0, i.limit ?? 25) };
      },
      PutGatewayResponseCommand: (i) => {
        const api = this.api(i.restApiId);
        if (!GATEWAY_RESPONSE_TYPES.includes(i.responseType)) {
          throw awsError('BadRequestException', `the fake has no gateway response type ${i.responseType}`);
        }
        const responseParameters: Record<string, string> = i.responseParameters ?? {};
        for (const [k, v] of Object.entries(responseParameters)) {
          if (!/^gatewayresponse\.header\.[\w-]+$/.test(k) || !GATEWAY_HEADER_VALUE.test(v)) {
            throw awsError('BadRequestException', `Invalid mapping expression specified: ${k}: ${v}`);
          }
        }
        const response = { responseType: i.responseType, statusCode: i.statusCode, responseParameters };
        api.gatewayResponses.set(i.responseType, response);
        return { ...response, defaultResponse: false };
      },
      GetDeploymentCommand: (i) => {
        const d = this.api(i.restApiId).deployments.get(i.deploymentId);
        if (!d) throw awsError('NotFoundException', 'Invalid Deployment identifier specified', 404);
        return { id: d.id, description: d.description };
      },
      GetApiKeysCommand: (i) => ({
        items: [...this.apiKeys.values()]
          .filter((k) => !i.nameQuery || k.name.startsWith(i.nameQuery))
          .map((k) => ({ ...k, value: i.includeValues ? k.value : undefined })),
      }),
      CreateApiKeyCommand: (i) => {
        const key = {
          id: this.id('k'),
          name: i.name,
          value: i.value ?? createHash('sha256').update(String(this.ids)).digest('hex').slice(0, 40),
          enabled: i.enabled === true,
        };
        this.apiKeys.set(key.id, key);
        return key;
      },
      DeleteApiKeyCommand: (i) => {
        if (!this.apiKeys.delete(i.apiKey))
          throw awsError('NotFoundException', 'Invalid API Key identifier specified', 404);
        for (const p of this.usagePlans.values()) p.keys = p.keys.filter((k) => k !== i.apiKey);
      },
      GetUsagePlansCommand: () => ({ items: [...this.usagePlans.values()].map(({ keys, ...p }) => p) }),
      GetUsagePlanKeysCommand: (i) => ({
        items: (this.usagePlans.get(i.usagePlanId)?.keys ?? []).map((id) => ({
          id,
          type: 'API_KEY',
          name: this.apiKeys.get(id)?.name,
        })),
      }),
      CreateUsagePlanCommand: (i) => {
        for (const s of i.apiStages ?? [])
          if (!this.api(s.apiId).stages.has(s.stage))
            throw awsError('NotFoundException', `Invalid stage identifier specified`, 404);
        const plan = {
          id: this.id('p'),
          name: i.name,
          apiStages: i.apiStages ?? [],
          throttle: i.throttle,
          keys: [] as string[],
        };
        this.usagePlans.set(plan.id, plan);
        return plan;
      },
      UpdateUsagePlanCommand: (i) => {
        const plan = this.usagePlans.get(i.usagePlanId);
        if (!plan) throw awsError('NotFoundException', 'Invalid Usage Plan ID specified', 404);
        for (const op of i.patchOperations) {
          if (op.path === '/apiStages') {
            const [apiId, stage] = op.value.split(':');
            if (op.op === 'add') {
              if (!this.api(apiId).stages.has(stage))
                throw awsError('NotFoundException', 'Invalid stage identifier specified', 404);
              plan.apiStages.push({ apiId, stage });
            } else plan.apiStages = plan.apiStages.filter((s) => `${s.apiId}:${s.stage}` !== op.value);
          } else if (op.path.startsWith('/throttle/'))
            (plan.throttle ??= {})[op.path.slice(10) as 'rateLimit'] = Number(op.value);
        }
        return plan;
      },
      CreateUsagePlanKeyCommand: (i) => {
        const plan = this.usagePlans.get(i.usagePlanId);
        if (!plan || !this.apiKeys.has(i.keyId))
          throw awsError('NotFoundException', 'Invalid Usage Plan or API Key', 404);
        if (plan.keys.includes(i.keyId)) throw awsError('ConflictException', 'Usage Plan Key already exists', 409);
        plan.keys.push(i.keyId);
      },
      DeleteUsagePlanCommand: (i) => {
        const plan = this.usagePlans.get(i.usagePlanId);
        if (!plan) throw awsError('NotFoundException', 'Invalid Usage Plan ID specified', 404);
        if (plan.apiStages.length)
          throw awsError('BadRequestException', 'Cannot delete Usage Plan with associated API stages');
        this.usagePlans.delete(i.usagePlanId);
      },
    };
  }
}
