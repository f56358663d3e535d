import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The one way tests run the built `abtest` (dist/cli.js, what `npm run build` makes): to the
 * end (`abtest`), or as a server that keeps running (`startDevProcess`).
 */
export const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

/** How a run of the built CLI ended. */
export interface CliRun {
  /** The exit code; null when it was killed (e.g. by the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where and how the CLI runs. */
export interface CliOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** Another abtest entry to run (an installed one). @default dist/cli.js */
  cli?: string;
}

/**
 * This process's environment without `ABTEST_*` (and without `AWS_*` unless `keepAws`), with
 * `extra` on top: nothing of the machine's own abtest or AWS setup leaks into a test.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}, opts: { keepAws?: boolean } = {}): NodeJS.ProcessEnv {
  const dropped = (k: string) => k.startsWith('ABTEST_') || (!opts.keepAws && k.startsWith('AWS_'));
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !dropped(k))), ...extra };
}

/**
 * An environment as a new user has it: no ABTEST_* variables, an empty HOME (so no config is
 * found) and an empty TMPDIR (so what `abtest dev` leaves behind there can be seen).
 */
export function userEnv(): { env: NodeJS.ProcessEnv; home: string; tmp: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-dev-home-'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-dev-tmp-'));
  return { env: cleanEnv({ HOME: home, TMPDIR: tmp }, { keepAws: true }), home, tmp };
}

/** Starts `node dist/cli.js ...args` with its output piped. */
function spawnCli(args: string[], opts: CliOptions): ChildProcess {
  return spawn(process.execPath, [opts.cli ?? CLI, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs `node dist/cli.js ...args` to the end. Killed after `timeoutMs`, which then shows as
 * code null.
 * @param timeoutMs @default 60000
 */
export function abtest(args: string[], opts: CliOptions, timeoutMs = 60_000): Promise<CliRun> {
  const child = spawnCli(args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The built `abtest dev`, running in a child process, and what it printed. */
export interface DevProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  base: string;
  apiKey: string;
}

/** Starts `node dist/cli.js ...args` and resolves once its output matches `ready` (killed after 20 s). */
async function startServer(
  args: string[],
  opts: CliOptions,
  ready: RegExp,
): Promise<{ child: ChildProcess; output(): string }> {
  let out = '';
  const child = spawnCli(args, opts);
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 20_000;
  while (!ready.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`abtest ${args[0]} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out };
}

/**
 * Starts `node dist/cli.js dev ...args` and resolves once it says where it serves.
 * The caller kills `child` when done.
 */
export async function startDevProcess(args: string[], opts: CliOptions): Promise<DevProcess> {
  const { child, output } = await startServer(['dev', ...args], opts, /Press Ctrl-C/);
  return {
    child,
    output,
    base: output().match(/serving the Lambda bundles on (http:\/\/\S+)/)![1],
    apiKey: output().match(/x-api-key: ([0-9a-f]+)/)![1],
  };
}

/** The built `abtest serve`, running in a child process (its primary), and what it printed. */
export interface ServeProcess {
  child: ChildProcess;
  output(): string;
  base: string;
}

/**
 * Starts `node dist/cli.js serve ...args` and resolves once it says where it listens.
 * The caller stops `child` when done (SIGTERM drains; SIGKILL leaves the workers to exit
 * when they notice).
 */
export async function startServeProcess(args: string[], opts: CliOptions): Promise<ServeProcess> {
  const { child, output } = await startServer(['serve', ...args], opts, /drains in-flight requests/);
  return { child, output, base: output().match(/listening on (http:\/\/\S+)/)![1] };
}
