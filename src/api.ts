import { nameParam, namespaceParam, parseTrack } from './events';
import { LimitError } from './errors';
import { allowMethods, json, type Route } from './http';
import { experimentsAnswer } from './results-route';

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
 * "variants":[{"label","participants"}],"counting","standard_error"}, ...]`, one bounded page at
 * a time (`limit`, `offset`, `summary=1`, `stats=1`: see src/results-route.ts).
 */
export const experiments: Route = async (event, { config, store }) => {
  const early = allowMethods(event, config, ['GET']);
  if (early) return early;
  const answer = await experimentsAnswer(event, namespaceParam(event, config), config, store);
  return json(200, answer, config, { 'Cache-Control': 'no-store' });
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
