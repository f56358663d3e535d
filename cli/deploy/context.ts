import type { AwsClients } from '../aws';
import type { Reporter } from './reporter';

/** What every deploy step needs: the clients, the reporter, and a clock for waits. */
export interface DeployContext {
  aws: AwsClients;
  report: Reporter;
  /** Waits between polls and retries; tests pass one that does not wait. */
  sleep(ms: number): Promise<void>;
}

type Service = 'lambda' | 'apigateway' | 'iam' | 'sts';
// Structural type of an SDK v3 command, enough to infer its output.
type SdkCommand<O> = { input: object; resolveMiddleware(...args: never[]): (args: never) => Promise<{ output: O }> };

/** Sends one command to one service, reporting it as an API call first. */
export async function send<O>(ctx: DeployContext, service: Service, command: SdkCommand<O>): Promise<O> {
  ctx.report.apiCall(service, command.constructor.name.replace(/Command$/, ''));
  const client = ctx.aws[service] as unknown as { send(c: unknown): Promise<O> };
  return client.send(command);
}

/** Whether an AWS error is one of the named exceptions. */
export const isAwsError = (e: unknown, ...names: string[]): boolean => names.includes((e as Error)?.name);

/** The result of `call`, or null when AWS answers that the thing does not exist. */
export async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (e) {
    if (isAwsError(e, 'ResourceNotFoundException', 'NoSuchEntityException', 'NoSuchEntity', 'NotFoundException'))
      return null;
    throw e;
  }
}

/** Real waiting, for the CLI. */
export const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
