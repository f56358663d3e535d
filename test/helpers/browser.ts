import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildBrowser } from '../../cli/build/browser';
import { buildDashboard } from '../../cli/build/dashboard';
import { run, type DevResult } from '../../cli/commands/dev';
import { lambdaBundle, packageRoot } from '../../cli/paths';
import type { ExperimentResults } from '../../src/results';

/** Debian's Chromium; CI installs it (see .ci/run). */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser profile of its own: a fresh user-data dir, removed by `close()`. */
export interface Profile {
  context: BrowserContext;
  page: Page;
  dir: string;
  close(): Promise<void>;
}

const open = new Set<Profile>();

/**
 * Starts Chromium on a fresh profile (a new `--user-data-dir`), so that localStorage and
 * cookies start empty, as for a first-time visitor. Close it with `close()`, or all with
 * {@link closeAllProfiles} in `afterAll`.
 */
export async function openProfile(opts: { timeoutMs?: number } = {}): Promise<Profile> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 30_000,
    viewport: { width: 1200, height: 900 },
  });
  context.setDefaultTimeout(opts.timeoutMs ?? 10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const profile: Profile = {
    context,
    page,
    dir,
    close: async () => {
      open.delete(profile);
      await context.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  open.add(profile);
  return profile;
}

/** Closes every profile still open (for `afterAll`). */
export async function closeAllProfiles(): Promise<void> {
  await Promise.all([...open].map((p) => p.close()));
}

/** Where tests put screenshots (git-ignored). */
export function outputDir(): string {
  const dir = path.join(__dirname, '..', '..', 'test-output');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A running `abtest dev` for a browser test file, on a private Redis and a config of its own. */
export interface DevFixture {
  dev: DevResult;
  namespace: string;
  apiKey: string;
  /** GET /experiments for the namespace (or another). */
  results(namespace?: string): Promise<ExperimentResults[]>;
  /** One experiment's counts as `{ participants: {variant: n}, goals: {goal: {variant: n}} }`, or null. */
  counts(
    experiment: string,
    namespace?: string,
  ): Promise<{ participants: Record<string, number>; goals: Record<string, Record<string, number>> } | null>;
  /** POSTs events to /track in batches of 100. */
  track(
    events: { experiment: string; variant: string; event: string; uuid: string; namespace?: string }[],
  ): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `abtest dev` in-process on a free port with a private redis-server and a temp config
 * file (so nothing is read from ~/.abtest), after building the browser client and dashboard
 * from the current sources.
 */
export async function startDev(config: Record<string, unknown> = {}): Promise<DevFixture> {
  const root = packageRoot();
  await buildBrowser(root);
  buildDashboard(root);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-dev-config-'));
  const file = path.join(dir, 'config.json');
  const namespace = (config.namespace as string) ?? `ns-${randomBytes(3).toString('hex')}`;
  const apiKey = (config.api_key as string) ?? randomBytes(16).toString('hex');
  // A 3 s Redis deadline: a busy CI box must not turn a slow answer into a 503 (deadlines are tested elsewhere).
  const settings = { counting: 'exact', redis_command_timeout_ms: 3000, ...config, namespace, api_key: apiKey };
  fs.writeFileSync(file, JSON.stringify(settings));
  // The bundles read their config from process.env, as in Lambda; no ABTEST_* from outside.
  for (const k of Object.keys(process.env)) if (k.startsWith('ABTEST_')) delete process.env[k];
  const dev = await run({ config: file, port: 0 }, { env: process.env });
  const results = async (ns = namespace): Promise<ExperimentResults[]> => {
    const res = await fetch(`${dev.url}/experiments?namespace=${encodeURIComponent(ns)}`, {
      headers: { 'x-api-key': apiKey },
    });
    if (!res.ok) throw new Error(`GET /experiments answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as unknown[]).slice(1) as ExperimentResults[];
  };
  return {
    dev,
    namespace,
    apiKey,
    results,
    counts: async (experiment, ns) => {
      const e = (await results(ns)).find((x) => x.experiment === experiment);
      if (!e) return null;
      return {
        participants: Object.fromEntries(e.variants.map((v) => [v.label, v.participants])),
        goals: Object.fromEntries(
          e.goals.map((g) => [g.goal, Object.fromEntries(g.results.map((r) => [r.label, r.successes]))]),
        ),
      };
    },
    track: async (events) => {
      for (let i = 0; i < events.length; i += 100) {
        const res = await fetch(dev.trackUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(events.slice(i, i + 100).map((e) => ({ namespace, ...e }))),
        });
        if (res.status !== 200) throw new Error(`POST /track answered ${res.status}: ${await res.text()}`);
      }
    },
    stop: async () => {
      await dev.stop();
      // The bundles keep a Redis client each; drop them so that jest can exit.
      for (const f of ['track', 'experiments', 'delete']) {
        const handler = require(lambdaBundle(f, root)).handler as { close?: () => Promise<void> };
        await handler.close?.();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until `ok(value)` holds or `ms` pass, and returns the last value (for a clear `expect`). */
export async function eventually<T>(
  fn: () => Promise<T>,
  ok: (value: T) => boolean,
  ms = 8_000,
  every = 100,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, every));
  }
}
