import type { DevFixture } from './browser';

/** Calls an admin route of a running `abtest dev` (`/definition…`) with the fixture's key; throws unless 2xx. */
export async function admin(
  fx: DevFixture,
  method: string,
  route: string,
  experiment: string,
  body?: unknown,
): Promise<unknown> {
  const query = `namespace=${encodeURIComponent(fx.namespace)}&experiment=${encodeURIComponent(experiment)}`;
  const res = await fetch(`${fx.dev.url}${route}?${query}`, {
    method,
    headers: { 'x-api-key': fx.apiKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route} ${experiment}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Creates a definition and starts it: `variants` as label → weight, in order (the first is the control). */
export async function running(
  fx: DevFixture,
  experiment: string,
  variants: Record<string, number>,
  extra: Record<string, unknown> = {},
) {
  await admin(fx, 'PUT', '/definition', experiment, {
    variants: Object.entries(variants).map(([label, weight]) => ({ label, weight })),
    ...extra,
  });
  return admin(fx, 'POST', '/definition/state', experiment, { state: 'running' });
}
