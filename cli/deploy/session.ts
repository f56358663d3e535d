import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Config } from '../../src/config';
import { awsClients, type AwsOptions } from '../aws';
import type { CommandDeps } from '../command';
import type { GlobalOptions } from '../context';
import { realSleep, send, type DeployContext } from './context';
import { silentReporter } from './reporter';

/** Flags every AWS command takes; each overrides the config's value. */
export interface AwsCommandOptions extends GlobalOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/** What AWS commands take besides options: progress and the environment (as every verb), and waiting. */
export interface AwsDeps extends CommandDeps {
  /** Waits between polls and retries; tests pass one that does not wait. @default real waiting */
  sleep?: (ms: number) => Promise<void>;
}

/** An AWS context whose credentials were checked, with the account they belong to. */
export interface Session {
  ctx: DeployContext;
  accountId: string;
  identity: string;
}

/** The AWS options of a command: flags first, then the config. */
export const awsOptions = (opts: AwsCommandOptions, config: Config): AwsOptions => ({
  region: opts.region ?? config.region,
  profile: opts.profile ?? config.profile,
  endpointUrl: opts.endpointUrl,
});

/** Creates the clients and checks the credentials (STS GetCallerIdentity) before anything else. */
export async function openSession(opts: AwsCommandOptions, config: Config, deps: AwsDeps = {}): Promise<Session> {
  const aws = await awsClients(awsOptions(opts, config), deps.env);
  const ctx: DeployContext = { aws, report: deps.reporter ?? silentReporter, sleep: deps.sleep ?? realSleep };
  ctx.report.stage(`check AWS credentials (${aws.region})`);
  const who = await send(ctx, 'sts', new GetCallerIdentityCommand({}));
  return { ctx, accountId: who.Account!, identity: who.Arn ?? who.Account! };
}
