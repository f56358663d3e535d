import { buildDashboard, dashboardHtml } from '../../cli/build/dashboard';
import { axisMax } from '../../src/dashboard/chart';
import { apiBase, chance, experimentView, formatCount, formatP, parseResults, percent, signedPercent, verdict } from '../../src/dashboard/model';
import type { ExperimentResults } from '../../src/results';
import { goalStats, sampleRatioCheck } from '../../src/stats';

/** The dashboard's pure parts: the view of an experiment, formatting, the built page. */

const experiment: ExperimentResults = {
  experiment: 'checkout',
  counting: 'hll',
  standard_error: 0.008125,
  variants: [
    { label: 'a', participants: 1000 },
    { label: 'b', participants: 990 },
  ],
  goals: [
    { goal: 'buy', results: [{ label: 'a', successes: 100, trials: 1000 }, { label: 'b', successes: 140, trials: 990 }] },
    // A goal only one variant has reached yet.
    { goal: 'refund', results: [{ label: 'b', successes: 3, trials: 990 }] },
  ],
};

test('the view uses src/stats with the counting error, the first variant as control by default', () => {
  const v = experimentView(experiment);
  expect(v.control).toBe('a');
  expect(v.totalParticipants).toBe(1990);
  expect(v.variants.map((x) => x.share)).toEqual([1000 / 1990, 990 / 1990]);
  expect(v.srm).toEqual(sampleRatioCheck([1000, 990], { standardError: 0.008125 }));
  expect(v.goals[0].stats).toEqual(goalStats(experiment.goals[0].results, { control: 'a', standardError: 0.008125 }));
  expect(v.goals[1].stats.variants.map((s) => [s.label, s.successes, s.trials])).toEqual([['a', 0, 1000], ['b', 3, 990]]);
});

test('another control can be chosen; an unknown one falls back to the first variant', () => {
  expect(experimentView(experiment, 'b').goals[0].stats.control).toBe('b');
  expect(experimentView(experiment, 'gone').control).toBe('a');
});

test('participants only, and a single variant: no goals, no SRM check', () => {
  const v = experimentView({ ...experiment, variants: [{ label: 'solo', participants: 5 }], goals: [] });
  expect(v.goals).toEqual([]);
  expect(v.srm).toBeNull();
});

test('parseResults takes [{meta}, ...experiments] and refuses anything else', () => {
  const meta = { namespace: 'n', counting: 'exact', standard_error: 0 };
  expect(parseResults([{ meta }, experiment])).toEqual({ meta, experiments: [experiment] });
  expect(() => parseResults({ status: 'failed' })).toThrow(/abtest API/);
  expect(() => parseResults([])).toThrow();
});

test('formatting', () => {
  expect(percent(0.12345)).toBe('12.3%');
  expect(signedPercent(0.052)).toBe('+5.2%');
  expect(signedPercent(-0.1)).toBe('\u221210.0%');
  expect(signedPercent(0)).toBe('0.0%');
  expect(formatP(0.0004)).toBe('< 0.001');
  expect(formatP(0.04567)).toBe('0.046');
  expect(formatCount(12345, 'exact')).toBe('12,345');
  expect(formatCount(12345, 'hll')).toBe('\u224812,345');
  expect(formatCount(0, 'hll')).toBe('0');
  expect(chance(0.9996)).toBe('> 99%');
  expect(chance(0.004)).toBe('< 1%');
  expect(chance(0.555)).toBe('56%');
  expect(verdict(0.01, 0.02)).toBe('better');
  expect(verdict(0.01, -0.02)).toBe('worse');
  expect(verdict(0.2, 0.02)).toBe('unclear');
  expect(verdict(null, null)).toBe('control');
});

test('apiBase takes the base or a route, absolute or relative to the page', () => {
  expect(apiBase('https://x.example/prod/experiments?x=1', 'http://page/')).toBe('https://x.example/prod');
  expect(apiBase('https://x.example/prod/', 'http://page/')).toBe('https://x.example/prod');
  expect(apiBase('', 'http://127.0.0.1:8787/dashboard?key=k')).toBe('http://127.0.0.1:8787');
});

test('the chart axis ends on a round number at or above the highest interval end', () => {
  expect(axisMax(0.158)).toBe(0.2);
  expect(axisMax(0.32)).toBe(0.5);
  expect(axisMax(0.07)).toBe(0.1);
  expect(axisMax(0.021)).toBe(0.025);
  expect(axisMax(1)).toBe(1);
  expect(axisMax(0)).toBe(0.01);
});

test('the built page is self-contained and its settings cannot break out of their element', () => {
  const built = buildDashboard();
  expect(built.gzipBytes).toBeGreaterThan(0);
  const html = dashboardHtml({ api: 'https://x.example/prod', key: 'k</script><script>alert(1)//', namespace: 'ns' });
  expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!x\.example|www\.w3\.org)[a-z]/i);
  const config = /<script id="abtest-config" type="application\/json">([^<]*)<\/script>/.exec(html);
  expect(JSON.parse(config![1])).toEqual({ api: 'https://x.example/prod', key: 'k</script><script>alert(1)//', namespace: 'ns' });
});
