import { explain } from '../../cli/explain';

/** An error shaped like the AWS SDK's service exceptions. */
const awsError = (name: string, message: string, attempts = 1) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400, attempts } });

describe('explain: AWS failures as sentences that name the fix', () => {
  it.each([
    [
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'no AWS credentials found',
      'run `aws configure` (or `aws sso login`), pass --profile or set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    ],
    [
      awsError(
        'AccessDeniedException',
        'User: arn:aws:iam::123456789012:user/bob is not authorized to perform: lambda:CreateFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:abtest-prod-track',
      ),
      'AWS denied permission for lambda:CreateFunction to arn:aws:iam::123456789012:user/bob',
      'allow lambda:CreateFunction in an IAM policy of that user or role, or pass a --profile that has it',
    ],
    [
      awsError(
        'AccessDenied',
        'User: arn:aws:sts::1:assumed-role/dev/x is not authorized to perform: iam:CreateRole on resource: role abtest-prod-lambda because no identity-based policy allows the iam:CreateRole action',
      ),
      'AWS denied permission for iam:CreateRole to arn:aws:sts::1:assumed-role/dev/x',
      'allow iam:CreateRole in an IAM policy of that user or role, or pass a --profile that has it',
    ],
    [
      awsError('TooManyRequestsException', 'Too Many Requests', 8),
      'AWS throttled the requests even after 8 retries',
      'wait a minute and run the command again',
    ],
    [
      awsError('ExpiredTokenException', 'The security token included in the request is expired'),
      'the AWS credentials were refused (ExpiredTokenException)',
      'refresh them (`aws sso login`, or new access keys) or pass another --profile',
    ],
    [
      awsError('InvalidClientTokenId', 'The security token included in the request is invalid.'),
      'the AWS credentials were refused (InvalidClientTokenId)',
      'refresh them (`aws sso login`, or new access keys) or pass another --profile',
    ],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), {
        code: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 4566,
        $metadata: { attempts: 8 },
      }),
      'nothing listens at 127.0.0.1:4566 (connection refused)',
      'check the host and port (for AWS: --endpoint-url or AWS_ENDPOINT_URL)',
    ],
  ])('%#: %p', (error, message, hint) => expect(explain(error)).toEqual({ message, hint }));

  it('names any other AWS exception and its message', () => {
    expect(explain(awsError('LimitExceededException', 'Too many functions'))).toEqual({
      message: 'AWS answered LimitExceededException: Too many functions',
    });
  });
});
