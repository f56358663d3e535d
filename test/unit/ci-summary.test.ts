import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** `.ci/run` prints jest's summary through `.ci/summary`: passed, failed and skipped, so a skipped suite is seen. */

const summary = (jestOutput: string) =>
  spawnSync('bash', [path.join(__dirname, '..', '..', '.ci', 'summary')], { input: jestOutput, encoding: 'utf8' });

test.each([
  ['Tests:       3 skipped, 297 passed, 300 total', 'jest: 297 passed, 0 failed, 3 skipped'],
  ['Tests:       2 failed, 1 skipped, 297 passed, 300 total', 'jest: 297 passed, 2 failed, 1 skipped'],
  ['Tests:       300 passed, 300 total', 'jest: 300 passed, 0 failed, 0 skipped'],
  ['error TS2305: no jest run', 'jest: 0 passed, 0 failed, 0 skipped'],
])('%s → %s', (line, expected) => {
  const r = summary(`PASS test/unit/a.test.ts\nTest Suites: 1 skipped, 40 passed\n${line}\nTime: 9 s\n`);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(`${expected}\n`);
});

test('the last summary counts when jest printed several', () => {
  const r = summary('Tests:       1 failed, 1 total\n…\nTests:       5 skipped, 2 passed, 7 total\n');
  expect(r.stdout).toBe('jest: 2 passed, 0 failed, 5 skipped\n');
});
