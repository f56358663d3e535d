import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The built `abtest dev`, running in a child process, and what it printed. */
export interface DevProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  base: string;
  apiKey: string;
}

export const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

/**
 * Starts `node dist/cli.js dev ...args` and resolves once it says where it serves.
 * The caller kills `child` when done.
 */
export async function startDevProcess(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<DevProcess> {
  let out = '';
  const child = spawn(process.execPath, [CLI, 'dev', ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 20_000;
  while (!/Press Ctrl-C/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`abtest dev did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => out,
    base: out.match(/serving the Lambda bundles on (http:\/\/\S+)/)![1],
    apiKey: out.match(/x-api-key: ([0-9a-f]+)/)![1],
  };
}
