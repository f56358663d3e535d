import type { Definition } from '../../src/experiments/definition';
import { actionsFor, confirmation, phaseDates, weightsConfirmation } from '../../src/dashboard/lifecycle';
import { buildDashboard, dashboardHtml } from '../../cli/build/dashboard';
import { axisMax } from '../../src/dashboard/chart';
import {
  apiBase,
  chance,
  experimentView,
  formatCount,
  formatP,
  parseResults,
  percent,
  signedPercent,
  verdict,
} from '../../src/dashboard/model';
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
    {
      goal: 'buy',
      results: [
        { label: 'a', successes: 100, trials: 1000 },
        { label: 'b', successes: 140, trials: 990 },
      ],
    },
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
  expect(v.goals[1].stats.variants.map((s) => [s.label, s.successes, s.trials])).toEqual([
    ['a', 0, 1000],
    ['b', 3, 990],
  ]);
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
  expect(JSON.parse(config![1])).toEqual({
    api: 'https://x.example/prod',
    key: 'k</script><script>alert(1)//',
    namespace: 'ns',
  });
});

const definition = (over: Partial<Definition> = {}): Definition => ({
  namespace: 'shop',
  experiment: 'checkout',
  description: '',
  variants: [
    { label: 'control', weight: 2 },
    { label: 'one page', weight: 1 },
  ],
  sample: 1,
  fallback: 'control',
  state: 'running',
  winner: null,
  phase: 1,
  phases: [{ phase: 1, started_at: '2026-11-23T12:00:00.000Z', ended_at: null, weights: [2, 1], sample: 1 }],
  created_at: '2026-11-23T11:00:00.000Z',
  updated_at: '2026-11-23T12:00:00.000Z',
  version: 2,
  ...over,
});

test('the lifecycle buttons are the transitions the API allows; each confirmation says what visitors will see', () => {
  const labels = (s: Definition['state']) => actionsFor(s).map((a) => a.label);
  expect(labels('draft')).toEqual(['Start', 'Archive']);
  expect(labels('running')).toEqual(['Pause', 'Roll out winner\u2026', 'Archive']);
  expect(labels('paused')).toEqual(['Resume', 'Restart', 'Archive']);
  expect(labels('rolled_out')).toEqual(['Restart', 'Archive']);
  expect(labels('archived')).toEqual([]);
  const d = definition({ sample: 0.5 });
  const [pause, rollout] = actionsFor('running');
  expect(confirmation(d, pause)).toBe(
    'Pause \u201ccheckout\u201d? Every visitor will see control (the fallback) and nothing is tracked until you resume.',
  );
  expect(confirmation(d, rollout, 'one page')).toContain('Every visitor will see one page');
  expect(confirmation(definition({ state: 'draft' }), actionsFor('draft')[0])).toBe(
    'Start \u201ccheckout\u201d? Phase 1 begins: visitors are split control 67%, one page 33%; the others see control.',
  );
  expect(weightsConfirmation(d, [1, 1], 0.5)).toBe(
    'Change the weights of \u201ccheckout\u201d? This starts phase 2 (counts from zero): ' +
      '50% of visitors enter (control 50%, one page 50%). Visitors who already have a variant keep it.',
  );
  expect(phaseDates({ started_at: '2026-11-23T12:00:00.000Z', ended_at: null })).toBe('since 2026-11-23 12:00 UTC');
});

test('a defined experiment: the declared control by default, and the sample-ratio check against its weights', () => {
  const e = {
    experiment: 'checkout',
    counting: 'exact' as const,
    standard_error: 0,
    goals: [],
    variants: [
      { label: 'control', participants: 2000 },
      { label: 'one page', participants: 1000 },
    ],
  };
  const undefinedView = experimentView(e);
  expect(undefinedView.srm?.mismatch).toBe(true);
  expect(undefinedView.expected).toBe('equal split (undefined experiment)');
  const defined = experimentView({
    ...e,
    definition: {
      state: 'running',
      phase: 1,
      current_phase: 1,
      sample: 1,
      winner: null,
      started_at: null,
      ended_at: null,
      variants: [
        { label: 'control', weight: 2 },
        { label: 'one page', weight: 1 },
      ],
    },
  });
  expect(defined.srm?.mismatch).toBe(false);
  expect(defined.expected).toBe('declared weights');
  expect(defined.control).toBe('control');
});
