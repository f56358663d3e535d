import {
  betaCdf,
  bayesProbabilities,
  chiSquareSurvival,
  countError,
  goalStats,
  lnGamma,
  normalTwoSided,
  posterior,
  sampleRatioCheck,
  twoProportionTest,
  wilsonInterval,
  type VariantInput,
} from '../../src/stats';
import { InputError } from '../../src/errors';
import {
  bayesCases,
  chiSquareCases,
  differenceCases,
  normalCases,
  ratioCases,
  wilsonCases,
  zTestCases,
} from './stats.cases';

const HLL = 1.04 / Math.sqrt(16384);
const v = (label: string, successes: number, trials: number): VariantInput => ({ label, successes, trials });

/** Rounds to the printed precision of a reference value. */
const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Evan Miller (2014) closed form of P(B > A) for integer Beta parameters, with exact log-factorials. */
function evanMiller(aA: number, bA: number, aB: number, bB: number): number {
  const lf = [0];
  for (let i = 1; i < aA + bA + aB + bB + 2; i++) lf.push(lf[i - 1] + Math.log(i));
  const lnB = (a: number, b: number) => lf[a - 1] + lf[b - 1] - lf[a + b - 1];
  let total = 0;
  for (let i = 0; i < aB; i++)
    total += Math.exp(lnB(aA + i, bA + bB) - Math.log(bB + i) - lnB(1 + i, bB) - lnB(aA, bA));
  return total;
}

describe('special functions', () => {
  it('lnGamma matches exact log-factorials and Γ(1/2) = √π', () => {
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    let lf = 0;
    for (let n = 2; n <= 1000; n++) lf += Math.log(n);
    expect(lnGamma(1001)).toBeCloseTo(lf, 9);
  });

  it.each(chiSquareCases)('χ² table: P(χ²($df) ≥ $x) = $p', ({ df, p, x }) => {
    // Tables print the quantile to 3 decimals; the tail probability is then good to ~3 significant digits.
    expect(chiSquareSurvival(x, df) / p).toBeCloseTo(1, 2);
  });

  it.each(normalCases)('normal table: P(|Z| ≥ $z) = $p', ({ z, p }) => {
    expect(normalTwoSided(z) / p).toBeCloseTo(1, 2);
  });

  it('the beta CDF is symmetric and matches closed forms', () => {
    expect(betaCdf(0.3, 2, 1)).toBeCloseTo(0.09, 14);
    expect(betaCdf(0.3, 1, 5)).toBeCloseTo(1 - 0.7 ** 5, 14);
    expect(betaCdf(0.4, 7, 3) + betaCdf(0.6, 3, 7)).toBeCloseTo(1, 14);
  });
});

describe('countError', () => {
  it('is 0 for exact counts and for 0', () => {
    expect(countError(1000, 0)).toBe(0);
    expect(countError(0, HLL)).toBe(0);
  });

  it('is σ = 1.04/√m for large counts and 1/√(2m) for small ones (linear counting)', () => {
    expect(countError(1_000_000, HLL)).toBe(HLL);
    expect(countError(100_000, HLL)).toBe(HLL);
    expect(countError(10, HLL)).toBeCloseTo(1 / Math.sqrt(2 * 16384), 5);
    // Whang et al. 1990: sd = √(m(e^t − t − 1))/n at t = n/m
    const t = 10_000 / 16384;
    expect(countError(10_000, HLL)).toBeCloseTo(Math.sqrt(16384 * (Math.exp(t) - t - 1)) / 10_000, 12);
    expect(countError(2_000, HLL)).toBeLessThan(countError(10_000, HLL));
    expect(countError(10_000, HLL)).toBeLessThan(HLL);
  });
});

describe('wilsonInterval', () => {
  it.each(wilsonCases)('$source', ({ successes, trials, lower, upper }) => {
    const [l, u] = wilsonInterval(successes, trials);
    expect(round(l, 4)).toBe(lower);
    expect(round(u, 4)).toBe(upper);
  });

  it('widens for counting error, and only then', () => {
    const [l0, u0] = wilsonInterval(10_000, 100_000);
    const [l1, u1] = wilsonInterval(10_000, 100_000, undefined, HLL);
    expect(l1).toBeLessThan(l0);
    expect(u1).toBeGreaterThan(u0);
    // binomial variance 0.09/1e5; counting variance 0.1²·(σ(10,000)² + σ(100,000)²)
    const counting = 0.01 * (countError(10_000, HLL) ** 2 + HLL ** 2);
    expect((u1 - l1) / (u0 - l0)).toBeCloseTo(Math.sqrt((0.09 / 1e5 + counting) / (0.09 / 1e5)), 2);
  });

  it('has defined answers at the edges', () => {
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    expect(wilsonInterval(5, 3)).toEqual(wilsonInterval(3, 3));
    expect(wilsonInterval(-1, NaN)).toEqual([0, 1]);
  });
});

describe('differences against the control', () => {
  it.each(differenceCases)('$source', ({ x1, n1, x2, n2, lower, upper }) => {
    const [ctl, variant] = goalStats([v('control', x2, n2), v('variant', x1, n1)]).variants;
    expect(ctl.diff).toBeNull();
    expect(round(variant.diff!.value, 10)).toBe(round(x1 / n1 - x2 / n2, 10));
    expect(round(variant.diff!.interval[0], 4)).toBe(lower);
    expect(round(variant.diff!.interval[1], 4)).toBe(upper);
  });

  it.each(zTestCases)('z-test: $source', ({ x1, n1, x2, n2, chiSquare, pValue, digits }) => {
    const { z, pValue: p } = twoProportionTest(v('a', x1, n1), v('b', x2, n2));
    expect(round(z * z, digits)).toBe(chiSquare);
    expect(round(p, digits)).toBe(pValue);
    const [, variant] = goalStats([v('a', x1, n1), v('b', x2, n2)]).variants;
    expect(variant.pValue).toBe(p);
  });

  it.each(ratioCases)('uplift: $source', ({ x1, n1, x2, n2, lower, upper }) => {
    const [, variant] = goalStats([v('control', x2, n2), v('variant', x1, n1)]).variants;
    expect(variant.uplift!.value).toBeCloseTo(x1 / n1 / (x2 / n2) - 1, 12);
    expect(round(variant.uplift!.interval[0] + 1, 4)).toBe(lower);
    expect(round(variant.uplift!.interval[1] + 1, 4)).toBe(upper);
  });

  it('uplift is null against a control rate of 0, and never below −100%', () => {
    expect(goalStats([v('a', 0, 50), v('b', 5, 50)]).variants[1].uplift).toBeNull();
    const [, b] = goalStats([v('a', 1, 3), v('b', 0, 40)]).variants;
    expect(b.uplift!.value).toBe(-1);
    expect(b.uplift!.interval[0]).toBe(-1);
    expect(b.uplift!.interval[1]).toBeGreaterThan(-1);
  });

  it('uplift is relative, with an interval around it that agrees with the difference in sign', () => {
    const [, b] = goalStats([v('a', 100, 1000), v('b', 150, 1000)]).variants;
    expect(b.uplift!.value).toBeCloseTo(0.5, 12);
    const [lo, hi] = b.uplift!.interval;
    expect(lo).toBeGreaterThan(0);
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    expect(b.diff!.interval[0]).toBeGreaterThan(0);
  });

  it('the counting error widens the z-test: HLL noise alone is not significance', () => {
    const a = v('a', 10_000, 100_000);
    const b = v('b', 10_300, 100_000);
    expect(twoProportionTest(a, b).pValue).toBeLessThan(0.05);
    expect(twoProportionTest(a, b, HLL).pValue).toBeGreaterThan(0.05);
  });
});

describe('Bayesian probabilities', () => {
  it.each(bayesCases)('P(B > A) = $p ($source)', ({ xA, nA, xB, nB, p }) => {
    const [, b] = goalStats([v('A', xA, nA), v('B', xB, nB)]).variants;
    expect(b.probBeatControl).toBeCloseTo(p, 9);
    expect(b.probBest).toBeCloseTo(p, 9);
  });

  it.each([
    [100, 1000, 120, 1000],
    [3, 10, 9, 10],
    [480, 5000, 520, 5000],
    [0, 50, 2, 40],
  ])('P(B > A) for %i/%i vs %i/%i equals Evan Miller’s closed form', (xA, nA, xB, nB) => {
    const exact = evanMiller(1 + xA, 1 + nA - xA, 1 + xB, 1 + nB - xB);
    const [, b] = goalStats([v('A', xA, nA), v('B', xB, nB)]).variants;
    expect(b.probBeatControl).toBeCloseTo(exact, 9);
  });

  it('probabilities of being best sum to 1 and are equal for equal variants', () => {
    const g = goalStats([v('a', 50, 1000), v('b', 50, 1000), v('c', 50, 1000), v('d', 50, 1000)]);
    for (const x of g.variants) expect(x.probBest).toBeCloseTo(0.25, 9);
    const h = goalStats([v('a', 50, 1000), v('b', 61, 1000), v('c', 40, 800), v('d', 3, 20)]);
    expect(h.variants.reduce((s, x) => s + x.probBest, 0)).toBeCloseTo(1, 9);
  });

  it('is deterministic and handles posteriors far apart and of very different widths', () => {
    const input = [v('a', 10, 1_000_000), v('b', 400_000, 1_000_000), v('c', 1, 3)];
    const g = goalStats(input);
    expect(goalStats(input)).toEqual(g);
    expect(g.variants[1].probBeatControl).toBeCloseTo(1, 8);
    expect(g.variants[2].probBeatControl).toBeCloseTo(1, 8);
    // b is 0.4 ± 0.0005 and c ~ Beta(2, 3): c is best with P(c > 0.4) = 1 − I_0.4(2, 3) = 0.5248
    expect(g.variants[1].probBest).toBeCloseTo(betaCdf(0.4, 2, 3), 3);
    expect(g.variants[2].probBest).toBeCloseTo(1 - betaCdf(0.4, 2, 3), 3);
    expect(g.variants[0].probBest).toBeCloseTo(0, 9);
    const two = bayesProbabilities([posterior(400_000, 1_000_000), posterior(1, 3)], 0);
    expect(two.beatControl[1]).toBeCloseTo(1 - betaCdf(0.4, 2, 3), 4);
  });

  it('the counting error flattens the posterior', () => {
    const exact = posterior(10_000, 100_000);
    const hll = posterior(10_000, 100_000, HLL);
    expect(hll.a / (hll.a + hll.b)).toBeCloseTo(exact.a / (exact.a + exact.b), 4);
    expect(hll.a + hll.b).toBeLessThan((exact.a + exact.b) / 2);
  });
});

describe('goalStats guard rails', () => {
  const finite = (x: unknown): void => {
    if (typeof x === 'number') expect(Number.isFinite(x)).toBe(true);
    else if (Array.isArray(x)) x.forEach(finite);
    else if (x && typeof x === 'object') Object.values(x).forEach(finite);
  };

  it.each([
    ['no participants', [v('a', 0, 0), v('b', 0, 0)]],
    ['no conversions', [v('a', 0, 100), v('b', 0, 120)]],
    ['all convert', [v('a', 100, 100), v('b', 120, 120)]],
    ['more conversions than participants (HLL)', [v('a', 103, 100), v('b', 5, 4)]],
    ['control without participants', [v('a', 0, 0), v('b', 5, 40)]],
    ['a single variant', [v('a', 7, 40)]],
    ['garbage counts', [v('a', NaN, -3), v('b', Infinity, 10)]],
  ])('%s: finite numbers, no throw', (_name, input) => {
    for (const standardError of [0, HLL]) {
      const g = goalStats(input as VariantInput[], { standardError });
      finite(g);
      for (const x of g.variants) {
        expect(x.rate).toBeGreaterThanOrEqual(0);
        expect(x.rate).toBeLessThanOrEqual(1);
        expect(x.interval[0]).toBeLessThanOrEqual(x.interval[1]);
        expect(x.probBest).toBeGreaterThanOrEqual(0);
        expect(x.probBest).toBeLessThanOrEqual(1);
      }
    }
  });

  it('a single variant is the control and best', () => {
    const g = goalStats([v('only', 7, 40)]);
    expect(g.control).toBe('only');
    expect(g.variants[0]).toMatchObject({ diff: null, uplift: null, pValue: null, probBeatControl: null, probBest: 1 });
  });

  it('no variants: an empty answer', () => {
    expect(goalStats([])).toEqual({ control: '', variants: [] });
  });

  it('the control can be chosen; an unknown one is an InputError', () => {
    const g = goalStats([v('a', 10, 100), v('b', 20, 100)], { control: 'b' });
    expect(g.control).toBe('b');
    expect(g.variants[1].diff).toBeNull();
    expect(g.variants[0].diff!.value).toBeCloseTo(-0.1, 12);
    expect(() => goalStats([v('a', 10, 100)], { control: 'z' })).toThrow(InputError);
  });

  it('reports the counts as given and the rate capped', () => {
    const [a] = goalStats([v('a', 103, 100)]).variants;
    expect(a).toMatchObject({ successes: 103, trials: 100, rate: 1 });
  });
});

describe('sampleRatioCheck', () => {
  it('is Pearson’s χ² test against the expected split (R: chisq.test(c(5050, 4950)) gives X-squared = 1, p = 0.3173)', () => {
    const r = sampleRatioCheck([5050, 4950]);
    expect(r.chiSquare).toBeCloseTo(1, 12);
    expect(round(r.pValue, 4)).toBe(0.3173);
    expect(r).toMatchObject({ df: 1, mismatch: false, expectedShares: [0.5, 0.5] });
  });

  it('uses weights: 1:2:1 against a 25/50/25 split', () => {
    const fits = sampleRatioCheck([2500, 5000, 2500], { weights: [1, 2, 1] });
    expect(fits.chiSquare).toBeCloseTo(0, 12);
    expect(fits.expectedShares).toEqual([0.25, 0.5, 0.25]);
    const equal = sampleRatioCheck([2500, 5000, 2500]);
    expect(equal.mismatch).toBe(true);
    expect(equal.df).toBe(2);
  });

  it('flags a real mismatch at p < 0.001 and allows a custom alpha', () => {
    // (10200 − 10000)² / 10000 · 2 = 8, p = 0.00468: not at 0.001, yes at 0.01
    expect(sampleRatioCheck([10_200, 9_800]).mismatch).toBe(false);
    expect(sampleRatioCheck([10_200, 9_800], { alpha: 0.01 }).mismatch).toBe(true);
    expect(sampleRatioCheck([10_500, 9_500]).mismatch).toBe(true);
  });

  it('allows for HLL counting error: 2% off at 100k per arm is noise for HLL, a mismatch for exact counts', () => {
    expect(sampleRatioCheck([100_000, 102_000]).mismatch).toBe(true);
    expect(sampleRatioCheck([100_000, 102_000], { standardError: HLL }).mismatch).toBe(false);
    // a 5% gap is beyond HLL noise
    expect(sampleRatioCheck([100_000, 105_000], { standardError: HLL }).mismatch).toBe(true);
  });

  it('with equal weights, the HLL statistic is Pearson’s divided by 1 + σ²·e', () => {
    const exact = sampleRatioCheck([100_000, 102_000]);
    const hll = sampleRatioCheck([100_000, 102_000], { standardError: HLL });
    expect(hll.chiSquare).toBeCloseTo(exact.chiSquare / (1 + HLL * HLL * 101_000), 10);
  });

  it.each([
    ['no variants', []],
    ['one variant', [500]],
    ['no participants', [0, 0]],
    ['garbage', [NaN, -4]],
  ])('%s: no mismatch, no NaN', (_name, participants) => {
    const r = sampleRatioCheck(participants as number[]);
    expect(r).toMatchObject({ chiSquare: 0, pValue: 1, mismatch: false });
    expect(Number.isFinite(r.df)).toBe(true);
  });

  it('rejects weights that are not one positive number per variant', () => {
    expect(() => sampleRatioCheck([1, 2], { weights: [1] })).toThrow(InputError);
    expect(() => sampleRatioCheck([1, 2], { weights: [1, 0] })).toThrow(InputError);
  });
});

describe('statistics stay what they were (values captured before the fast integration)', () => {
  // test/unit/stats.golden.json: goalStats and sampleRatioCheck outputs for a seeded table of
  // inputs (1–10 variants, 0 to 10M trials, exact and HLL, chosen controls), captured from the
  // previous implementation (commit in `captured_from`). Every number must agree to 1e-6.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const golden = require('./stats.golden.json') as {
    cases: { results: VariantInput[]; standardError: number; control?: string; stats: unknown; srm: unknown }[];
  };
  const close = (actual: unknown, expected: unknown, where: string): void => {
    if (typeof expected === 'number') {
      if (Math.abs((actual as number) - expected) > 1e-6) throw new Error(`${where}: ${actual} != ${expected}`);
    } else if (expected !== null && typeof expected === 'object') {
      for (const [k, v] of Object.entries(expected))
        close((actual as Record<string, unknown>)?.[k], v, `${where}.${k}`);
    } else expect(actual).toEqual(expected);
  };
  it.each(golden.cases.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    close(goalStats(c.results, { control: c.control, standardError: c.standardError }), c.stats, `case ${i}`);
    close(
      sampleRatioCheck(
        c.results.map((r) => r.trials),
        { standardError: c.standardError },
      ),
      c.srm,
      `case ${i} srm`,
    );
  });
});
