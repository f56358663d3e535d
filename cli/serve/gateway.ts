import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { configToEnv, type Config, type Wiring } from '../../src/config';
import { AbtestError } from '../../src/errors';
import { pingStore } from '../../src/store/ping';
import { bundleLambdas } from '../deploy/bundle';
import { createDevServer, type Page, type ProxyHandler } from '../dev/server';
import { lambdaBundle } from '../paths';
import { handlerExport, handlerFile } from '../wiring';
import { drain } from './drain';
import { logRequests } from './log';

/** What one gateway process serves, and how. */
export interface GatewayOptions {
  /** The config of the bundles (with `redis_url` and `api_key` set). */
  config: Config;
  wiring: Wiring;
  /** The package folder holding dist/lambdas/. */
  root: string;
  /** The environment the bundles read their config from (written here, as Lambda's is). */
  env: NodeJS.ProcessEnv;
  port: number;
  host: string;
  /** Rebuild the bundles first. @default false (built only when missing) */
  build?: boolean;
  /** Pages besides the API (dev's demo page and dashboard). @default none */
  pages?: Record<string, Page>;
  exposeLocalPages?: boolean;
  /** One JSON line per request on this writer. @default no request log */
  log?: (line: string) => void;
  /** Take the client address from the last `X-Forwarded-For` entry (one proxy in front). @default false */
  trustProxy?: boolean;
}

/** A running gateway: the HTTP server, where it listens, and how it stops. */
export interface Gateway {
  server: http.Server;
  address: AddressInfo;
  /** Stops accepting, answers what was accepted (`ms` at most), then closes the Redis clients. */
  stop(ms: number): Promise<boolean>;
}

/** PINGs the Redis of `config` before serving; a failure is one sentence naming `source` (the flag). */
export async function checkRedis(config: Config, source: string): Promise<void> {
  await pingStore(config).catch((e: unknown) => {
    const why = e instanceof AbtestError ? e.message : String(e);
    throw new AbtestError('unavailable', `${why}: pass a working ${source}`, { cause: e });
  });
}

/** Builds the bundles when asked or missing (before workers start, so that they do not race). */
export async function ensureBundles(wiring: Wiring, root: string, build = false): Promise<void> {
  if (build || wiring.functions.some((f) => !fs.existsSync(lambdaBundle(handlerFile(f), root))))
    await bundleLambdas(wiring, root);
}

type LoadedHandler = ProxyHandler & { close?: () => Promise<void> };

/** Loads each wiring function's handler from its built bundle. */
function loadHandlers(wiring: Wiring, root: string): Record<string, LoadedHandler> {
  const handlers: Record<string, LoadedHandler> = {};
  for (const f of wiring.functions) {
    const mod = require(lambdaBundle(handlerFile(f), root));
    handlers[f.name] = mod[handlerExport(f)];
    if (typeof handlers[f.name] !== 'function')
      throw new AbtestError('bundle', `dist/lambdas/${handlerFile(f)}.js exports no function ${handlerExport(f)}`, {
        hint: 'rebuild with npm run build',
      });
  }
  return handlers;
}

/**
 * Serves the wired routes with the built bundles, as API Gateway would: what `abtest serve`
 * runs in each worker and `abtest dev` runs in its one process.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  await ensureBundles(opts.wiring, opts.root, opts.build);
  // The bundles read their config from the environment, as they do in Lambda.
  for (const [k, v] of Object.entries(configToEnv(opts.config))) opts.env[k] = v;
  const handlers = loadHandlers(opts.wiring, opts.root);
  const server = createDevServer({
    wiring: opts.wiring,
    handlers,
    pages: opts.pages,
    apiKey: opts.config.api_key!,
    corsOrigin: opts.config.cors_origin,
    exposeLocalPages: opts.exposeLocalPages,
    trustProxy: opts.trustProxy,
  });
  if (opts.log) logRequests(server, opts.log);
  const closeHandlers = () => Promise.all(Object.values(handlers).map((h) => h.close?.()));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await closeHandlers();
    throw e;
  }
  let stopped: Promise<boolean> | undefined;
  return {
    server,
    address: server.address() as AddressInfo,
    stop: async (ms) => {
      stopped ??= drain(server, ms);
      const clean = await stopped;
      await closeHandlers();
      return clean;
    },
  };
}
