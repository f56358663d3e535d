import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
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
 * Starts `node dist/cli.js dev ...args` (or another `cli`, an installed one) and resolves once it says where it serves.
 * The caller kills `child` when done.
 */
export async function startDevProcess(
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; cli?: string },
): Promise<DevProcess> {
  let out = '';
  const stdio = ['ignore', 'pipe', 'pipe'] as const;
  const child = spawn(process.execPath, [opts.cli ?? CLI, 'dev', ...args], { cwd: opts.cwd, env: opts.env, stdio: [...stdio] });
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

/**
 * An environment as a new user has it: no ABTEST_* variables, an empty HOME (so no config is
 * found) and an empty TMPDIR (so what `abtest dev` leaves behind there can be seen).
 */
export function userEnv(): { env: NodeJS.ProcessEnv; home: string; tmp: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-dev-home-'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-dev-tmp-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ABTEST_')));
  return { env: { ...env, HOME: home, TMPDIR: tmp }, home, tmp };
}

/**
 * Runs `node dist/cli.js ...args` to its end (killed after `ms`, a command that should have
 * ended but serves instead); its exit code (null when killed) and everything it printed.
 */
export function runCli(
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; ms?: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.ms ?? 15_000);
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
