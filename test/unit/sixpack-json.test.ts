import { pyJson } from '../../src/sixpack/answers';

/** What Python 3's `json.dumps(value)` prints for each value (default separators, ensure_ascii). */
const PYTHON: [unknown, string][] = [
  [
    { status: 'ok', alternative: { name: 'a' }, client_id: 'x' },
    '{"status": "ok", "alternative": {"name": "a"}, "client_id": "x"}',
  ],
  ['é"\\\n😀', '"\\u00e9\\"\\\\\\n\\ud83d\\ude00"'],
  [[1, 2.5, null, true, false], '[1, 2.5, null, true, false]'],
  ['\x7f', '"\\u007f"'],
  ['\x01', '"\\u0001"'],
  [{ a: [], b: {} }, '{"a": [], "b": {}}'],
  ['plain name-1_2', '"plain name-1_2"'],
  [{ 'k"ey': 'ü' }, '{"k\\"ey": "\\u00fc"}'],
];

describe("the Sixpack routes' JSON", () => {
  it.each(PYTHON)('writes %j as Python’s json.dumps does', (value, python) => {
    expect(pyJson(value)).toBe(python);
  });
});
