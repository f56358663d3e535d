import { version } from '../../package.json';
import { hash } from '../assign';
import type { Config } from '../config';
import { sixpackDefinition, type Definition } from '../experiments/definition';
import { ConflictError, InputError, NotFoundError, UnavailableError } from '../errors';
import { allowMethods, errorResult, type Context, type ProxyEvent, type ProxyResult, type Route } from '../http';
import { nameProblem } from '../protocol';
import type { ParticipateInput, SixpackOutcome, SixpackRefusal } from '../store';
import { assignRoute } from './assign';
import { jsonpCallback, MESSAGES, sixpackAnswer, sixpackFailure } from './answers';
import {
  checkNames,
  datetimeParam,
  flag,
  fractionInRange,
  isExcluded,
  requiredNames,
  SIXPACK_NAME,
  sixpackHash,
  sixpackQuery,
  trafficFraction,
  type SixpackQuery,
} from './params';

/**
 * The Sixpack-compatible routes `GET /participate`, `GET /convert` and `GET /_status`, with
 * Sixpack 2.7.0's parameters, answers and precedence (../shared/reference/sixpack-api.md).
 * An experiment first seen here gets a definition (running, equal weights, the first
 * alternative as control); participants and conversions are the counters `/track` writes
 * (`participate`, and a goal per KPI or {@link CONVERT_GOAL}), so results, the dashboard and
 * the lifecycle of definitions work for these experiments too.
 */

/** The goal that a conversion without `kpi` counts. */
export const CONVERT_GOAL = 'convert';

type Answer = (status: number, body: Record<string, unknown>) => ProxyResult;

/** The refusal of a store script, as the error a client reads. */
function refused(refusal: SixpackRefusal, config: Config, goal: string, experiment: string): never {
  const errors: Record<SixpackRefusal, () => Error> = {
    unknown: () => new InputError('experiment', MESSAGES.unknown),
    'traffic-fraction': () => new InputError('traffic_fraction', MESSAGES.trafficFraction),
    changed: () => new InputError('alternatives', MESSAGES.changed),
    archived: () => new InputError('experiment', MESSAGES.archived),
    paused: () => new InputError('experiment', MESSAGES.paused),
    draft: () => new InputError('experiment', 'this experiment is a draft (not started) and can not receive updates.'),
    'not-participating': () => new InputError('client_id', MESSAGES.notParticipating),
    'invalid-kpi': () => new InputError('kpi', MESSAGES.kpiName),
    'goal-cap': () =>
      new InputError(
        'kpi',
        `goal "${goal}" would exceed max_goals_per_experiment (${config.max_goals_per_experiment}) in experiment "${experiment}"`,
      ),
    busy: () => new UnavailableError('the experiment was being deleted until the deadline'),
  };
  throw errors[refusal]();
}

/**
 * Defines an experiment first seen through `/participate`, after Sixpack's checks of a new
 * experiment (alternative names, then the traffic fraction) and abtest's (name rules,
 * distinct alternatives, `max_variants_per_experiment`). A definition another request saved
 * meanwhile is as good.
 */
async function define(ctx: Context, p: ParticipateInput, fraction: number | undefined): Promise<void> {
  const { config, store } = ctx;
  const { alternatives } = p;
  if (!alternatives.every((a) => SIXPACK_NAME.test(a))) throw new InputError('alternatives', MESSAGES.alternativeName);
  if (fraction !== undefined && !fractionInRange(fraction)) {
    throw new InputError('traffic_fraction', MESSAGES.trafficFraction);
  }
  for (const a of alternatives) {
    const problem = nameProblem(a, config.max_name_length);
    if (problem) throw new InputError('alternatives', `alternative "${a.slice(0, 40)}" ${problem}`);
  }
  const twice = alternatives.find((a, i) => alternatives.indexOf(a) !== i);
  if (twice !== undefined) {
    throw new InputError('alternatives', `alternative "${twice}" is given twice: the alternatives must be distinct`);
  }
  const cap = config.max_variants_per_experiment;
  if (cap > 0 && alternatives.length > cap) {
    throw new InputError(
      'alternatives',
      `${alternatives.length} alternatives exceed max_variants_per_experiment (${cap})`,
    );
  }
  const now = new Date().toISOString();
  const d = sixpackDefinition(p.namespace, p.experiment, alternatives, fraction ?? 1, now);
  try {
    await store.saveDefinition(d, 0);
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
  }
}

/** What an excluded visitor (bot, ignored address) gets: the winner, else the control. Nothing is counted. */
const shownToExcluded = (d: Definition | null): string => {
  if (!d) throw new InputError('experiment', MESSAGES.unknown);
  return d.state === 'rolled_out' && d.winner ? d.winner : d.fallback;
};

/** `GET /participate`: Sixpack's processing order (§3). */
async function participate(event: ProxyEvent, q: SixpackQuery, ctx: Context, answer: Answer): Promise<ProxyResult> {
  const { config, store } = ctx;
  const fraction = trafficFraction(q.get('traffic_fraction'));
  const names = checkNames(q, requiredNames(q), config);
  const at = datetimeParam(q.get('datetime'));
  const ok = (alternative: string) =>
    answer(200, {
      status: 'ok',
      alternative: { name: alternative },
      experiment: { name: names.experiment },
      client_id: names.clientId,
    });
  if (isExcluded(q, event, config))
    return ok(shownToExcluded(await store.definition(names.namespace, names.experiment)));
  const alternatives = q.all('alternatives');
  if (alternatives.length < 2) throw new InputError('alternatives', MESSAGES.twoAlternatives);
  const force = q.get('force');
  const sha = sixpackHash(names.experiment, names.clientId);
  // Every field named (no spread): an object literal with a spread among its fields is built
  // slowly, property by property, and this one is built on every participate.
  const input: ParticipateInput = {
    namespace: names.namespace,
    experiment: names.experiment,
    clientId: names.clientId,
    alternatives,
    force: force && alternatives.includes(force) ? force : null,
    recordForce: flag(q.get('record_force')),
    prefetch: flag(q.get('prefetch')),
    badTrafficFraction: fraction !== undefined && !fractionInRange(fraction),
    choice: sha.choice,
    fraction: sha.fraction,
    weighted: hash(names.experiment, names.clientId),
    at,
  };
  let out: SixpackOutcome = await store.participate(input);
  if (out.refusal === 'unknown') {
    await define(ctx, input, fraction);
    out = await store.participate(input);
  }
  if (out.refusal) return refused(out.refusal, config, '', names.experiment);
  return ok(out.alternative);
}

/** `GET /convert`: Sixpack's processing order (§4). */
async function convert(event: ProxyEvent, q: SixpackQuery, ctx: Context, answer: Answer): Promise<ProxyResult> {
  const { config, store } = ctx;
  if (isExcluded(q, event, config)) return answer(200, { status: 'ok', excluded: 'true' });
  const names = checkNames(q, requiredNames(q), config);
  const at = datetimeParam(q.get('datetime'));
  const kpi = q.get('kpi');
  const goal = kpi ?? CONVERT_GOAL;
  const badKpi = kpi !== undefined && (!SIXPACK_NAME.test(kpi) || nameProblem(kpi, config.max_name_length) !== null);
  const out = await store.convert({
    namespace: names.namespace,
    experiment: names.experiment,
    clientId: names.clientId,
    goal,
    badKpi,
    at,
  });
  if (out.refusal) return refused(out.refusal, config, goal, names.experiment);
  return answer(200, {
    status: 'ok',
    alternative: { name: out.alternative },
    experiment: { name: names.experiment },
    conversion: { value: null, kpi: kpi ?? null },
    client_id: names.clientId,
  });
}

/** The Sixpack routes, by API Gateway resource; every failure is answered in Sixpack's shape. */
export const sixpack: Route = async (event, ctx) => {
  const q = sixpackQuery(event);
  const callback = jsonpCallback(q.get('callback'));
  const answer: Answer = (status, body) => sixpackAnswer(status, body, callback, ctx.config);
  try {
    const early = allowMethods(event, ctx.config, ['GET']);
    if (early) return early;
    // abtest's own route for server-side assignment: answered in abtest's shape, not Sixpack's.
    if (event.resource === '/assign') return await assignRoute(event, ctx).catch((e) => errorResult(e, ctx.config));
    if (event.resource === '/participate') return await participate(event, q, ctx, answer);
    if (event.resource === '/convert') return await convert(event, q, ctx, answer);
    if (event.resource === '/_status') {
      await ctx.store.ping();
      return answer(200, { status: 'ok', version });
    }
    throw new NotFoundError('path', MESSAGES.notFound);
  } catch (e) {
    return sixpackFailure(e, callback, ctx.config);
  }
};
