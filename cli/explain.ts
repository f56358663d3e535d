import { AbtestError } from '../src/errors';
import { redactUrl } from '../src/redact';

/**
 * Turns a failure into the one line (and an optional hint) the CLI prints after ✖. Known
 * failures from outside (Redis, AWS, the file system) become sentences that name the fix.
 * Passwords in URLs (a Redis URL quoted by a config error) are hidden.
 */
export function explain(e: unknown): { message: string; hint?: string } {
  const { message, hint } = explainRaw(e);
  return hint === undefined ? { message: redactUrl(message) } : { message: redactUrl(message), hint: redactUrl(hint) };
}

function explainRaw(e: unknown): { message: string; hint?: string } {
  if (e instanceof AbtestError) return { message: e.message, hint: e.hint };
  const aws = explainAws(e);
  if (aws) return aws;
  const err = e as NodeJS.ErrnoException;
  const net = explainNetwork(err);
  if (net) return net;
  if (err?.code === 'EADDRINUSE')
    return { message: `the port is already in use (${err.message})`, hint: 'pass another --port' };
  if (err?.code === 'EACCES') return { message: `permission denied: ${err.message}` };
  return { message: err?.message ?? String(e) };
}

/** AWS SDK failures as sentences that name the fix; null when `e` is not one. */
function explainAws(e: unknown): { message: string; hint?: string } | null {
  const err = e as Error & { $metadata?: { attempts?: number } };
  const name = err?.name ?? '';
  const text = err?.message ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(text)) {
    return {
      message: 'no AWS credentials found',
      hint: 'run `aws configure` (or `aws sso login`), pass --profile or set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    };
  }
  // Connection failures carry $metadata too; they are explained as network errors.
  if (!err?.$metadata || /^E[A-Z_]+$/.test((e as NodeJS.ErrnoException).code ?? '')) return null;
  if (
    /^(InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|ExpiredToken(Exception)?|InvalidSignatureException)$/.test(
      name,
    )
  ) {
    return {
      message: `the AWS credentials were refused (${name})`,
      hint: 'refresh them (`aws sso login`, or new access keys) or pass another --profile',
    };
  }
  const denied = /not authorized to perform:? ([\w:*-]+)/i.exec(text);
  if (denied || /^(AccessDenied(Exception)?|UnauthorizedOperation|AuthorizationError)$/.test(name)) {
    const action = denied?.[1] ?? 'this call';
    const who = /User: (\S+)/.exec(text)?.[1];
    return {
      message: `AWS denied permission for ${action}${who ? ` to ${who}` : ''}`,
      hint: `allow ${action} in an IAM policy of that user or role, or pass a --profile that has it`,
    };
  }
  if (/^(Throttling(Exception)?|TooManyRequestsException|RequestLimitExceeded|ThrottledException)$/.test(name)) {
    return {
      message: `AWS throttled the requests even after ${err.$metadata.attempts ?? 'several'} retries`,
      hint: 'wait a minute and run the command again',
    };
  }
  if (name === 'ResourceConflictException')
    return {
      message: `AWS Lambda is busy with another change: ${text}`,
      hint: 'wait a minute and run the command again',
    };
  return { message: `AWS answered ${name}: ${text}` };
}

/** Connection failures (to AWS endpoints or Redis) as sentences. */
function explainNetwork(
  err: NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string },
): { message: string; hint?: string } | null {
  const where = err?.address ? `${err.address}${err.port ? `:${err.port}` : ''}` : err?.hostname;
  switch (err?.code) {
    case 'ECONNREFUSED':
      return {
        message: `nothing listens at ${where} (connection refused)`,
        hint: 'check the host and port (for AWS: --endpoint-url or AWS_ENDPOINT_URL)',
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { message: `the host ${where} cannot be found (DNS)`, hint: 'check the host name and your network' };
    case 'ETIMEDOUT':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return {
        message: `${where ?? 'the host'} cannot be reached from here (${err.code})`,
        hint: 'check the network; a Redis inside a VPC answers only from inside it',
      };
    default:
      if (/^(WRONGPASS|NOAUTH|ERR AUTH|ERR invalid password)/.test(err?.message ?? ''))
        return {
          message: `Redis refused the credentials: ${err.message}`,
          hint: 'check the user and password in the Redis URL',
        };
      return null;
  }
}
