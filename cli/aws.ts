import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { ConfigError } from '../src/errors';

/** Where AWS calls go: each field falls back to the SDK's default chain when missing. */
export interface AwsOptions {
  region?: string | null;
  profile?: string | null;
  /** An AWS API emulator (LocalStack, moto). @default $AWS_ENDPOINT_URL, else AWS itself */
  endpointUrl?: string | null;
}

/** The clients deploy uses, all for one region, profile and endpoint. */
export interface AwsClients {
  region: string;
  endpointUrl: string | null;
  lambda: LambdaClient;
  apigateway: APIGatewayClient;
  iam: IAMClient;
  sts: STSClient;
}

/**
 * Creates the AWS clients for `opts`, with the SDK's default credential chain, retries for
 * throttling, and the region resolved up front so that a missing one fails with the fix.
 */
export async function awsClients(opts: AwsOptions, env: NodeJS.ProcessEnv = process.env): Promise<AwsClients> {
  // abtest supports Node 20; the SDK's notice about future Node versions is noise in its output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const endpointUrl = opts.endpointUrl || env.AWS_ENDPOINT_URL || null;
  const shared = {
    region: opts.region ?? undefined,
    profile: opts.profile ?? undefined,
    endpoint: endpointUrl ?? undefined,
    maxAttempts: 8,
  };
  const sts = new STSClient(shared);
  let region: string;
  try {
    region = await sts.config.region();
  } catch {
    throw new ConfigError('region', 'AWS region is missing', 'pass --region, set AWS_REGION, or run abtest configure');
  }
  if (!region)
    throw new ConfigError('region', 'AWS region is missing', 'pass --region, set AWS_REGION, or run abtest configure');
  const withRegion = { ...shared, region };
  return {
    region,
    endpointUrl,
    sts,
    lambda: new LambdaClient(withRegion),
    apigateway: new APIGatewayClient(withRegion),
    // IAM is global; an emulator serves it on the same endpoint.
    iam: new IAMClient(withRegion),
  };
}

/** The partition of a region's ARNs: `aws`, `aws-cn` or `aws-us-gov`. */
export const partition = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
