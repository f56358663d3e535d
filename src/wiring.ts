import type { FunctionWiring, RouteWiring, Wiring } from './config';
import { ConfigError } from './errors';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Merges the default wiring (wiring.json) with config `extra_wiring` and checks it: every
 * route names a known function, paths are `/segment[/segment]`, a path and method appear
 * once, handlers are `file.export`.
 */
export function mergeWiring(base: Wiring, extra: Partial<Wiring> | null | undefined, source = 'extra_wiring'): Wiring {
  const functions: FunctionWiring[] = [...base.functions];
  for (const f of extra?.functions ?? []) {
    checkFunction(f, source);
    if (functions.some((g) => g.name === f.name)) throw new ConfigError(source, `${source}: function "${f.name}" already exists in wiring.json`);
    functions.push(f);
  }
  const routes: RouteWiring[] = [];
  for (const r of [...base.routes, ...(extra?.routes ?? [])]) {
    if (typeof r !== 'object' || r === null) throw new ConfigError(source, `${source}: every route must be an object`);
    if (typeof r.path !== 'string' || !/^(\/[A-Za-z0-9_.-]+)+$/.test(r.path)) throw new ConfigError(source, `${source}: route path ${JSON.stringify(r.path)} must look like /name or /name/sub`);
    const method = typeof r.method === 'string' ? r.method.toUpperCase() : '';
    if (!METHODS.includes(method)) throw new ConfigError(source, `${source}: route ${r.path} has method ${JSON.stringify(r.method)}; use one of ${METHODS.join(', ')}`);
    if (!functions.some((f) => f.name === r.function)) throw new ConfigError(source, `${source}: route ${method} ${r.path} names function ${JSON.stringify(r.function)}, which is not in wiring (${functions.map((f) => f.name).join(', ')})`);
    if (routes.some((x) => x.path === r.path && x.method === method)) throw new ConfigError(source, `${source}: route ${method} ${r.path} appears twice`);
    routes.push({ path: r.path, method, function: r.function, apiKeyRequired: r.apiKeyRequired === true });
  }
  return { functions, routes };
}

function checkFunction(f: FunctionWiring, source: string): void {
  if (typeof f !== 'object' || f === null || typeof f.name !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(f.name)) throw new ConfigError(source, `${source}: every function needs a name of letters, digits, - and _`);
  if (typeof f.handler !== 'string' || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_$]+$/.test(f.handler)) throw new ConfigError(source, `${source}: function ${f.name} needs a handler like "file.handler"`);
  if (!Number.isInteger(f.memory) || f.memory < 128 || f.memory > 10240) throw new ConfigError(source, `${source}: function ${f.name} memory must be 128 to 10240 (MB)`);
  if (!Number.isInteger(f.timeout) || f.timeout < 1 || f.timeout > 900) throw new ConfigError(source, `${source}: function ${f.name} timeout must be 1 to 900 (seconds)`);
}

/** The source file of a function's handler: `track.handler` → `track`. */
export const handlerFile = (f: FunctionWiring): string => f.handler.split('.')[0];
export const handlerExport = (f: FunctionWiring): string => f.handler.split('.')[1];
