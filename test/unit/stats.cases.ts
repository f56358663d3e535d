/**
 * Reference values for src/stats (version: CASES_VERSION below). Each case names its published
 * source; values are compared to the printed precision of that source.
 *
 * Add cases at the end and bump the version; never change a published value.
 */
export const CASES_VERSION = 2;

/** 95% Wilson score intervals (no continuity correction). */
export const wilsonCases: { successes: number; trials: number; lower: number; upper: number; source: string }[] = [
  // Newcombe RG (1998) Two-sided confidence intervals for the single proportion: comparison of
  // seven methods. Stat Med 17:857-872, Table I, method 3 (score interval without correction).
  { successes: 81, trials: 263, lower: 0.2553, upper: 0.3662, source: 'Newcombe 1998a, Table I, 81/263' },
  { successes: 15, trials: 148, lower: 0.0624, upper: 0.1605, source: 'Newcombe 1998a, Table I, 15/148' },
  { successes: 0, trials: 20, lower: 0, upper: 0.1611, source: 'Newcombe 1998a, Table I, 0/20' },
  { successes: 1, trials: 29, lower: 0.0061, upper: 0.1718, source: 'Newcombe 1998a, Table I, 1/29' },
];

/** 95% intervals for a difference of proportions p1 − p2 (hybrid score, Newcombe's method 10). */
export const differenceCases: {
  x1: number;
  n1: number;
  x2: number;
  n2: number;
  lower: number;
  upper: number;
  source: string;
}[] = [
  // Newcombe RG (1998) Interval estimation for the difference between independent proportions:
  // comparison of eleven methods. Stat Med 17:873-890, Table II, method 10, examples (a)-(h).
  { x1: 56, n1: 70, x2: 48, n2: 80, lower: 0.0524, upper: 0.3339, source: 'Newcombe 1998b, Table II (a)' },
  { x1: 9, n1: 10, x2: 3, n2: 10, lower: 0.1705, upper: 0.809, source: 'Newcombe 1998b, Table II (b)' },
  { x1: 6, n1: 7, x2: 2, n2: 7, lower: 0.0582, upper: 0.8062, source: 'Newcombe 1998b, Table II (c)' },
  { x1: 5, n1: 56, x2: 0, n2: 29, lower: -0.0381, upper: 0.1926, source: 'Newcombe 1998b, Table II (d)' },
  { x1: 0, n1: 10, x2: 0, n2: 20, lower: -0.1611, upper: 0.2775, source: 'Newcombe 1998b, Table II (e)' },
  { x1: 0, n1: 10, x2: 0, n2: 10, lower: -0.2775, upper: 0.2775, source: 'Newcombe 1998b, Table II (f)' },
  { x1: 10, n1: 10, x2: 0, n2: 20, lower: 0.6791, upper: 1, source: 'Newcombe 1998b, Table II (g)' },
  { x1: 10, n1: 10, x2: 0, n2: 10, lower: 0.6075, upper: 1, source: 'Newcombe 1998b, Table II (h)' },
  // Fagerland MW, Lydersen S, Laake P (2017) Statistical Analysis of Contingency Tables, ch. 4,
  // Perondi et al. (2004) trial, "Newcombe hybrid score" (R package contingencytables).
  { x1: 7, n1: 34, x2: 1, n2: 34, lower: 0.0189, upper: 0.3404, source: 'Fagerland et al. 2017, Perondi 2004 data' },
];

/** 95% intervals for a ratio of proportions p1/p2 (MOVER-R with Wilson limits, Donner & Zou 2012). */
export const ratioCases: {
  x1: number;
  n1: number;
  x2: number;
  n2: number;
  lower: number;
  upper: number;
  source: string;
}[] = [
  // Fagerland, Lydersen & Laake (2017), ch. 4, Perondi et al. (2004) trial: "MOVER-R Wilson",
  // estimate 7.0000, 95% CI 1.1537 to 41.9763 (R package contingencytables).
  { x1: 7, n1: 34, x2: 1, n2: 34, lower: 1.1537, upper: 41.9763, source: 'Fagerland et al. 2017, Perondi 2004 data' },
];

/** Two-proportion tests: R's prop.test(c(x1, x2), c(n1, n2), correct = FALSE). */
export const zTestCases: {
  x1: number;
  n1: number;
  x2: number;
  n2: number;
  chiSquare: number;
  pValue: number;
  digits: number;
  source: string;
}[] = [
  // R output "X-squared = 6.1026, df = 1, p-value = 0.01350", prop 1 0.4392523, prop 2 0.3046875,
  // influentialpoints.com, "Two-sample test for independent proportions - using R" (notes/n9rmf3).
  {
    x1: 94,
    n1: 214,
    x2: 39,
    n2: 128,
    chiSquare: 6.1026,
    pValue: 0.0135,
    digits: 4,
    source: 'influentialpoints.com R prop.test output',
  },
  // Fagerland, Lydersen & Laake (2017), ch. 4: "Pearson chi-squared test: P = 0.15730, T = 2.000"
  // for the table [3 1; 1 3] (R package contingencytables).
  {
    x1: 3,
    n1: 4,
    x2: 1,
    n2: 4,
    chiSquare: 2,
    pValue: 0.1573,
    digits: 4,
    source: 'Fagerland et al. 2017, Pearson χ² of [3 1; 1 3]',
  },
];

/** Upper critical values of χ² (P(X ≥ x) = p), as printed in standard tables (NIST/SEMATECH e-Handbook 1.3.6.7.4). */
export const chiSquareCases: { df: number; p: number; x: number }[] = [
  { df: 1, p: 0.05, x: 3.841 },
  { df: 1, p: 0.01, x: 6.635 },
  { df: 1, p: 0.001, x: 10.828 },
  { df: 2, p: 0.05, x: 5.991 },
  { df: 2, p: 0.001, x: 13.816 },
  { df: 3, p: 0.05, x: 7.815 },
  { df: 3, p: 0.001, x: 16.266 },
  { df: 4, p: 0.01, x: 13.277 },
  { df: 9, p: 0.05, x: 16.919 },
  { df: 10, p: 0.001, x: 29.588 },
];

/** Two-sided standard normal tail probabilities P(|Z| ≥ z) (standard normal tables). */
export const normalCases: { z: number; p: number }[] = [
  { z: 1.96, p: 0.05 },
  { z: 2.576, p: 0.01 },
  { z: 3.291, p: 0.001 },
  { z: 1.645, p: 0.1 },
];

/**
 * P(B > A) for A ~ Beta(1 + xA, 1 + nA − xA), B ~ Beta(1 + xB, 1 + nB − xB): exact values in
 * closed form. With one success-free arm (α = 1) P(Beta(1, b1) > Beta(1, b2)) = b2/(b1 + b2);
 * the others follow from integrating the polynomial densities (Evan Miller 2014, "Formulas for
 * Bayesian A/B Testing", gives the general sum, which the test evaluates independently too).
 */
export const bayesCases: { xA: number; nA: number; xB: number; nB: number; p: number; source: string }[] = [
  { xA: 0, nA: 0, xB: 1, nB: 1, p: 2 / 3, source: '∫ 2x·x dx = 2/3' },
  { xA: 0, nA: 1, xB: 1, nB: 1, p: 5 / 6, source: '∫ 2x·(1 − (1 − x)²) dx = 5/6' },
  { xA: 0, nA: 20, xB: 0, nB: 10, p: 21 / 32, source: 'Beta(1, 11) vs Beta(1, 21): 21/32' },
  { xA: 1, nA: 2, xB: 0, nB: 0, p: 1 / 2, source: 'symmetry: Beta(2, 2) vs Beta(1, 1)' },
];
