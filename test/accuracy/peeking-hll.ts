import { prng } from '../../cli/simulate/prng';
import { type GoalStats, goalStats, SEQUENTIAL_ALPHA, type VariantInput } from '../../src/stats';
import { PARTICIPATE } from '../../src/store';
import { HllWriter, withHllRedis } from './hll-writer';
import { share } from './peeking';

/**
 * The peeking A/A in HLL mode, through a real Redis: `experiments` undefined experiments, each
 * looked at after every simulated day for `days` days, `dailyVisitors` a day split by a fair
 * coin, one goal at `rate` in both arms. Each day's visitors go into the store's HLL counters
 * (HllWriter: the first element of each counter through the store, the rest by PFADD), then
 * `RedisCounterStore.results` reads the counts. An HLL counter's error moves slowly as it
 * grows (the same registers), so day-to-day looks see much the same error again: the question
 * is whether the sequential test with the counting error in its variance still holds its 5%.
 * For comparison: the same test ignoring the counting error, the HLL-aware fixed-horizon
 * z-test, and the sequential test on the true counts.
 */
const ARMS = ['a', 'b'];
const GOAL = 'buy';
const NAMESPACE = 'peeking';

interface Rule {
  label: string;
  /** Stops on this look. */
  stops: (hll: GoalStats, plain: GoalStats, exact: GoalStats) => boolean;
  target: string;
}

const sequential = (g: GoalStats) => g.variants[1].sequential!.pValue < SEQUENTIAL_ALPHA;

const RULES: Rule[] = [
  { label: 'sequential, HLL-aware (what ?stats=1 answers)', stops: (h) => sequential(h), target: '≤ 5%' },
  { label: 'sequential ignoring the counting error', stops: (_h, p) => sequential(p), target: '(for comparison)' },
  {
    label: 'fixed-horizon z-test, HLL-aware, stopping at the first p < 0.05',
    stops: (h) => h.variants[1].pValue! < 0.05,
    target: '(for comparison)',
  },
  { label: 'sequential on the true (exact) counts', stops: (_h, _p, e) => sequential(e), target: '(for comparison)' },
];

/** Runs the study against a private redis-server; `ok` when the HLL-aware sequential false-positive rate is ≤ 5%. */
export async function peekingHll(o: {
  experiments: number;
  days: number;
  dailyVisitors: number;
  rate: number;
  seed: number;
}): Promise<{ rows: string[][]; ok: boolean }> {
  return withHllRedis(async ({ config, store, bulk }) => {
    const started = Date.now();
    const random = prng(o.seed);
    const writer = new HllWriter(store, bulk, config.key_prefix, NAMESPACE);
    const stopped = RULES.map(() => 0);
    for (let e = 0; e < o.experiments; e++) {
      const name = `p${e}`;
      const n = [0, 0];
      const s = [0, 0];
      const done = RULES.map(() => false);
      for (let day = 1; day <= o.days; day++) {
        for (let j = 0; j < o.dailyVisitors; j++) {
          const arm = random.next() < 0.5 ? 0 : 1;
          const uuid = `${e}:${day}:${j}`;
          n[arm]++;
          if (writer.add(name, PARTICIPATE, ARMS[arm], uuid)) await writer.drain();
          if (random.next() < o.rate) {
            s[arm]++;
            if (writer.add(name, GOAL, ARMS[arm], uuid)) await writer.drain();
          }
        }
        await writer.flush();
        const [r] = await store.results(NAMESPACE, [name]);
        const counts = r.goals.find((g) => g.goal === GOAL)!.results;
        const input = ARMS.map((label) => counts.find((x) => x.label === label)!);
        const exact: VariantInput[] = ARMS.map((label, i) => ({ label, successes: s[i], trials: n[i] }));
        const hll = goalStats(input, { standardError: r.standard_error });
        const plain = goalStats(input);
        const truth = goalStats(exact);
        RULES.forEach((rule, i) => {
          if (!done[i] && rule.stops(hll, plain, truth)) done[i] = true;
        });
      }
      done.forEach((d, i) => {
        if (d) stopped[i]++;
      });
      if ((e + 1) % 50 === 0)
        process.stderr.write(
          `  peeking HLL: ${e + 1}/${o.experiments} experiments, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
        );
    }
    const perArm = Math.round((o.days * o.dailyVisitors) / 2).toLocaleString('en-US');
    const rows = RULES.map((rule, i) => [
      i === 0
        ? `peeking A/A in HLL mode through Redis, ${o.experiments} experiments × ${o.days} daily looks, ${o.dailyVisitors.toLocaleString('en-US')} visitors a day (≈${perArm} per arm at the end), goal at ${Math.round(o.rate * 100)}%: false positives, ${rule.label}`
        : `… ${rule.label}`,
      share(stopped[i], o.experiments),
      rule.target,
    ]);
    rows.push([
      'peeking HLL run time (PFADD of each day, then the results read through the store)',
      `${((Date.now() - started) / 1000).toFixed(0)} s`,
      '',
    ]);
    return { rows, ok: stopped[0] / o.experiments <= SEQUENTIAL_ALPHA };
  });
}
