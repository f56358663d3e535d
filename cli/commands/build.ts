import type { GlobalOptions } from '../context';
import { commandConfig, loadWiring } from '../context';
import { bundleLambdas, type Bundle } from '../deploy/bundle';
import { packageRoot } from '../paths';

export interface BuildResult {
  lambdas: Bundle[];
}

/** `abtest build`: bundles the Lambdas (and, when present, the browser client and dashboard). */
export async function run(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<BuildResult> {
  const { config } = commandConfig(opts, env);
  const root = packageRoot();
  const lambdas = await bundleLambdas(loadWiring(config, root), root);
  return { lambdas };
}
