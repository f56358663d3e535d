import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config, type LoadedConfig, type Wiring } from '../src/config';
import { ConfigError } from '../src/errors';
import { mergeWiring } from '../src/wiring';
import { packageRoot } from './paths';

/** Options every command takes. */
export interface GlobalOptions {
  config?: string;
}

/** Loads the config named by `--config` (or the default places) for a command. */
export function commandConfig(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return loadConfig({ file: opts.config, env });
}

/** wiring.json of the package merged with the config's `extra_wiring`. */
export function loadWiring(config: Config, root = packageRoot()): Wiring {
  const file = path.join(root, 'wiring.json');
  let base: Wiring;
  try {
    base = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('wiring.json', `cannot read ${file}: ${(e as Error).message}`);
  }
  return mergeWiring(mergeWiring({ functions: [], routes: [] }, base, 'wiring.json'), config.extra_wiring);
}
