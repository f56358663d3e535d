import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { partition } from '../../aws';
import { orNull, send, type DeployContext } from '../context';

/** The execution role of the functions as it exists: its ARN and attached managed policies. */
export interface RoleState {
  arn: string;
  policies: string[];
}

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** ARN of an AWS-managed Lambda policy (`AWSLambdaBasicExecutionRole`, `AWSLambdaVPCAccessExecutionRole`). */
export const managedPolicy = (region: string, name: string): string =>
  `arn:${partition(region)}:iam::aws:policy/service-role/${name}`;

/** The role `name`, or null when it does not exist. */
export async function readRole(ctx: DeployContext, name: string): Promise<RoleState | null> {
  const role = await orNull(send(ctx, 'iam', new GetRoleCommand({ RoleName: name })));
  if (!role?.Role?.Arn) return null;
  const attached = await send(ctx, 'iam', new ListAttachedRolePoliciesCommand({ RoleName: name }));
  return { arn: role.Role.Arn, policies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn!) };
}

/** Creates a role only Lambda can assume, with no policy yet; returns its ARN. */
export async function createRole(ctx: DeployContext, name: string): Promise<string> {
  const out = await send(
    ctx,
    'iam',
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST, Description: 'abtest Lambda functions' }),
  );
  return out.Role!.Arn!;
}

/** Attaches a managed policy to the role. */
export async function attachPolicy(ctx: DeployContext, role: string, policyArn: string): Promise<void> {
  await send(ctx, 'iam', new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn }));
}

/** Detaches a managed policy from the role. */
export async function detachPolicy(ctx: DeployContext, role: string, policyArn: string): Promise<void> {
  await send(ctx, 'iam', new DetachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn }));
}

/** Detaches every policy of the role, then deletes it. */
export async function deleteRole(ctx: DeployContext, role: RoleState, name: string): Promise<void> {
  for (const arn of role.policies) await detachPolicy(ctx, name, arn);
  await send(ctx, 'iam', new DeleteRoleCommand({ RoleName: name }));
}
