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
export async function run(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<BuildResult> {
  const { config } = commandConfig(opts, env);
  const root = packageRoot();
  const lambdas = await bundleLambdas(loadWiring(config, root), root);
  const browser = [...(await buildBrowser(root)), buildDashboard(root)];
  return { lambdas, browser };
}
