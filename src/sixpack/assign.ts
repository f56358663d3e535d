import { hash } from '../assign';
import { json, type Context, type ProxyEvent, type ProxyResult } from '../http';
import { InputError } from '../errors';
import { checkName } from '../events';
import { isExcluded, namespaceParam, sixpackHash, sixpackQuery } from './params';

/**
 * `GET /assign?namespace=…&visitor=…[&record=1]`: every live defined experiment's variant for
 * one visitor in one call, for server-rendered pages and apps. Each experiment goes through the
 * participate script of the Sixpack routes (one round trip each, run together), so the answer
 * honours the state (a rolled-out experiment gives its winner, a paused one its fallback), the
 * sample, and the visitor's stored assignment; without `record` nothing is stored or counted
 * (a prefetch), so the same visitor gets the same answer until the weights change. `record=1`
 * counts the participation and stores the assignment, which then survives a change of weights.
 * A bot or ignored address (the `user_agent`/`ip_address` parameters, else the request's) is
 * answered but never recorded.
 */

/** The states whose experiments `/assign` answers (drafts and archived ones are not shown). */
const LIVE = new Set(['running', 'paused', 'rolled_out']);

export async function assignRoute(event: ProxyEvent, ctx: Context): Promise<ProxyResult> {
  const { config, store } = ctx;
  const q = sixpackQuery(event);
  const namespace = namespaceParam(q, config);
  const raw = q.get('visitor');
  if (raw === undefined) throw new InputError('visitor', 'visitor is required: the id of the visitor to assign');
  const visitor = checkName(raw, 'visitor', config);
  const record = q.get('record');
  if (record !== undefined && record !== '0' && record !== '1') {
    throw new InputError('record', `record must be 1 or 0; got ${JSON.stringify(record)}`);
  }
  const counted = record === '1' && !isExcluded(q, event, config);
  const at = new Date();
  const live = (await store.definitions(namespace)).filter((d) => LIVE.has(d.state));
  const outcomes = await Promise.all(
    live.map((d) => {
      const sha = sixpackHash(d.experiment, visitor);
      return store.participate({
        namespace,
        experiment: d.experiment,
        clientId: visitor,
        alternatives: d.variants.map((v) => v.label),
        force: null,
        recordForce: false,
        prefetch: !counted,
        badTrafficFraction: false,
        choice: sha.choice,
        fraction: sha.fraction,
        weighted: hash(d.experiment, visitor),
        at,
      });
    }),
  );
  const assignments: Record<string, string> = {};
  live.forEach((d, i) => {
    const out = outcomes[i];
    // An experiment deleted or redefined between the two reads is left out.
    if (out.refusal === undefined) assignments[d.experiment] = out.alternative;
  });
  return json(200, { status: 'ok', namespace, visitor, recorded: counted, assignments }, config);
}
