import { CreateApiKeyCommand, DeleteApiKeyCommand, GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import { send, type DeployContext } from '../context';

/** An API key as it exists. */
export interface ApiKeyState {
  id: string;
  name: string;
  value: string | null;
}

/** The API keys whose name starts with `prefix` (API Gateway matches names by prefix). */
export async function findApiKeys(ctx: DeployContext, prefix: string): Promise<ApiKeyState[]> {
  const keys: ApiKeyState[] = [];
  let position: string | undefined;
  do {
    const page = await send(
      ctx,
      'apigateway',
      new GetApiKeysCommand({ nameQuery: prefix, includeValues: true, limit: 500, position }),
    );
    for (const k of page.items ?? [])
      if (k.id && k.name?.startsWith(prefix)) keys.push({ id: k.id, name: k.name, value: k.value ?? null });
    position = page.position;
  } while (position);
  return keys;
}

/** Creates an enabled key; API Gateway generates the value unless `value` is given. */
export async function createApiKey(ctx: DeployContext, name: string, value: string | null): Promise<string> {
  const out = await send(
    ctx,
    'apigateway',
    new CreateApiKeyCommand({ name, enabled: true, value: value ?? undefined, description: 'abtest admin routes' }),
  );
  return out.id!;
}

/** Deletes an API key; usage plans drop it. */
export async function deleteApiKey(ctx: DeployContext, id: string): Promise<void> {
  await send(ctx, 'apigateway', new DeleteApiKeyCommand({ apiKey: id }));
}
