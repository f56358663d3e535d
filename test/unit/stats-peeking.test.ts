import { peekingStudy } from '../accuracy/peeking';

// A small, seeded run of the peeking study of `npm run accuracy` (test/accuracy/peeking.ts):
// deterministic, so it guards the sequential figures' one promise in every jest run.
describe('the peeking study, small', () => {
  const study = peekingStudy({ experiments: 100, days: 30, dailyVisitors: 1000, baseRate: 0.1, uplift: 0.1, seed: 7 });
  const percent = (row: number) => Number(/^([\d.]+)%/.exec(study.rows[row][1])![1]);

  it('daily peeking makes the fixed-horizon z-test find differences that are not there far more often than 5%', () => {
    expect(percent(0)).toBeGreaterThan(15);
  });

  it('the sequential test stopped at its first "valid at any time" verdict stays at or below 5%', () => {
    expect(study.falsePositives).toBeLessThanOrEqual(5);
    expect(study.ok).toBe(true);
  });

  it('the sequential test still finds a 10% uplift, never in the wrong direction', () => {
    expect(percent(4)).toBeGreaterThan(20);
    expect(study.rows[4][1]).toMatch(/; 0 stopped with B worse$/);
  });
});
