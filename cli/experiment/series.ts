import { AbtestError, InputError } from '../../src/errors';
import type { SeriesResults } from '../../src/csv';
import type { ExperimentResults, SeriesPeriod } from '../../src/results';
import { adminRequest } from './http';

/** The flag of `abtest experiment export` that each query parameter of `/experiments` comes from. */
const FLAGS: Record<string, string> = { phase: '--phase', series: '--period' };

/**
 * One experiment's results with its series in one phase, from `GET /experiments` of a running
 * abtest: `scope=name&series=period[&phase=N]`. A refusal names the flag it came from; an
 * experiment without counts is not-found.
 * @param phase @default the experiment's current phase (0 for an undefined one)
 */
export async function fetchSeries(
  target: { base: string; apiKey: string },
  namespace: string,
  experiment: string,
  opts: { period: SeriesPeriod; phase?: number },
): Promise<SeriesResults> {
  const query = new URLSearchParams({ namespace, scope: experiment, series: opts.period });
  if (opts.phase !== undefined) query.set('phase', String(opts.phase));
  const { status, body } = await adminRequest({ ...target, code: 'experiment' }, 'GET', `/experiments?${query}`);
  if (status === 400) {
    const b = body as { field?: string; message?: string };
    const flag = FLAGS[b.field ?? ''];
    if (flag) throw new InputError(flag, `${flag}: ${b.message}`);
  }
  if (status !== 200) {
    const message = (body as { message?: string })?.message ?? JSON.stringify(body).slice(0, 200);
    throw new AbtestError('experiment', `GET /experiments of "${experiment}" in namespace "${namespace}": ${message}`, {
      status,
    });
  }
  const found = (body as ExperimentResults[]).slice(1).find((r) => r.experiment === experiment);
  if (!found?.series) {
    throw new AbtestError('not-found', `experiment "${experiment}" has no counts in namespace "${namespace}"`, {
      hint: 'check the name and --namespace; abtest dashboard lists the experiments that have counts',
    });
  }
  return found as SeriesResults;
}
