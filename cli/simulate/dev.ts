import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AbtestError } from '../../src/errors';
import { distDir } from '../paths';

/** An `abtest dev` started for one simulation, in a child process of its own. */
export interface StartedDev {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the built `abtest dev --port 0` as a child process, with `overrides` (`ABTEST_*`
 * config keys, e.g. the counting mode and the API key) added to a copy of `env`: this
 * process's environment is never written. Resolves once it serves; `stop()` ends it (and its
 * private redis-server).
 * @param timeoutMs how long it may take to start @default 60000
 */
export async function startDev(
  opts: { config?: string; env: NodeJS.ProcessEnv; overrides: Record<string, string> },
  timeoutMs = 60_000,
): Promise<StartedDev> {
  const cli = path.join(distDir(), 'cli.js');
  if (!fs.existsSync(cli)) throw new AbtestError('simulate', `${cli} is missing`, { hint: 'run npm run build first' });
  const args = [cli, ...(opts.config ? ['--config', opts.config] : []), 'dev', '--port', '0'];
  const child = spawn(process.execPath, args, {
    env: { ...opts.env, ...opts.overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!/Press Ctrl-C/.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const [message, hint] = (err || out).trim().replace(/^✖ /, '').split('\n');
      throw new AbtestError('simulate', `abtest dev did not start: ${message || 'no answer'}`, { hint: hint?.trim() });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: /serving the Lambda bundles on (http:\/\/\S+)/.exec(out)![1],
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
