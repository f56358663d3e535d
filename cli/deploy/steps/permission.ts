import { AddPermissionCommand, GetPolicyCommand, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import { orNull, send, type DeployContext } from '../context';

/** The statement id of the permission that lets API Gateway call a function's alias. */
export const PERMISSION_SID = 'abtest-apigateway';

/** The SourceArn of the permission `sid` on `fn:qualifier`, or null when there is none. */
export async function readPermission(
  ctx: DeployContext,
  fn: string,
  qualifier: string,
  sid = PERMISSION_SID,
): Promise<string | null> {
  const out = await orNull(send(ctx, 'lambda', new GetPolicyCommand({ FunctionName: fn, Qualifier: qualifier })));
  if (!out?.Policy) return null;
  const policy = JSON.parse(out.Policy) as {
    Statement?: { Sid?: string; Condition?: { ArnLike?: Record<string, string> } }[];
  };
  const statement = policy.Statement?.find((s) => s.Sid === sid);
  if (!statement) return null;
  return statement.Condition?.ArnLike?.['AWS:SourceArn'] ?? '';
}

/**
 * Lets API Gateway invoke `fn:qualifier` from `sourceArn` (the API's execute-api ARN) only;
 * a statement for another ARN (an API made again) is replaced.
 */
export async function allowApiGateway(
  ctx: DeployContext,
  fn: string,
  qualifier: string,
  sourceArn: string,
  existing: string | null,
): Promise<void> {
  if (existing !== null)
    await send(
      ctx,
      'lambda',
      new RemovePermissionCommand({ FunctionName: fn, Qualifier: qualifier, StatementId: PERMISSION_SID }),
    );
  await send(
    ctx,
    'lambda',
    new AddPermissionCommand({
      FunctionName: fn,
      Qualifier: qualifier,
      StatementId: PERMISSION_SID,
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: sourceArn,
    }),
  );
}
