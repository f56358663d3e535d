import { checkName, nameParam, namespaceParam, parseTrack, plusOrSpace } from './events';
import { InputError } from './errors';
import { allowMethods, json, type Route } from './http';
import type { Rejection, TrackAnswer } from './protocol';
import { countError, experimentStats } from './stats';
import { standardError } from './store';

/**
 * The routes behind the Lambda entries: parse, call the store, shape the answer.
 */

/**
 * `GET|POST /track`: counts one event or a batch. Answers 200 `{status:"ok", stored}`; for a
 * POSTed array, events refused on their own (names, allow-list, caps) are listed in `rejected`
 * and the others are stored. A single event that is refused answers 400 naming the field.
 */
export const track: Route = async (event, { config, store }) => {
  const early = allowMethods(event, config, ['GET', 'POST']);
  if (early) return early;
  const request = parseTrack(event, config);
  const { accepted } = request;
  const outcome = accepted.length > 0 ? await store.track(accepted.map((a) => a.event)) : { stored: 0, rejected: [] };
  const capped = outcome.rejected.map((r): Rejection => ({
    index: accepted[r.index].index,
    field: capField(r.message),
    message: r.message,
  }));
  if (!request.batch && capped.length > 0) throw new InputError(capped[0].field, capped[0].message);
  const rejected = [...request.rejected, ...capped].sort((a, b) => a.index - b.index);
  const answer: TrackAnswer = { status: 'ok', stored: outcome.stored };
  if (rejected.length > 0) answer.rejected = rejected;
  return json(200, answer, config, { 'Cache-Control': 'no-store' });
};

/** The event field a cap refusal of the store is about (its message starts with the kind of name). */
function capField(message: string): string {
  const kind = /^(namespace|experiment|variant) /.exec(message)?.[1];
  return kind ?? 'event';
}

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
  const scope = scopeText
    ? scopeText.split(',').flatMap((s, i) => plusOrSpace(checkName(s, `scope[${i}]`, config)))
    : undefined;
  const counts = await store.results(namespace, scope);
  const query = event.queryStringParameters ?? {};
  const control = query.control;
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
    if (await store.deleteExperiment(namespace, name)) return json(200, { status: 'ok', deleted: name, namespace }, config);
  }
  const message = `experiment "${experiment}" does not exist in namespace "${namespace}"`;
  return json(404, { status: 'failed', message, field: 'experiment' }, config);
};
