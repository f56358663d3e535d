import type { Config } from '../../src/config';
import { awsClients } from '../aws';
import { realSleep, type DeployContext } from './context';
import { resourceNames } from './names';
import { silentReporter } from './reporter';
import { findApiKeys } from './steps/api-key';
import { findApi } from './steps/rest-api';

/** The URLs of a deployed stage. */
export interface ApiUrls {
  baseUrl: string;
  trackUrl: string;
  experimentsUrl: string;
}

/**
 * The URLs of stage `stage` of API `apiId`. With an emulator endpoint they follow
 * LocalStack's scheme (`<endpoint>/restapis/<id>/<stage>/_user_request_`).
 */
export function apiUrls(apiId: string, region: string, stage: string, endpointUrl: string | null): ApiUrls {
  const baseUrl = endpointUrl
    ? `${endpointUrl.replace(/\/+$/, '')}/restapis/${apiId}/${stage}/_user_request_`
    : `https://${apiId}.execute-api.${region}.amazonaws.com/${stage}`;
  return { baseUrl, trackUrl: `${baseUrl}/track`, experimentsUrl: `${baseUrl}/experiments` };
}

/**
 * Finds the deployed API of `config` (by its name, `app_name`) and its API key in the account.
 * Resolves null when nothing is deployed. `apiKey` is null when the key is missing.
 */
export async function describeDeployment(opts: {
  config: Config;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  stage?: string;
}): Promise<(ApiUrls & { apiKey: string | null }) | null> {
  const stage = opts.stage ?? opts.config.stage;
  const aws = await awsClients({
    region: opts.region ?? opts.config.region,
    profile: opts.profile ?? opts.config.profile,
    endpointUrl: opts.endpointUrl,
  });
  const ctx: DeployContext = { aws, report: silentReporter, sleep: realSleep };
  const names = resourceNames(opts.config, stage);
  const apiId = await findApi(ctx, names.api);
  if (!apiId) return null;
  const key = (await findApiKeys(ctx, names.apiKey)).find((k) => k.name === names.apiKey);
  return { ...apiUrls(apiId, aws.region, stage, aws.endpointUrl), apiKey: key?.value ?? null };
}
