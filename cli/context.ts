import fs from 'node:fs';
import path from 'node:path';
import type { Config, Wiring } from '../src/config';
import { ConfigError } from '../src/errors';
import { loadConfig, type LoadedConfig } from './config-file';
import { packageRoot } from './paths';
import { mergeWiring } from './wiring';

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
  let base: unknown;
  try {
    base = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('wiring.json', `cannot read ${file}: ${(e as Error).message}`, 'reinstall abtest', e);
  }
  return mergeWiring(base, config.extra_wiring);
}
