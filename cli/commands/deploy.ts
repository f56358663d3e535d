import type { Wiring } from '../../src/config';
import { commandConfig, loadWiring } from '../context';
import { readActual } from '../deploy/actual';
import { buildZips, desiredState, type Zips } from '../deploy/desired';
import { apiUrls, type ApiUrls } from '../deploy/describe';
import { commandStage } from '../deploy/names';
import { describeChange, initialState, planDeploy } from '../deploy/plan';
import { openSession, type AwsCommandOptions, type AwsDeps } from '../deploy/session';
import { packageRoot } from '../paths';
import { snippet } from '../snippet';

export interface DeployOptions extends AwsCommandOptions {
  /** Print the plan and change nothing. @default false */
  dryRun?: boolean;
  /** API Gateway stage. @default config `stage` ("prod") */
  stage?: string;
  /** Print the result as one JSON object (progress then goes to stderr). @default false */
  json?: boolean;
  /** Show every AWS call in the progress. @default false */
  verbose?: boolean;
}

export interface DeployDeps extends AwsDeps {
  /** Builds the zip of each function; tests replace the bundler. @default bundles + zips lambdas/ */
  buildZips?: (wiring: Wiring) => Promise<Zips>;
}

export interface DeployResult {
  region: string;
  stage: string;
  accountId: string;
  dryRun: boolean;
  /** The plan, one line per change (`+ create function abtest-prod-track (...)`); empty when nothing changes. */
  plan: string[];
  /** URLs of the stage; null when a dry run finds no API yet. */
  urls: ApiUrls | null;
  apiKey: { name: string; id: string | null; command: string | null };
  /** The `<script>` block to paste into pages; null without URLs. */
  snippet: string | null;
}

/**
 * `abtest deploy`: builds the zips, reads what exists in the account, plans the changes from
 * wiring.json + `extra_wiring`, and (unless `dryRun`) applies them in order, reporting each.
 * Running it again with nothing changed makes no mutating call.
 */
export async function run(opts: DeployOptions, deps: DeployDeps = {}): Promise<DeployResult> {
  const { config } = commandConfig(opts, deps.env);
  const stage = commandStage(opts.stage, config);
  const wiring = loadWiring(config);
  const { ctx, accountId } = await openSession(opts, config, deps);
  const { region } = ctx.aws;
  ctx.report.stage('build the function bundles');
  const zips = await (deps.buildZips ?? ((w) => buildZips(w, packageRoot())))(wiring);
  const desired = desiredState(config, wiring, zips, { region, accountId, stage });
  ctx.report.stage('read what exists in the account');
  const actual = await readActual(ctx, desired);
  const changes = planDeploy(ctx, desired, actual);
  const state = initialState(actual);
  ctx.report.plan(changes.map(describeChange));
  if (!opts.dryRun) {
    for (const change of changes) {
      ctx.report.stage(describeChange(change));
      await change.run(state);
    }
  }
  const urls = state.apiId ? apiUrls(state.apiId, region, stage, ctx.aws.endpointUrl) : null;
  const flags = `--region ${region}${(opts.profile ?? config.profile) ? ` --profile ${opts.profile ?? config.profile}` : ''}${ctx.aws.endpointUrl ? ` --endpoint-url ${ctx.aws.endpointUrl}` : ''}`;
  return {
    region,
    stage,
    accountId,
    dryRun: opts.dryRun === true,
    plan: changes.map(describeChange),
    urls,
    apiKey: {
      name: desired.names.apiKey,
      id: state.apiKeyId,
      command: state.apiKeyId
        ? `aws apigateway get-api-key --api-key ${state.apiKeyId} --include-value --query value --output text ${flags}`
        : null,
    },
    snippet: urls ? snippet({ trackUrl: urls.trackUrl, namespace: config.namespace }) : null,
  };
}

const changes = (n: number) => `${n} change${n === 1 ? '' : 's'}`;

/** What `abtest deploy` prints: the outcome, the URLs and the snippet; or the result as JSON with `json`. */
export function format(r: DeployResult, opts: DeployOptions): string[] {
  if (opts.json) return [JSON.stringify(r, null, 2)];
  const lines = [
    r.dryRun
      ? `dry run: nothing changed (${changes(r.plan.length)} planned)`
      : r.plan.length
        ? `✔ deployed to ${r.region}, stage ${r.stage} (${changes(r.plan.length)})`
        : `✔ no changes: ${r.region}, stage ${r.stage} is up to date`,
  ];
  if (!r.urls) return lines;
  lines.push(
    `  base URL     ${r.urls.baseUrl}`,
    `  track        ${r.urls.trackUrl}`,
    `  experiments  ${r.urls.experimentsUrl}   (header x-api-key)`,
  );
  const found = '(abtest dashboard finds it itself)';
  if (r.apiKey.command) lines.push(`  API key      ${r.apiKey.name}: ${r.apiKey.command}   ${found}`);
  if (r.snippet) lines.push('', 'Paste into your pages:', '', r.snippet.trimEnd());
  return lines;
}
