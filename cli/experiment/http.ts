import { AbtestError, type ErrorCode } from '../../src/errors';

/** An answer of an admin route: its status and its JSON body. */
export interface AdminAnswer {
  status: number;
  body: unknown;
}

/**
 * One request to an admin route of a running abtest (`x-api-key`), answered as JSON. Failures to
 * reach it, a refused key and an answer that is not JSON throw an `AbtestError` with `code`;
 * every other status is the caller's to read.
 * @param body sent as JSON when given
 * @param extra more request headers (e.g. `If-Match`)
 */
export async function adminRequest(
  target: { base: string; apiKey: string; code: ErrorCode },
  method: string,
  path: string,
  body?: unknown,
  extra: Record<string, string> = {},
): Promise<AdminAnswer> {
  const { base, apiKey, code } = target;
  const headers: Record<string, string> = { ...extra, 'x-api-key': apiKey };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    const sent = body === undefined ? undefined : JSON.stringify(body);
    res = await fetch(`${base}${path}`, { method, headers, body: sent });
  } catch (e) {
    throw new AbtestError(code, `cannot reach ${base}: ${(e as Error).message}`, {
      hint: 'start it with abtest dev, or pass the right --url',
      cause: e,
    });
  }
  const text = await res.text();
  const route = `${base}${path.split('?')[0]}`;
  if (res.status === 403 && /Missing Authentication Token/.test(text)) {
    // API Gateway's (and abtest dev's) answer for a route it does not have: a wrong URL, not a wrong key.
    throw new AbtestError(code, `${route} is not a route of this API (403 Missing Authentication Token)`, {
      hint: 'check --url: pass the base URL abtest deploy or abtest dev printed',
    });
  }
  if (res.status === 401 || res.status === 403) {
    throw new AbtestError(code, `${route} refused the API key (${res.status})`, {
      hint: 'pass the key abtest dev or abtest deploy printed with --key (simulate: --api-key)',
    });
  }
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    const start = text.slice(0, 200);
    throw new AbtestError(code, `${route} answered ${res.status} with something that is not JSON: ${start}`);
  }
}
