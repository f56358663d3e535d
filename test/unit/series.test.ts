import { buildSeries, dayOf, periodStart, type DayCount } from '../../src/series';

describe('periods', () => {
  it.each([
    ['2026-03-02', '2026-03-02', '2026-03-02', '2026-03-01'], // a Monday
    ['2026-03-01', '2026-03-01', '2026-02-23', '2026-03-01'], // a Sunday: the week began in February
    ['2026-01-01', '2026-01-01', '2025-12-29', '2026-01-01'], // ISO week 1 of 2026 begins in 2025
    ['2027-01-03', '2027-01-03', '2026-12-28', '2027-01-01'], // a Sunday ending ISO week 53 of 2026
    ['2028-02-29', '2028-02-29', '2028-02-28', '2028-02-01'], // a leap day
    ['2026-12-31', '2026-12-31', '2026-12-28', '2026-12-01'],
  ])('%s starts day %s, ISO week %s, month %s', (day, d, w, m) => {
    expect([periodStart(day, 'day'), periodStart(day, 'week'), periodStart(day, 'month')]).toEqual([d, w, m]);
  });

  it('the day of an instant is its UTC day', () => {
    expect(dayOf(new Date('2026-03-01T23:59:59.999Z'))).toBe('2026-03-01');
    expect(dayOf(new Date('2026-03-01T23:30:00-02:00'))).toBe('2026-03-02');
  });

  it('the remembered last day never answers for an instant outside it', () => {
    // Each instant next to the one before, across midnights, far back and before 1970.
    const instants = [
      '2026-03-01T00:00:00.000Z',
      '2026-03-01T23:59:59.999Z',
      '2026-03-02T00:00:00.000Z',
      '2026-03-01T23:59:59.999Z',
      '1969-12-31T23:59:59.999Z',
      '1969-12-31T00:00:00.000Z',
      '1969-12-30T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
    ];
    for (const at of instants) expect(dayOf(new Date(at))).toBe(at.slice(0, 10));
    expect(() => dayOf(new Date('nonsense'))).toThrow(RangeError);
  });
});

describe('buildSeries', () => {
  const results = {
    variants: [
      { label: 'b', participants: 0 },
      { label: 'a', participants: 0 },
    ],
    goals: [{ goal: 'buy', results: [] }],
  };
  const b = (day: string, event: string, variant: string, count: number): DayCount => ({ day, event, variant, count });
  const buckets = [
    b('2026-12-30', 'participate', 'a', 2),
    b('2027-01-02', 'participate', 'b', 1),
    b('2027-01-02', 'buy', 'a', 1),
    b('2027-01-20', 'participate', 'a', 1),
    b('2027-01-02', 'participate', 'gone', 9), // a variant the results do not show
    b('2027-01-02', 'signup', 'a', 9), // a goal the results do not show
  ];

  it('weeks across a year boundary, dense, cumulative, in the results’ order', () => {
    const s = buildSeries(results, buckets, { period: 'week', phase: 2, running: false, today: '2027-06-01' });
    expect(s.period).toBe('week');
    expect(s.phase).toBe(2);
    expect(s.points.map((p) => p.start)).toEqual(['2026-12-28', '2027-01-04', '2027-01-11', '2027-01-18']);
    expect(s.points.map((p) => p.variants.map((v) => [v.label, v.participants, v.cumulative_participants]))).toEqual([
      [
        ['b', 1, 1],
        ['a', 2, 2],
      ],
      [
        ['b', 0, 1],
        ['a', 0, 2],
      ],
      [
        ['b', 0, 1],
        ['a', 0, 2],
      ],
      [
        ['b', 0, 1],
        ['a', 1, 3],
      ],
    ]);
    expect(s.points[3].variants[1].goals).toEqual([{ goal: 'buy', conversions: 0, cumulative_conversions: 1 }]);
  });

  it('months across a year boundary; a running phase goes on to today', () => {
    const s = buildSeries(results, buckets, { period: 'month', phase: 1, running: true, today: '2027-03-15' });
    expect(s.points.map((p) => [p.start, p.variants[1].cumulative_participants])).toEqual([
      ['2026-12-01', 2],
      ['2027-01-01', 3],
      ['2027-02-01', 3],
      ['2027-03-01', 3],
    ]);
  });

  it('days; no buckets gives no points, even while running', () => {
    const s = buildSeries(results, buckets, { period: 'day', phase: 1, running: false, today: '2027-03-15' });
    expect(s.points).toHaveLength(22); // 2026-12-30 .. 2027-01-20
    expect(buildSeries(results, [], { period: 'day', phase: 1, running: true, today: '2027-03-15' }).points).toEqual(
      [],
    );
  });
});
