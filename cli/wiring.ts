import type { FunctionWiring, RouteWiring, Wiring } from '../src/config';
import { wiringShape } from '../src/config/checks';
import { ConfigError } from '../src/errors';

/**
 * Merges the default wiring (wiring.json) with config `extra_wiring`. The config schema has
 * checked the shape of `extra_wiring` (names, handlers, paths, methods, memory, timeout); here
 * `base` gets the same check, and the merge checks what needs both: every route names a known
 * function, a function name and a path with its method appear once.
 */
export function mergeWiring(base: unknown, extra: Partial<Wiring> | null | undefined): Wiring {
  let checked: ReturnType<typeof wiringShape>;
  try {
    checked = wiringShape(base, 'wiring.json');
  } catch (e) {
    throw new ConfigError('wiring.json', (e as Error).message, 'reinstall abtest, or fix wiring.json', e);
  }
  const fail = (message: string) => {
    throw new ConfigError('extra_wiring', `extra_wiring: ${message}`, 'fix extra_wiring in the config file');
  };
  const functions: FunctionWiring[] = [...(checked.functions ?? [])];
  for (const f of extra?.functions ?? []) {
    if (functions.some((g) => g.name === f.name)) fail(`function "${f.name}" already exists in wiring.json`);
    functions.push(f);
  }
  const routes: RouteWiring[] = [];
  for (const r of [...(checked.routes ?? []), ...(extra?.routes ?? [])]) {
    const method = r.method.toUpperCase();
    if (!functions.some((f) => f.name === r.function)) {
      const known = functions.map((f) => f.name).join(', ');
      fail(`route ${method} ${r.path} names function ${JSON.stringify(r.function)}, which is not in wiring (${known})`);
    }
    if (routes.some((x) => x.path === r.path && x.method === method)) fail(`route ${method} ${r.path} appears twice`);
    routes.push({ path: r.path, method, function: r.function, apiKeyRequired: r.apiKeyRequired === true });
  }
  return { functions, routes };
}

/** The source file of a function's handler: `track.handler` → `track`. */
export const handlerFile = (f: FunctionWiring): string => f.handler.split('.')[0];
/** The export of a function's handler: `track.handler` → `handler`. */
export const handlerExport = (f: FunctionWiring): string => f.handler.split('.')[1];
