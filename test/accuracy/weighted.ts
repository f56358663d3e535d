import { prng } from '../../cli/simulate/prng';
import { experiments } from '../../src/api';
import { admin } from '../../src/experiments/routes';
import type { Context } from '../../src/http';
import type { ExperimentResults } from '../../src/results';
import { sampleRatioCheck } from '../../src/stats';
import { PARTICIPATE } from '../../src/store';
import { experimentKeys } from '../../src/store/keys';
import { proxyEvent } from '../helpers/events';
import { withHllRedis } from './hll-writer';

/**
 * A/A of the sample-ratio check against declared weights: 200 experiments defined through the
 * admin route with weights 2:1:1 and started (phase 1), visitors assigned by those weights
 * (HLL mode, bulk PFADD on the phase's own keys after a first event through the store), then
 * `GET /experiments?stats=1`: how often does it cry mismatch (p < 0.001)? Target ≤ 1%. For
 * comparison, the same counts against an equal split (what the check did before definitions).
 */

const WEIGHTS = [2, 1, 1];
const ARMS = ['a', 'b', 'c'];
const NAMESPACE = 'weighted';

/** Runs the study; `rows` for the accuracy table, `ok` when the false-alarm share holds. */
export async function weightedSrm(
  count: number,
  visitors: number,
  seed: number,
): Promise<{ rows: string[][]; ok: boolean; alarms: number }> {
  return withHllRedis(async ({ config, store, bulk }) => {
    const ctx: Context = { config, store };
    const random = prng(seed);
    const names = Array.from({ length: count }, (_, e) => `w${e}`);
    for (const name of names) {
      const query = { namespace: NAMESPACE, experiment: name };
      const variants = ARMS.map((label, i) => ({ label, weight: WEIGHTS[i] }));
      const put = await admin(proxyEvent('PUT', '/definition', { query, body: JSON.stringify({ variants }) }), ctx);
      const start = await admin(proxyEvent('POST', '/definition/state', { query, body: '{"state":"running"}' }), ctx);
      if (put.statusCode !== 201 || start.statusCode !== 200)
        throw new Error(`defining ${name}: ${put.body} ${start.body}`);
      const elements: string[][] = ARMS.map(() => []);
      for (let j = 0; j < visitors; j++) {
        const u = random.next() * 4;
        elements[u < 2 ? 0 : u < 3 ? 1 : 2].push(`${name}:${j}`);
      }
      const keys = experimentKeys(config.key_prefix, NAMESPACE, name, 1);
      await Promise.all(
        ARMS.map(async (variant, i) => {
          const [first, ...rest] = elements[i];
          const out = await ctx.store.track([
            { namespace: NAMESPACE, experiment: name, variant, event: PARTICIPATE, uuid: first },
          ]);
          if (out.rejected.length) throw new Error(out.rejected[0].message);
          for (let k = 0; k < rest.length; k += 10_000)
            await bulk.pfadd(keys.counter(PARTICIPATE, variant), ...rest.slice(k, k + 10_000));
        }),
      );
    }
    const results: ExperimentResults[] = [];
    for (let k = 0; k < names.length; k += 20) {
      const query = { namespace: NAMESPACE, scope: names.slice(k, k + 20).join(','), stats: '1' };
      const r = await experiments(proxyEvent('GET', '/experiments', { query }), ctx);
      results.push(...(JSON.parse(r.body).slice(1) as ExperimentResults[]));
    }
    const declared = results.filter((r) => r.srm?.expected === 'declared weights').length;
    const alarms = results.filter((r) => r.srm?.mismatch).length;
    const equal = results.filter(
      (r) =>
        sampleRatioCheck(
          r.variants.map((v) => v.participants),
          { standardError: r.standard_error },
        ).mismatch,
    ).length;
    const ok = results.length === count && declared === count && alarms / count <= 0.01;
    const rows = [
      [
        `A/A 2:1:1 defined, ${count} experiments × ${visitors.toLocaleString('en-US')} visitors (HLL): SRM false alarms against the declared weights`,
        `${alarms} of ${results.length} (${declared} checked against declared weights)`,
        '≤ 1%',
      ],
      [
        '… same counts against an equal split (the check before definitions)',
        `${equal} of ${results.length}`,
        '(for comparison)',
      ],
    ];
    return { rows, ok, alarms };
  });
}
