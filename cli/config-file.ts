import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_FILE_VAR, envOverrides, validateConfig, type Config } from '../src/config';
import { ConfigError } from '../src/errors';

/** Where a configuration came from. */
export interface LoadedConfig {
  config: Config;
  /** The file read, or null when only defaults and the environment were used. */
  path: string | null;
}

/**
 * Loads the configuration: the first of `--config FILE`, `$ABTEST_CONFIG`,
 * `./abtest.config.json`, `~/.abtest/config.json` that exists (an explicit file must exist),
 * then `ABTEST_*` variables override single keys.
 */
export function loadConfig(
  opts: { file?: string; cwd?: string; home?: string; env?: NodeJS.ProcessEnv } = {},
): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.file ?? env[CONFIG_FILE_VAR];
  const candidates = explicit
    ? [path.resolve(cwd, explicit)]
    : [path.join(cwd, 'abtest.config.json'), defaultConfigPath(opts.home)];
  let fileValues: Record<string, unknown> = {};
  let found: string | null = null;
  for (const file of candidates) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) continue;
      const hint = 'pass an existing file with --config, or run abtest configure';
      throw new ConfigError('--config', `cannot read config file ${file}: ${(e as Error).message}`, hint, e);
    }
    try {
      fileValues = JSON.parse(text);
    } catch (e) {
      const message = `config file ${file} is not valid JSON: ${(e as Error).message}`;
      throw new ConfigError('--config', message, 'fix the file or run abtest configure', e);
    }
    validateConfig(fileValues, file);
    found = file;
    break;
  }
  const source = found ? `${found} with ABTEST_* overrides` : 'environment';
  return { config: validateConfig({ ...fileValues, ...envOverrides(env) }, source), path: found };
}

/** The default path `abtest configure` writes to: `~/.abtest/config.json`. */
export function defaultConfigPath(home?: string): string {
  return path.join(home ?? os.homedir(), '.abtest', 'config.json');
}
