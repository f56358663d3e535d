import type { CommandDeps } from '../command';
import type { GlobalOptions } from '../context';
import { commandConfig, loadWiring } from '../context';
import { bundleLambdas, type Bundle } from '../deploy/bundle';
import { buildBrowser, type BrowserFile } from '../build/browser';
import { buildDashboard } from '../build/dashboard';
import { packageRoot } from '../paths';

export interface BuildResult {
  lambdas: Bundle[];
  /** The browser client (IIFE and ESM) and the dashboard page, with their gzipped sizes. */
  browser: BrowserFile[];
}

/** `abtest build`: bundles the Lambdas (and, when present, the browser client and dashboard). */
export async function run(opts: GlobalOptions, deps: CommandDeps = {}): Promise<BuildResult> {
  const { config } = commandConfig(opts, deps.env);
  const root = packageRoot();
  const lambdas = await bundleLambdas(loadWiring(config, root), root);
  const browser = [...(await buildBrowser(root)), buildDashboard(root)];
  return { lambdas, browser };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** What `abtest build` prints: each file with its size (and gzipped size for the browser files). */
export function format(r: BuildResult): string[] {
  return [
    ...r.lambdas.map((b) => `✔ ${b.name.padEnd(12)} ${kb(b.bytes)}  ${b.file}`),
    ...r.browser.map((b) => `✔ ${b.name.padEnd(12)} ${kb(b.bytes)}, ${kb(b.gzipBytes)} gzipped  ${b.file}`),
  ];
}
