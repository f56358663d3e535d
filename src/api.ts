import { nameParam, namespaceParam, parseTrack, plusOrSpace } from './events';
import type { Rejection, TrackAnswer } from './protocol';
import { InputError, NotFoundError } from './errors';
import { allowMethods, json, type Route } from './http';
import { experimentsAnswer } from './results-route';
import { exclusionOf, requestVisitor } from './visitors';

/**
 * The routes behind the Lambda entries: parse, call the store, shape the answer.
 */

/**
 * `GET|POST /track`: counts one event or a batch. Answers 200 `{status:"ok", stored}`; for a
 * POSTed array, events refused on their own (names, allow-list, caps) are listed in `rejected`
 * and the others are stored. A single event that is refused answers 400 naming the field.
 * A bot or an ignored address (src/visitors.ts: the `User-Agent` header and the source IP) is
 * answered 200 `{status:"ok", stored:0, excluded}` once its input is checked, and nothing is counted.
 */
export const track: Route = async (event, { config, store }) => {
  const early = allowMethods(event, config, ['GET', 'POST']);
  if (early) return early;
  const request = parseTrack(event, config);
  const visitor = requestVisitor(event);
  const excluded = exclusionOf(config, visitor.userAgent, visitor.ip);
  if (excluded) {
    const answer: TrackAnswer = { status: 'ok', stored: 0, excluded };
    if (request.rejected.length > 0) answer.rejected = request.rejected;
    return json(200, answer, config, { 'Cache-Control': 'no-store' });
  }
  const { accepted } = request;
  const outcome = accepted.length > 0 ? await store.track(accepted.map((a) => a.event)) : { stored: 0, rejected: [] };
  const capped = outcome.rejected.map(
    (r): Rejection => ({
      index: accepted[r.index].index,
      field: r.field,
      message: r.message,
    }),
  );
  if (!request.batch && capped.length > 0) throw new InputError(capped[0].field, capped[0].message);
  const rejected =
    capped.length === 0 ? request.rejected : [...request.rejected, ...capped].sort((a, b) => a.index - b.index);
  const answer: TrackAnswer = { status: 'ok', stored: outcome.stored };
  if (rejected.length > 0) answer.rejected = rejected;
  return json(200, answer, config, { 'Cache-Control': 'no-store' });
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

/**
 * `DELETE /delete?namespace&experiment`: removes an experiment's counters. The experiment is
 * the name as sent, or when none of that name exists, the name with `+` read as spaces.
 */
export const remove: Route = async (event, { config, store }) => {
  const early = allowMethods(event, config, ['DELETE']);
  if (early) return early;
  const namespace = namespaceParam(event, config);
  const experiment = nameParam(event, 'experiment', config);
  for (const name of plusOrSpace(experiment)) {
    if (await store.deleteExperiment(namespace, name))
      return json(200, { status: 'ok', deleted: name, namespace }, config);
  }
  throw new NotFoundError('experiment', `experiment "${experiment}" does not exist in namespace "${namespace}"`);
};
