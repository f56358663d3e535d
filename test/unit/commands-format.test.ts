import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { format as buildFormat } from '../../cli/commands/build';
import { format as configureFormat, type ConfigureResult } from '../../cli/commands/configure';
import { format as deployFormat, type DeployResult } from '../../cli/commands/deploy';
import { format as destroyFormat } from '../../cli/commands/destroy';
import { devRoutes, format as devFormat, type DevResult } from '../../cli/commands/dev';
import { format as preflightFormat } from '../../cli/commands/preflight';
import { format as rollbackFormat } from '../../cli/commands/rollback';
import { lineReporter } from '../../cli/deploy/reporter';
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

describe('abtest deploy', () => {
  const urls = {
    baseUrl: 'https://a1.execute-api.eu-west-1.amazonaws.com/prod',
    trackUrl: 'https://a1.execute-api.eu-west-1.amazonaws.com/prod/track',
    experimentsUrl: 'https://a1.execute-api.eu-west-1.amazonaws.com/prod/experiments',
  };
  const deployed: DeployResult = {
    region: 'eu-west-1',
    stage: 'prod',
    accountId: '123456789012',
    dryRun: false,
    plan: ['+ create function abtest-prod-track'],
    urls: urls as DeployResult['urls'],
    apiKey: { name: 'abtest-prod', id: 'k1', command: 'aws apigateway get-api-key --api-key k1' },
    snippet: '<script>x</script>\n',
  };

  it('says where it deployed, the URLs, how to read the key, and the snippet', () => {
    expect(deployFormat(deployed, {})).toEqual([
      '✔ deployed to eu-west-1, stage prod (1 change)',
      `  base URL     ${urls.baseUrl}`,
      `  track        ${urls.trackUrl}`,
      `  experiments  ${urls.experimentsUrl}   (header x-api-key)`,
      '  API key      abtest-prod: aws apigateway get-api-key --api-key k1   (abtest dashboard finds it itself)',
      '',
      'Paste into your pages:',
      '',
      '<script>x</script>',
    ]);
  });

  it('a second deploy, a dry run without an API yet, and --json', () => {
    expect(deployFormat({ ...deployed, plan: [] }, {})[0]).toBe('✔ no changes: eu-west-1, stage prod is up to date');
    const dry = { ...deployed, dryRun: true, plan: ['+ a', '+ b'], urls: null, snippet: null };
    expect(deployFormat(dry, {})).toEqual(['dry run: nothing changed (2 changes planned)']);
    expect(JSON.parse(deployFormat(deployed, { json: true }).join('\n'))).toEqual(deployed);
  });
});

test('abtest configure: the file written and what comes next', () => {
  const r = { path: '/home/u/.abtest/config.json' } as ConfigureResult;
  expect(configureFormat(r)).toEqual([
    '✔ wrote /home/u/.abtest/config.json (mode 0600: it holds the Redis password)',
    '  next: abtest preflight, then abtest deploy',
  ]);
});

test('abtest preflight: one line per check, the fix under each that is not ok', () => {
  const checks = [
    { name: 'AWS region', status: 'ok' as const, detail: 'eu-west-1', fix: 'never shown' },
    { name: 'Redis', status: 'warn' as const, detail: 'no answer', fix: 'check the VPC' },
    { name: 'bundles', status: 'fail' as const, detail: 'broken' },
  ];
  expect(preflightFormat({ checks, ok: false })).toEqual([
    '✔ AWS region: eu-west-1',
    '! Redis: no answer',
    '  fix: check the VPC',
    '✖ bundles: broken',
  ]);
});

test('abtest rollback: each function moved', () => {
  const moved = [
    { fn: 'abtest-prod-track', from: '3', to: '2' },
    { fn: 'abtest-prod-delete', from: '2', to: '1' },
  ];
  expect(rollbackFormat({ moved })).toEqual([
    '✔ abtest-prod-track: live now serves version 2 (was 3)',
    '✔ abtest-prod-delete: live now serves version 1 (was 2)',
  ]);
});

test('abtest destroy: removed, cancelled, or nothing there', () => {
  const removed = ['usage plan abtest-prod', 'IAM role abtest-prod-lambda'];
  expect(destroyFormat({ removed, cancelled: false })).toEqual([
    '✔ removed usage plan abtest-prod, IAM role abtest-prod-lambda',
  ]);
  expect(destroyFormat({ removed, cancelled: true })).toEqual(['nothing removed']);
  expect(destroyFormat({ removed: [], cancelled: false })).toEqual(['✔ nothing to remove: no deployment found']);
});

test('progress of the AWS verbs: the plan, each step, and the AWS calls only when verbose', () => {
  const lines: string[] = [];
  for (const verbose of [false, true]) {
    const report = lineReporter((l) => lines.push(l), verbose);
    report.plan(['+ create function abtest-prod-track']);
    report.stage('+ create function abtest-prod-track');
    report.apiCall('lambda', 'CreateFunction');
    report.plan([]);
  }
  const once = ['Plan:', '  + create function abtest-prod-track', '… + create function abtest-prod-track'];
  expect(lines).toEqual([...once, 'Plan: no changes', ...once, '    lambda CreateFunction', 'Plan: no changes']);
});

describe('abtest dev', () => {
  const wiring = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'wiring.json'), 'utf8'));
  const result = {
    listen: '127.0.0.1:8787',
    url: 'http://127.0.0.1:8787',
    network: false,
    dashboardExposed: false,
    trackUrl: 'http://127.0.0.1:8787/track',
    experimentsUrl: 'http://127.0.0.1:8787/experiments',
    dashboardUrl: 'http://127.0.0.1:8787/dashboard',
    apiKey: 'k'.repeat(40),
    apiKeyGenerated: true,
    redisUrl: 'redis://127.0.0.1:40000',
    redis: 'private' as const,
    configPath: null,
    routes: devRoutes(wiring),
  } as Omit<DevResult, 'server' | 'stop'> as DevResult;

  it('lists every wired route of wiring.json: the admin routes behind the key, the public ones', () => {
    const lines = devFormat(result);
    // The public routes grow with wiring.json (GET /config first); the other lines are fixed.
    const publicAt = lines.findIndex((l) => l.startsWith('  public       GET /config'));
    expect(publicAt).toBeGreaterThan(0);
    expect(lines.filter((_, i) => i !== publicAt)).toEqual([
      'abtest dev: serving the Lambda bundles on http://127.0.0.1:8787',
      '  track        http://127.0.0.1:8787/track',
      `  experiments  http://127.0.0.1:8787/experiments   (x-api-key: ${'k'.repeat(40)}, made for this session)`,
      '  admin        DELETE /delete, GET /definitions, GET|PUT /definition, POST /definition/state,',
      '               POST /definition/weights, POST /definition/describe   (x-api-key)',
      '  dashboard    http://127.0.0.1:8787/dashboard',
      '  demo page    http://127.0.0.1:8787/',
      '  redis        redis://127.0.0.1:40000 (private redis-server, removed on exit)',
      'Press Ctrl-C to stop.',
    ]);
  });

  it('routes of extra_wiring show too, a path with public and keyed methods on both lines', () => {
    const routes = devRoutes({
      functions: [],
      routes: [
        { path: '/track', method: 'GET', function: 'track' },
        { path: '/hook', method: 'POST', function: 'x', apiKeyRequired: true },
        { path: '/hook', method: 'GET', function: 'x' },
      ],
    });
    const lines = devFormat({ ...result, routes });
    expect(lines).toContain('  admin        POST /hook   (x-api-key)');
    expect(lines).toContain('  public       GET /hook');
  });
});
