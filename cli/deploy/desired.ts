import { createHash } from 'node:crypto';
import { configToEnv, type Config, type Wiring } from '../../src/config';
import { handlerFile } from '../wiring';
import { partition } from '../aws';
import { bundleLambdas } from './bundle';
import { resourceNames, type ResourceNames } from './names';
import type { FunctionSpec } from './steps/function';
import { preflightHeaders } from '../../src/http';
import { gatewayResponseParameters, type GatewayResponseParameters } from './steps/gateway-responses';
import { lambdaUri } from './steps/methods';
import { managedPolicy } from './steps/role';
import { zipBundle, type LambdaZip } from './zip';

/** One wired method of a path, with the integration it must have. */
export interface DesiredMethod {
  verb: string;
  fn: string;
  apiKeyRequired: boolean;
  uri: string;
}

/** Everything deploy wants to exist, computed from config + wiring + the built zips. */
export interface Desired {
  region: string;
  accountId: string;
  stage: string;
  names: ResourceNames;
  policies: string[];
  functions: FunctionSpec[];
  /** Paths in creation order (parents first), each with its wired methods. */
  paths: { path: string; methods: DesiredMethod[]; cors: Record<string, string> }[];
  /** Response parameters of API Gateway's own 4xx and 5xx answers: the CORS headers of the routes. */
  gatewayResponse: GatewayResponseParameters;
  /** Hash of the API's shape and its gateway responses; the stage's deployment carries it. */
  apiHash: string;
  apiKeyValue: string | null;
  throttle: { rateLimit: number; burstLimit: number };
}

/** The zip of each wiring function, by wiring name. */
export type Zips = Record<string, LambdaZip>;

/** Bundles the wired handlers and zips each as `<handler file>.js` at the zip's root. */
export async function buildZips(wiring: Wiring, root?: string): Promise<Zips> {
  const bundles = await bundleLambdas(wiring, root);
  const zips: Zips = {};
  for (const f of wiring.functions)
    zips[f.name] = await zipBundle(bundles.find((b) => b.name === f.name)!.file, `${handlerFile(f)}.js`);
  return zips;
}

/** The ARN of a function, known before it exists. */
export const functionArn = (region: string, accountId: string, name: string): string =>
  `arn:${partition(region)}:lambda:${region}:${accountId}:function:${name}`;

/** The desired state of the account for `config` and `wiring`. */
export function desiredState(
  config: Config,
  wiring: Wiring,
  zips: Zips,
  at: { region: string; accountId: string; stage: string },
): Desired {
  const names = resourceNames(config, at.stage);
  const policies = [managedPolicy(at.region, 'AWSLambdaBasicExecutionRole')];
  if (config.vpc) policies.push(managedPolicy(at.region, 'AWSLambdaVPCAccessExecutionRole'));
  const environment = configToEnv(config);
  const functions: FunctionSpec[] = wiring.functions.map((f) => ({
    name: names.fn(f.name),
    zip: zips[f.name],
    runtime: config.runtime,
    handler: f.handler,
    memory: f.memory,
    timeout: f.timeout,
    environment,
    vpc: config.vpc && { subnetIds: config.vpc.subnet_ids, securityGroupIds: config.vpc.security_group_ids },
  }));
  const byPath = new Map<string, DesiredMethod[]>();
  for (const r of wiring.routes) {
    const fn = names.fn(r.function);
    const uri = lambdaUri(at.region, `${functionArn(at.region, at.accountId, fn)}:${names.alias}`);
    byPath.set(r.path, [
      ...(byPath.get(r.path) ?? []),
      { verb: r.method, fn, apiKeyRequired: r.apiKeyRequired === true, uri },
    ]);
  }
  const all = new Set<string>();
  for (const p of byPath.keys())
    p.split('/')
      .slice(1)
      .forEach((_, i, parts) => all.add(`/${parts.slice(0, i + 1).join('/')}`));
  const paths = [...all]
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
    .map((path) => {
      const methods = byPath.get(path) ?? [];
      return {
        path,
        methods,
        cors: methods.length
          ? preflightHeaders(
              config.cors_origin,
              methods.map((m) => m.verb),
            )
          : {},
      };
    });
  const verbs = wiring.routes.map((r) => r.method);
  const gatewayResponse = gatewayResponseParameters(errorCors(config.cors_origin, verbs));
  const apiHash = createHash('sha256').update(JSON.stringify({ paths, gatewayResponse })).digest('hex').slice(0, 16);
  return {
    ...at,
    names,
    policies,
    functions,
    paths,
    gatewayResponse,
    apiHash,
    apiKeyValue: config.api_key,
    throttle: { rateLimit: config.throttle.rate_limit, burstLimit: config.throttle.burst_limit },
  };
}

/**
 * The CORS headers of API Gateway's own error answers (403, 429, 5xx): the preflight's origin,
 * methods (every wired one) and headers, so that a browser can read them instead of failing.
 */
function errorCors(origin: string, verbs: string[]): Record<string, string> {
  const all = preflightHeaders(origin, [...new Set(verbs)]);
  const names = ['Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers'];
  return Object.fromEntries(names.map((n) => [n, all[n]]));
}
