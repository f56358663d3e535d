import http from 'node:http';
import { format as buildFormat } from '../../cli/commands/build';
import { format as dashboardFormat, type DashboardResult } from '../../cli/commands/dashboard';
import { format as snippetFormat } from '../../cli/commands/snippet';

/** Each command module formats its own output; cli/index.ts prints these lines. */

test('abtest build: each file with its size, browser files with the gzipped size', () => {
  const lines = buildFormat({
    lambdas: [{ name: 'track', file: 'dist/lambdas/track.js', bytes: 142_746 } as never],
    browser: [{ name: 'abtest.js', file: 'dist/browser/abtest.js', bytes: 6042, gzipBytes: 2867 } as never],
  });
  expect(lines).toEqual([
    '✔ track        139.4 KB  dist/lambdas/track.js',
    '✔ abtest.js    5.9 KB, 2.8 KB gzipped  dist/browser/abtest.js',
  ]);
});

test('abtest snippet: the block, without its trailing newline', () => {
  const r = { html: '<script>x</script>\n\n', trackUrl: '', namespace: '', source: 'url' as const };
  expect(snippetFormat(r)).toEqual(['<script>x</script>']);
});

describe('abtest dashboard', () => {
  const result: DashboardResult = {
    file: '/home/u/.abtest/dashboard.html',
    pageUrl: 'file:///home/u/.abtest/dashboard.html',
    api: 'https://x.example/prod',
    source: 'deployed',
    namespace: 'shop',
    keyIncluded: true,
    opened: true,
    server: null,
    stop: async () => undefined,
  };

  it('says where the page is, which API it reads and that it holds the key', () => {
    expect(dashboardFormat(result, {})).toEqual([
      '✔ dashboard written to /home/u/.abtest/dashboard.html (it holds the API key: keep it private)',
      '  API        https://x.example/prod (deployed)',
      '  namespace  shop',
      '  opened     file:///home/u/.abtest/dashboard.html',
    ]);
  });

  it('without a key, with --no-open and --serve', () => {
    const served = {
      ...result,
      keyIncluded: false,
      opened: false,
      source: 'dev' as const,
      server: {} as http.Server,
      pageUrl: 'http://127.0.0.1:5000/',
    };
    expect(dashboardFormat(served, { open: false })).toEqual([
      '✔ dashboard written to /home/u/.abtest/dashboard.html',
      '  API        https://x.example/prod (abtest dev)',
      '  namespace  shop',
      '  no API key known: the page asks for it',
      '  serving    http://127.0.0.1:5000/',
      'Press Ctrl-C to stop.',
    ]);
    expect(dashboardFormat({ ...result, opened: false }, { open: true })).toContain(
      '  open file:///home/u/.abtest/dashboard.html in a browser (no browser could be started)',
    );
  });
});
