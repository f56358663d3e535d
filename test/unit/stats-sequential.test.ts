import {
  countError,
  goalStats,
  type GoalStats,
  SEQUENTIAL_ALPHA,
  SEQUENTIAL_METHOD,
  SEQUENTIAL_OPTIMISED_FOR,
  sequentialTest,
  sequentialVerdict,
  type VariantInput,
} from '../../src/stats';

const HLL = 1.04 / Math.sqrt(16384);
const v = (label: string, successes: number, trials: number): VariantInput => ({ label, successes, trials });
const L = Math.log(1 / SEQUENTIAL_ALPHA);

/** V and τ² as the method documents them (src/stats/sequential.ts), written out again. */
function parameters(c: VariantInput, x: VariantInput, sigma = 0): { variance: number; tau2: number; diff: number } {
  const arm = ({ successes: s, trials: n }: VariantInput) => {
    const q = (s + 1) / (n + 2);
    const p = s / n;
    const counting = (countError(s, sigma) ** 2 + countError(n, sigma) ** 2) * p * p;
    return { w: q * (1 - q), n, p, counting };
  };
  const a = arm(c);
  const b = arm(x);
  return {
    variance: a.w / a.n + b.w / b.n + a.counting + b.counting,
    tau2: (SEQUENTIAL_METHOD.mixingRatio * (a.w + b.w)) / SEQUENTIAL_OPTIMISED_FOR,
    diff: b.p - a.p,
  };
}

/**
 * The mixture likelihood ratio ∫ [N(θ̂; θ, V) / N(θ̂; θ0, V)] N(θ; θ0, τ²) dθ by composite
 * Simpson over θ0 ± 30τ (400,000 panels), from the densities themselves: an independent check
 * of the closed form (1 + r)^(−1/2) exp(r/(1 + r) z²/2).
 */
function mixtureRatio(diff: number, theta0: number, variance: number, tau2: number): number {
  const tau = Math.sqrt(tau2);
  const panels = 400_000;
  const lo = theta0 - 30 * tau;
  const h = (60 * tau) / panels;
  const f = (theta: number) =>
    Math.exp(((diff - theta0) ** 2 - (diff - theta) ** 2) / (2 * variance) - (theta - theta0) ** 2 / (2 * tau2)) /
    Math.sqrt(2 * Math.PI * tau2);
  let sum = f(lo) + f(lo + panels * h);
  for (let i = 1; i < panels; i++) sum += (i % 2 ? 4 : 2) * f(lo + i * h);
  return (sum * h) / 3;
}

const pairs = (
  [
    [v('a', 1000, 10_000), v('b', 1100, 10_000)],
    [v('a', 480, 5000), v('b', 520, 5000)],
    [v('a', 30, 400), v('b', 55, 380)],
    [v('a', 200, 100_000), v('b', 260, 98_000)],
    [v('a', 9000, 30_000), v('b', 8700, 30_500)],
    [v('a', 3, 40), v('b', 12, 45)],
  ] as [VariantInput, VariantInput][]
).map(([c, x]) => [`${c.successes}/${c.trials} vs ${x.successes}/${x.trials}`, c, x] as const);

describe('sequential test: the closed form', () => {
  it.each(pairs)('the p-value is 1/Λ of the numerically integrated mixture (%s)', (_name, c, x) => {
    const { variance, tau2, diff } = parameters(c, x);
    const { pValue } = sequentialTest(c, x);
    expect(pValue).toBeCloseTo(Math.min(1, 1 / mixtureRatio(diff, 0, variance, tau2)), 8);
  });

  it.each(pairs)('the mixture ratio at each end of the confidence sequence is 1/α (%s)', (_name, c, x) => {
    const { variance, tau2, diff } = parameters(c, x);
    const { interval } = sequentialTest(c, x);
    for (const end of interval.filter((x) => Math.abs(x) < 1)) // ±1 are where the clamp cuts it
      expect(mixtureRatio(diff, end, variance, tau2) * SEQUENTIAL_ALPHA).toBeCloseTo(1, 6);
    expect(mixtureRatio(diff, (interval[0] + interval[1]) / 2, variance, tau2)).toBeLessThan(1 / SEQUENTIAL_ALPHA);
  });

  it.each(pairs)('the interval is the two-sided normal-mixture boundary of Howard et al. 2021 (%s)', (_name, c, x) => {
    // |S_t| < √((V_t + ρ) ln((V_t + ρ)/(ρα²))) with S_t = θ̂/V in intrinsic time V_t = 1/V and ρ = 1/τ²
    const { variance, tau2, diff } = parameters(c, x);
    const vt = 1 / variance;
    const rho = 1 / tau2;
    const half = Math.sqrt((vt + rho) * Math.log((vt + rho) / (rho * SEQUENTIAL_ALPHA ** 2))) * variance;
    const [lo, hi] = sequentialTest(c, x).interval;
    expect(lo).toBeCloseTo(Math.max(-1, diff - half), 12);
    expect(hi).toBeCloseTo(Math.min(1, diff + half), 12);
  });

  it('equal arms: the half-width is σ_d·std_conjmix_margin(n, ρ², α) of Waudby-Smith et al. 2024 (R drconfseq)', () => {
    // margin(t, ρ²) = √(2(tρ² + 1)/(t²ρ²) · ln(√(tρ² + 1)/α)) for unit variance; ρ² = r*/n*
    const margin = (t: number, rho2: number) =>
      Math.sqrt(((2 * (t * rho2 + 1)) / (t * t * rho2)) * Math.log(Math.sqrt(t * rho2 + 1) / SEQUENTIAL_ALPHA));
    for (const n of [100, 2000, 10_000, 250_000]) {
      const c = v('a', Math.round(0.1 * n), n);
      const x = v('b', Math.round(0.12 * n), n);
      const q = (s: number) => ((s + 1) / (n + 2)) * (1 - (s + 1) / (n + 2));
      const sd = Math.sqrt(q(c.successes) + q(x.successes));
      const [lo, hi] = sequentialTest(c, x).interval;
      expect((hi - lo) / 2 / (sd * margin(n, SEQUENTIAL_METHOD.mixingRatio / SEQUENTIAL_OPTIMISED_FOR))).toBeCloseTo(
        1,
        12,
      );
    }
  });

  it('the mixing ratio r* minimises the width at n* per arm (golden-section search), near the approximation 2 ln(1/α) + ln(1 + 2 ln(1/α))', () => {
    const width = (r: number) => (1 + 1 / r) * (2 * L + Math.log1p(r));
    let [a, b] = [0.01, 1000];
    const g = (Math.sqrt(5) - 1) / 2;
    for (let i = 0; i < 200; i++) {
      const x1 = b - g * (b - a);
      const x2 = a + g * (b - a);
      if (width(x1) < width(x2)) b = x2;
      else a = x1;
    }
    expect(SEQUENTIAL_METHOD.mixingRatio).toBeCloseTo((a + b) / 2, 6);
    expect(SEQUENTIAL_METHOD.mixingRatio / (2 * L + Math.log1p(2 * L))).toBeCloseTo(1, 1);
    // within 11% of the best width from a fifth of n* to 20 times n*
    for (const k of [0.2, 5, 20])
      expect(Math.sqrt(width(k * SEQUENTIAL_METHOD.mixingRatio) / width(a))).toBeLessThan(1.11);
  });
});

describe('sequential test: behaviour', () => {
  it('p ≤ α exactly when the confidence sequence leaves out 0, and both are more cautious than the fixed-horizon figures', () => {
    for (const n of [50, 500, 5000, 50_000])
      for (const pc of [0.01, 0.1, 0.5])
        for (const lift of [-0.3, -0.1, 0, 0.05, 0.1, 0.3]) {
          const c = v('a', Math.round(pc * n), n);
          const x = v('b', Math.round(pc * (1 + lift) * n), n);
          const [, b] = goalStats([c, x]).variants;
          const s = b.sequential!;
          const excludes0 = s.interval[0] > 0 || s.interval[1] < 0;
          expect(s.pValue <= SEQUENTIAL_ALPHA).toBe(excludes0);
          expect(s.pValue).toBeGreaterThanOrEqual(b.pValue!);
          expect(s.interval[0]).toBeLessThanOrEqual(b.diff!.interval[0]);
          expect(s.interval[1]).toBeGreaterThanOrEqual(b.diff!.interval[1]);
        }
  });

  it('narrows and grows more certain with more participants at the same rates', () => {
    let width = Infinity;
    let p = 1;
    for (let n = 200; n <= 2_000_000; n *= 2) {
      const s = sequentialTest(v('a', 0.1 * n, n), v('b', 0.105 * n, n));
      expect(s.interval[1] - s.interval[0]).toBeLessThan(width);
      expect(s.pValue).toBeLessThanOrEqual(p);
      width = s.interval[1] - s.interval[0];
      p = s.pValue;
    }
    expect(p).toBeLessThan(1e-6);
  });

  it('the HLL counting error widens the interval and raises the p-value; exact counts (σ = 0) add nothing', () => {
    const c = v('a', 10_000, 100_000);
    const x = v('b', 10_600, 100_000);
    const exact = sequentialTest(c, x);
    const hll = sequentialTest(c, x, HLL);
    expect(sequentialTest(c, x, 0)).toEqual(exact);
    expect(hll.interval[0]).toBeLessThan(exact.interval[0]);
    expect(hll.interval[1]).toBeGreaterThan(exact.interval[1]);
    expect(hll.pValue).toBeGreaterThan(exact.pValue);
    expect(exact.pValue).toBeLessThan(0.05);
    expect(hll.pValue).toBeGreaterThan(0.05); // 6% uplift at 100k per arm is within HLL noise
    const { variance, tau2, diff } = parameters(c, x, HLL);
    expect(hll.pValue).toBeCloseTo(1 / mixtureRatio(diff, 0, variance, tau2), 8);
  });

  it.each([
    ['no trials in the variant', v('a', 10, 100), v('b', 0, 0), 1, [-1, 1]],
    ['no trials in the control', v('a', 0, 0), v('b', 10, 100), 1, [-1, 1]],
    ['garbage counts', v('a', NaN, -3), v('b', Infinity, 10), 1, [-1, 1]],
  ])('%s: p = 1, interval [−1, 1]', (_name, c, x, p, interval) => {
    expect(sequentialTest(c, x)).toEqual({ pValue: p, interval });
  });

  it('rates of 0 and 1 keep a finite, honest interval', () => {
    const none = sequentialTest(v('a', 0, 1000), v('b', 0, 1000));
    expect(none.pValue).toBe(1);
    expect(none.interval[0]).toBeLessThan(0);
    expect(none.interval[1]).toBeGreaterThan(0);
    const all = sequentialTest(v('a', 500, 500), v('b', 500, 500));
    expect(all.pValue).toBe(1);
    expect(all.interval[1] - all.interval[0]).toBeGreaterThan(0);
    const apart = sequentialTest(v('a', 0, 1000), v('b', 1000, 1000));
    expect(apart.pValue).toBeLessThan(1e-12);
    expect(apart.interval[0]).toBeGreaterThan(0.99);
    expect(apart.interval[1]).toBe(1);
    const capped = sequentialTest(v('a', 103, 100), v('b', 100, 100), HLL); // HLL may count more conversions than participants
    expect(capped.pValue).toBe(1);
  });

  it('goalStats: null for the control, the same as sequentialTest for the others, for a chosen control too', () => {
    const input = [v('a', 100, 1000), v('b', 150, 1000), v('c', 80, 900)];
    const g = goalStats(input, { control: 'b', standardError: HLL });
    expect(g.variants[1].sequential).toBeNull();
    expect(g.variants[0].sequential).toEqual(sequentialTest(input[1], input[0], HLL));
    expect(g.variants[2].sequential).toEqual(sequentialTest(input[1], input[2], HLL));
  });
});

describe('sequentialVerdict', () => {
  const goal = (...rows: [string, number, number][]): GoalStats =>
    goalStats(rows.map(([label, s, n]) => v(label, s, n)));

  it.each([
    ['nothing to tell yet', goal(['A', 100, 1000], ['B', 110, 1000]), 'keep going'],
    ['no data', goal(['A', 0, 0], ['B', 0, 0]), 'keep going'],
    ['only the control', goal(['A', 10, 100]), 'keep going'],
    ['no variants', goalStats([]), 'keep going'],
    ['one better', goal(['A', 1000, 10_000], ['B', 1300, 10_000]), 'variant B is better (valid at any time)'],
    ['one worse', goal(['A', 1000, 10_000], ['B', 700, 10_000]), 'variant B is worse (valid at any time)'],
    [
      'several',
      goal(['A', 1000, 10_000], ['B', 1300, 10_000], ['C', 1350, 10_000], ['D', 700, 10_000], ['E', 1010, 10_000]),
      'variants B and C are better, variant D is worse (valid at any time); keep going for variant E',
    ],
    [
      'three better, two open',
      goal(
        ['A', 1000, 10_000],
        ['B', 1300, 10_000],
        ['C', 1350, 10_000],
        ['D', 1400, 10_000],
        ['E', 1010, 10_000],
        ['F', 990, 10_000],
      ),
      'variants B, C and D are better (valid at any time); keep going for variants E and F',
    ],
  ] as const)('%s', (_name, g, sentence) => {
    expect(sequentialVerdict(g)).toBe(sentence);
  });

  it('follows the sequential figures, not the fixed-horizon p-value', () => {
    const g = goal(['A', 1000, 10_000], ['B', 1100, 10_000]);
    expect(g.variants[1].pValue).toBeLessThan(0.05);
    expect(g.variants[1].sequential!.pValue).toBeGreaterThan(0.05);
    expect(sequentialVerdict(g)).toBe('keep going');
  });
});
