import { createHash } from 'node:crypto';
import type { Config } from '../config';
import { InputError, NotFoundError } from '../errors';
import { nameParam, namespaceParam, parseBody } from '../events';
import { allowMethods, header, json, type Context, type ProxyEvent, type ProxyResult, type Route } from '../http';
import {
  changeState,
  changeWeights,
  describe,
  draftDefinition,
  parseDraft,
  parseStateChange,
  parseWeights,
  type Definition,
} from './definition';

/**
 * The admin routes of experiment definitions (API key) and the public `GET /config`. Names
 * travel in the query string; every answer that carries a definition has `ETag: "<version>"`,
 * and a change sent with `If-Match` is refused (412) when the definition changed since.
 */

type Names = { namespace: string; experiment: string };
type Handler = (event: ProxyEvent, ctx: Context, names: Names) => Promise<ProxyResult>;

const answer = (status: number, d: Definition, config: Config): ProxyResult =>
  json(status, { status: 'ok', definition: d }, config, { 'Cache-Control': 'no-store', ETag: `"${d.version}"` });

async function existing(ctx: Context, namespace: string, experiment: string): Promise<Definition> {
  const d = await ctx.store.definition(namespace, experiment);
  if (!d)
    throw new NotFoundError('experiment', `experiment "${experiment}" has no definition in namespace "${namespace}"`);
  return d;
}

/** Refuses a change whose `If-Match` names another version than the stored one. */
function checkIfMatch(event: ProxyEvent, d: Definition | null): void {
  const wanted = header(event, 'if-match');
  if (wanted === undefined || wanted === '*') return;
  if (d === null || wanted.replace(/^W\//, '') !== `"${d.version}"`) {
    throw new InputError(
      'version',
      `If-Match ${wanted} is not the current version (${d ? `"${d.version}"` : 'none'})`,
      412,
    );
  }
}

/** Reads, changes with `change`, and stores one definition; answers it. */
function mutation(change: (d: Definition, body: unknown, now: string) => Definition): Handler {
  return async (event, ctx, { namespace, experiment }) => {
    const d = await existing(ctx, namespace, experiment);
    checkIfMatch(event, d);
    const next = change(d, parseBody(event), new Date().toISOString());
    await ctx.store.saveDefinition(next, d.version);
    return answer(200, next, ctx.config);
  };
}

const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/definition': {
    GET: async (_event, ctx, { namespace, experiment }) =>
      answer(200, await existing(ctx, namespace, experiment), ctx.config),
    PUT: async (event, ctx, { namespace, experiment }) => {
      const input = parseDraft(parseBody(event), ctx.config);
      const current = await ctx.store.definition(namespace, experiment);
      checkIfMatch(event, current);
      const d = draftDefinition(namespace, experiment, input, new Date().toISOString(), current);
      await ctx.store.saveDefinition(d, current?.version ?? 0);
      return answer(current ? 200 : 201, d, ctx.config);
    },
  },
  '/definition/state': { POST: mutation((d, body, now) => changeState(d, parseStateChange(body), now)) },
  '/definition/weights': { POST: mutation((d, body, now) => changeWeights(d, parseWeights(body, d), now)) },
  '/definition/describe': { POST: mutation((d, body, now) => describe(d, body, now)) },
};

/** The experiment an admin request names, checked like a tracked one. */
function experimentParam(event: ProxyEvent, config: Config): string {
  const experiment = nameParam(event, 'experiment', config);
  if (config.allowed_experiments && !config.allowed_experiments.includes(experiment)) {
    throw new InputError('experiment', `experiment "${experiment}" is not in allowed_experiments`);
  }
  return experiment;
}

/**
 * The admin routes, by API Gateway resource: `GET /definitions?namespace[&archived=1]`,
 * `GET|PUT /definition?namespace&experiment`, `POST /definition/state|weights|describe`.
 */
export const admin: Route = async (event, ctx) => {
  if (event.resource === '/config') return config(event, ctx);
  if (event.resource === '/definitions') {
    const early = allowMethods(event, ctx.config, ['GET']);
    if (early) return early;
    const archived = event.queryStringParameters?.archived === '1';
    const all = await ctx.store.definitions(namespaceParam(event, ctx.config));
    const definitions = archived ? all : all.filter((d) => d.state !== 'archived');
    return json(200, { status: 'ok', definitions }, ctx.config, { 'Cache-Control': 'no-store' });
  }
  const handlers = ROUTES[event.resource] ?? {};
  const early = allowMethods(event, ctx.config, Object.keys(handlers));
  if (early) return early;
  const names = { namespace: namespaceParam(event, ctx.config), experiment: experimentParam(event, ctx.config) };
  return handlers[event.httpMethod]!(event, ctx, names);
};

/** States a client must know of: the others (draft, archived) behave as code-only experiments. */
const LIVE = ['running', 'paused', 'rolled_out'];

/** How long browsers and CDNs may keep `/config`, in seconds. */
export const CONFIG_MAX_AGE = 30;

/**
 * `GET /config?namespace`: the live definitions for clients, public and cacheable, with a
 * strong ETag (a hash of the body); `If-None-Match` with it answers 304 without a body.
 */
export const config: Route = async (event, ctx) => {
  const early = allowMethods(event, ctx.config, ['GET']);
  if (early) return early;
  const namespace = namespaceParam(event, ctx.config);
  const experiments = (await ctx.store.definitions(namespace))
    .filter((d) => LIVE.includes(d.state))
    .map((d) => ({
      experiment: d.experiment,
      variants: d.variants.map(({ label, weight }) => ({ label, weight })),
      sample: d.sample,
      fallback: d.fallback,
      state: d.state,
      winner: d.winner,
      phase: d.phase,
    }));
  const body = JSON.stringify({ namespace, experiments });
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  const headers = { 'Cache-Control': `public, max-age=${CONFIG_MAX_AGE}`, ETag: etag };
  const match = header(event, 'if-none-match');
  if (match?.split(',').some((t) => t.trim() === etag)) {
    const cors = { 'Access-Control-Allow-Origin': ctx.config.cors_origin };
    return { statusCode: 304, headers: { ...cors, ...headers }, body: '' };
  }
  return { ...json(200, null, ctx.config, headers), body };
};
