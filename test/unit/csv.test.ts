import { CSV_COLUMNS, csvCell, seriesCsv, type SeriesResults } from '../../src/csv';

/** One variant of a point, with one goal `buy`. */
const variant = (label: string, participants: number, cumulative: number, conversions: number, cumConv: number) => ({
  label,
  participants,
  cumulative_participants: cumulative,
  goals: [{ goal: 'buy', conversions, cumulative_conversions: cumConv }],
});

const results = (over: Partial<SeriesResults> = {}): SeriesResults => ({
  experiment: 'button',
  counting: 'exact',
  standard_error: 0,
  variants: [
    { label: 'red', participants: 3 },
    { label: 'green', participants: 1 },
  ],
  goals: [],
  series: {
    period: 'day',
    phase: 1,
    points: [
      { start: '2026-11-01', variants: [variant('red', 2, 2, 1, 1), variant('green', 1, 1, 0, 0)] },
      { start: '2026-11-02', variants: [variant('red', 1, 3, 2, 3), variant('green', 0, 1, 0, 0)] },
    ],
  },
  ...over,
});

describe('the CSV export', () => {
  it('has a header row and one CRLF-ended record per period, variant and goal, oldest first', () => {
    expect(seriesCsv([results()])).toBe(
      [
        CSV_COLUMNS.join(','),
        'button,1,day,2026-11-01,red,buy,2,2,1,1',
        'button,1,day,2026-11-01,green,buy,1,1,0,0',
        'button,1,day,2026-11-02,red,buy,1,3,2,3',
        'button,1,day,2026-11-02,green,buy,0,1,0,0',
        '',
      ].join('\r\n'),
    );
  });

  it('gives an experiment without goals one record per period and variant, the goal cells empty', () => {
    const r = results();
    for (const p of r.series.points) for (const v of p.variants) v.goals = [];
    const lines = seriesCsv([r]).split('\r\n');
    expect(lines[1]).toBe('button,1,day,2026-11-01,red,,2,2,,');
    expect(lines).toHaveLength(6);
  });

  it('quotes cells with commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
    expect(csvCell('plain text')).toBe('plain text');
    expect(csvCell(null)).toBe('');
    expect(csvCell(0)).toBe('0');
  });

  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\r=1', `"'\r=1"`],
    ['a=1', 'a=1'],
  ])('makes a text cell a spreadsheet would run as a formula inert: %j', (text, cell) => {
    expect(csvCell(text)).toBe(cell);
  });

  it('makes names in records inert too', () => {
    const r = results({ experiment: '=cmd|" /C calc"!A0' });
    expect(seriesCsv([r]).split('\r\n')[1]).toBe(`"'=cmd|"" /C calc""!A0",1,day,2026-11-01,red,buy,2,2,1,1`);
  });
});
