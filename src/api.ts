import { checkName, nameParam, namespaceParam, parseTrack } from './events';
import { LimitError } from './errors';
import { allowMethods, json, type Route } from './http';
import { countError, experimentStats } from './stats';
import { standardError } from './store';

/**
 * The routes behind the Lambda entries: parse, call the store, shape the answer.
 */

/** `GET|POST /track`: counts one event or a batch. Answers 200 `{status:"ok", stored}`. */
export const track: Route = async (event, { config, store }) => {
  const early = allowMethods(event, config, ['GET', 'POST']);
  if (early) return early;
  const events = parseTrack(event, config);
  const outcome = await store.track(events);
  const noStore = { 'Cache-Control': 'no-store' };
  if (outcome.rejected.length > 0) {
    const first = outcome.rejected[0];
    const err = new LimitError(events.length === 1 ? first.message : `event [${first.index}]: ${first.message}`);
    return json(err.status, { status: 'failed', message: err.message, stored: outcome.stored, rejected: outcome.rejected }, config, noStore);
  }
  return json(200, { status: 'ok', stored: outcome.stored }, config, noStore);
};

/**
 * `GET /experiments?namespace&scope=a,b`: results in a superset of Gimel's shape,
 * `[{"meta":{...}}, {"experiment","goals":[{"goal","results":[{"label","successes","trials"}]}],
 * "variants":[{"label","participants"}],"counting","standard_error"}, ...]`.
 * With `stats=1`, each experiment also gets `srm` (the sample-ratio check against an equal
 * split), each variant its `counting_error` (± one standard error of its participants), and
 * each goal `stats` (src/stats GoalStats against `control`, default the first variant),
 * all allowing for the counting error.
 */
export const experiments: Route = async (event, { config, store }) => {
  const early = allowMethods(event, config, ['GET']);
  if (early) return early;
  const namespace = namespaceParam(event, config);
  const scopeText = event.queryStringParameters?.scope;
  const scope = scopeText ? scopeText.split(',').map((s, i) => checkName(s.replace(/\+/g, ' '), `scope[${i}]`, config)) : undefined;
  const counts = await store.results(namespace, scope);
  const query = event.queryStringParameters ?? {};
  const control = query.control?.replace(/\+/g, ' ');
  const results = query.stats === '1'
    ? counts.map((c) => {
        const { srm, goals } = experimentStats(c, { control });
        return {
          ...c,
          variants: c.variants.map((v) => ({ ...v, counting_error: Math.round(v.participants * countError(v.participants, c.standard_error)) })),
          goals: c.goals.map((g, i) => ({ ...g, stats: { control: goals[i].control, variants: goals[i].variants } })),
          srm,
        };
      })
    : counts;
  const meta = {
    namespace,
    scope: scopeText ?? null,
    counting: config.counting,
    standard_error: standardError(config.counting),
    generated_at: new Date().toISOString(),
  };
  return json(200, [{ meta }, ...results], config, { 'Cache-Control': 'no-store' });
};

/** `DELETE /delete?namespace&experiment`: removes an experiment's counters. */
export const remove: Route = async (event, { config, store }) => {
  const early = allowMethods(event, config, ['DELETE']);
  if (early) return early;
  const namespace = namespaceParam(event, config);
  const experiment = nameParam(event, 'experiment', config);
  const existed = await store.deleteExperiment(namespace, experiment);
  if (!existed) return json(404, { status: 'failed', message: `experiment "${experiment}" does not exist in namespace "${namespace}"`, field: 'experiment' }, config);
  return json(200, { status: 'ok', deleted: experiment, namespace }, config);
};
