import { ASSIGN_VERSION, assign, bucketRanges, chooseVariant, eventUuid, fnv1a32, hash, pick } from '../../src/assign';
import cases from './assign.cases.json';

/**
 * src/assign.ts against its versioned table of cases (test/unit/assign.cases.json). The
 * browser test runs the same table through the built client in Chromium.
 */

test('the table is for this version of the assignment math', () => {
  expect(cases.version).toBe(ASSIGN_VERSION);
});

describe('fnv1a32 (published FNV-1a test vectors)', () => {
  it.each(cases.fnv1a32)('fnv1a32($text) = $hash', ({ text, hash: h }) => {
    expect(fnv1a32(text)).toBe(h);
  });
});

describe('hash', () => {
  it.each(cases.hash)('hash($experiment, $visitor) = $n', ({ experiment, visitor, n }) => {
    expect(hash(experiment, visitor)).toBe(n);
  });
});

describe('bucketRanges', () => {
  it.each(cases.bucketRanges)('weights $weights, sample $sample', ({ weights, sample, ranges }) => {
    const got = bucketRanges(
      weights.map((w) => (w === null ? undefined : w)),
      sample,
    );
    expect(got).toHaveLength(ranges.length);
    got.forEach(([a, b], i) => {
      expect(a).toBeCloseTo(ranges[i][0], 12);
      expect(b).toBeCloseTo(ranges[i][1], 12);
    });
  });
});

describe('assign', () => {
  it.each(cases.assign)(
    '$experiment / $visitor (sample $sample) → $variant',
    ({ experiment, visitor, variants, sample, index, variant, inSample }) => {
      expect(assign(experiment, visitor, variants, sample)).toEqual({ index, variant, inSample });
    },
  );
});

describe('eventUuid', () => {
  it.each(cases.eventUuid)(
    '$namespace / $experiment / $event / $visitor',
    ({ namespace, experiment, event, visitor, uuid }) => {
      expect(eventUuid(namespace, experiment, event, visitor)).toBe(uuid);
      expect(uuid).toMatch(/^[0-9a-f]{32}$/);
    },
  );
});

describe('properties', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `visitor-${i}`);

  test('hash is uniform over visitors (χ² over 20 bins)', () => {
    const bins = new Array(20).fill(0);
    for (const id of ids) bins[Math.floor(hash('uniformity', id) * 20)]++;
    const expected = ids.length / 20;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: P(χ² > 43.8) = 0.001.
    expect(chi2).toBeLessThan(43.8);
  });

  test('assignments of two experiments are independent', () => {
    const v = [{ label: 'a' }, { label: 'b' }];
    let same = 0;
    for (const id of ids) if (assign('one', id, v).variant === assign('two', id, v).variant) same++;
    expect(Math.abs(same / ids.length - 0.5)).toBeLessThan(0.02);
  });

  test('weights give their shares', () => {
    const v = [
      { label: 'a', weight: 80 },
      { label: 'b', weight: 20 },
    ];
    const a = ids.filter((id) => assign('weights', id, v).variant === 'a').length / ids.length;
    expect(a).toBeGreaterThan(0.78);
    expect(a).toBeLessThan(0.82);
  });

  test('raising the sample keeps everyone already in a variant where they were', () => {
    const v = [{ label: 'a' }, { label: 'b' }, { label: 'c', weight: undefined }];
    let inAtTen = 0;
    for (const id of ids) {
      const small = assign('ramp', id, v, 0.1);
      const big = assign('ramp', id, v, 0.6);
      if (small.inSample) {
        inAtTen++;
        expect(big).toEqual(small);
      }
    }
    expect(inAtTen / ids.length).toBeGreaterThan(0.08);
    expect(inAtTen / ids.length).toBeLessThan(0.12);
  });

  test('outside the sample: the first variant, not in the sample', () => {
    expect(pick(0.9, [{ label: 'x' }, { label: 'y' }], 0.5)).toEqual({ index: -1, variant: 'x', inSample: false });
    expect(chooseVariant(1, bucketRanges([1, 1]))).toBe(-1);
    expect(pick(0.5, [], 1)).toEqual({ index: -1, variant: '', inSample: false });
  });

  test('eventUuid differs by every part', () => {
    const base = eventUuid('ns', 'exp', 'goal', 'visitor');
    expect(
      new Set([
        base,
        eventUuid('ns2', 'exp', 'goal', 'visitor'),
        eventUuid('ns', 'exp2', 'goal', 'visitor'),
        eventUuid('ns', 'exp', 'goal2', 'visitor'),
        eventUuid('ns', 'exp', 'goal', 'visitor2'),
      ]).size,
    ).toBe(5);
  });
});
