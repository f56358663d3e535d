import { betaCdf, betaPdf, clamp01, lnBeta } from './math';

/** Parameters of a Beta distribution. */
export interface Beta {
  a: number;
  b: number;
}

// Integration: 5-point Gauss–Legendre on segments that resolve every posterior: within a
// posterior's own range (mean ± 20 sd) no segment is wider than 1/48 of that range, so each
// density and each CDF step is resolved however far apart and however narrow the posteriors
// are; where several posteriors overlap, the finest of their steps is used (not the union of
// their grids, which cost k times more for no accuracy). Outside its range a posterior's
// density is 0 and its CDF 0 or 1 to ~1e-9, so it is not evaluated there. Deterministic: the
// same counts give the same probabilities on every page load.
const GL_NODES = [-0.906179845938664, -0.5384693101056831, 0, 0.5384693101056831, 0.906179845938664];
const GL_WEIGHTS = [0.2369268850561891, 0.4786286704993665, 0.5688888888888889, 0.4786286704993665, 0.2369268850561891];
const SEGMENTS = 48;
const HALF_WIDTH_SD = 20;
// A Beta with both parameters ≥ 100 is close to normal (skewness ≤ 0.2): beyond 10 sd its
// mass is below 1e-15, so half the range with the same step per sd loses nothing.
const NEAR_NORMAL = 100;

interface Range {
  lo: number;
  hi: number;
  step: number;
  lnB: number;
}

function range({ a, b }: Beta): Range {
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1)));
  const scale = Math.min(a, b) >= NEAR_NORMAL ? 0.5 : 1;
  const lo = Math.max(0, mean - HALF_WIDTH_SD * scale * sd);
  const hi = Math.min(1, mean + HALF_WIDTH_SD * scale * sd);
  return { lo, hi, step: (hi - lo) / (SEGMENTS * scale), lnB: lnBeta(a, b) };
}

/** The segment ends from 0 to 1: each range's step inside it, one segment across gaps. */
function breakpoints(ranges: Range[]): number[] {
  const points = [0];
  let x = 0;
  while (x < 1) {
    let step = Infinity;
    let nextStart = 1;
    for (const r of ranges) {
      if (r.lo <= x && x < r.hi) step = Math.min(step, r.step);
      else if (r.lo > x) nextStart = Math.min(nextStart, r.lo);
    }
    let next = Math.min(x + step, nextStart);
    if (!(next > x)) next = nextStart > x ? nextStart : 1;
    points.push(next);
    x = next;
  }
  return points;
}

// Above this many terms the closed form costs more than the integration.
const MAX_CLOSED_FORM_TERMS = 10_000;

/**
 * P(B > A) for integer Beta parameters in closed form (Evan Miller 2014, "Formulas for Bayesian
 * A/B Testing"): Σ_{i<a_B} B(a_A+i, b_A+b_B) / ((b_B+i) B(1+i, b_B) B(a_A, b_A)), summed in log
 * space with the ratio of successive terms (a_A+i)(b_B+i) / ((a_A+b_A+b_B+i)(1+i)), over the
 * smaller of a_A and a_B (P(B > A) = 1 − P(A > B)). Null when it does not apply.
 */
function closedForm(A: Beta, B: Beta): number | null {
  const integral = [A.a, A.b, B.a, B.b].every((x) => Number.isInteger(x));
  if (!integral || Math.min(A.a, B.a) > MAX_CLOSED_FORM_TERMS) return null;
  const [x, y, flip] = B.a <= A.a ? [A, B, false] : [B, A, true];
  let log = lnBeta(x.a, x.b + y.b) - Math.log(y.b) - lnBeta(1, y.b) - lnBeta(x.a, x.b);
  let top = log;
  let sum = 1; // Σ exp(log_i − top)
  for (let i = 0; i < y.a - 1; i++) {
    log += Math.log(((x.a + i) * (y.b + i)) / ((x.a + x.b + y.b + i) * (1 + i)));
    if (log > top) {
      sum = sum * Math.exp(top - log) + 1;
      top = log;
    } else sum += Math.exp(log - top);
  }
  const p = clamp01(Math.exp(top) * sum);
  return flip ? 1 - p : p;
}

/**
 * P(variant i has the highest rate) = ∫ f_i(x) ∏_{j≠i} F_j(x) dx for each posterior, and
 * P(variant i beats the control) = ∫ f_i(x) F_control(x) dx, by numerical integration
 * (exact to about 1e-9; no sampling); for two variants with integer parameters (exact
 * counting), in closed form. beatControl[control] is null.
 */
export function bayesProbabilities(
  posteriors: Beta[],
  control: number,
): { best: number[]; beatControl: (number | null)[] } {
  const k = posteriors.length;
  const best = new Array<number>(k).fill(0);
  const beat = new Array<number>(k).fill(0);
  if (k === 1) return { best: [1], beatControl: [null] };
  const closed = k === 2 ? closedForm(posteriors[control], posteriors[1 - control]) : null;
  if (closed !== null) {
    const best = control === 0 ? [1 - closed, closed] : [closed, 1 - closed];
    return { best, beatControl: best.map((p, i) => (i === control ? null : p)) };
  }
  const ranges = posteriors.map(range);
  const points = breakpoints(ranges);
  const pdf = new Array<number>(k);
  const cdf = new Array<number>(k);
  for (let s = 1; s < points.length; s++) {
    const mid = (points[s] + points[s - 1]) / 2;
    const half = (points[s] - points[s - 1]) / 2;
    for (let g = 0; g < GL_NODES.length; g++) {
      const x = mid + half * GL_NODES[g];
      const w = half * GL_WEIGHTS[g];
      for (let j = 0; j < k; j++) {
        const { a, b } = posteriors[j];
        const r = ranges[j];
        const inside = x >= r.lo && x <= r.hi;
        pdf[j] = inside ? betaPdf(x, a, b, r.lnB) : 0;
        cdf[j] = inside ? betaCdf(x, a, b, r.lnB) : x < r.lo ? 0 : 1;
      }
      for (let i = 0; i < k; i++) {
        if (pdf[i] === 0) continue;
        let others = 1;
        for (let j = 0; j < k; j++) if (j !== i) others *= cdf[j];
        best[i] += w * pdf[i] * others;
        beat[i] += w * pdf[i] * cdf[control];
      }
    }
  }
  return {
    best: best.map(clamp01),
    beatControl: beat.map((p, i) => (i === control ? null : clamp01(p))),
  };
}
