/**
 * Load generation for `npm run bench`: `wrk` (a C load generator, so the load costs the two
 * cores little) against a URL, and the CPU time the server side spent meanwhile, read from
 * /proc (user + system of a process tree and of redis-server).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What one wrk run measured. */
export interface LoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors, timeouts and non-2xx/3xx answers. */
  errors: number;
  /** CPU µs per request of the watched processes (server tree + redis-server). */
  cpuUsPerRequest: number;
}

/** One request template: `{n}` in the path becomes a number unique to the request. */
export interface LoadTarget {
  method?: 'GET' | 'POST';
  path: string;
  /** `{n}` runs 1..cycle, then again (per wrk thread): reuse ids an earlier run created. @default no cycle */
  cycle?: number;
  body?: string;
  headers?: Record<string, string>;
}

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** utime + stime of one process, in clock ticks; 0 when it is gone. */
function processTicks(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** The pid and every descendant of it (cluster workers, bundles' child processes). */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

/** CPU seconds used so far by the given process trees. */
export function cpuSeconds(roots: number[]): number {
  let ticks = 0;
  for (const root of roots) for (const pid of processTree(root)) ticks += processTicks(pid);
  return ticks / TICKS_PER_SECOND;
}

/** The Lua script that makes wrk send `target` with a unique `{n}` per request and thread. */
function wrkScript(target: LoadTarget): string {
  const quote = (s: string) => JSON.stringify(s);
  const [before, after] = target.path.split('{n}');
  const headers = Object.entries(target.headers ?? {})
    .map(([k, v]) => `wrk.headers[${quote(k)}] = ${quote(v)}`)
    .join('\n');
  return `
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n = 0
wrk.method = ${quote(target.method ?? 'GET')}
${target.body === undefined ? '' : `wrk.body = ${quote(target.body)}`}
${headers}
function request()
  n = n + 1${target.cycle ? `\n  if n > ${Math.floor(target.cycle)} then n = 1 end` : ''}
  local path = ${quote(before)}${after === undefined ? '' : ` .. tid .. "-" .. n .. ${quote(after)}`}
  return wrk.format(nil, path)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %f %f %f %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout + e.status))
end
`;
}

/**
 * Loads `base` with wrk for `seconds` and measures the CPU the `watch` process trees spent.
 * @param connections open connections @default 50
 * @param threads wrk threads @default 1 (the two cores belong to the server)
 */
export async function wrkLoad(
  base: string,
  target: LoadTarget,
  watch: number[],
  opts: { seconds: number; connections?: number; threads?: number },
): Promise<LoadResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-wrk-'));
  const script = path.join(dir, 'load.lua');
  fs.writeFileSync(script, wrkScript(target));
  const args = [
    `-t${opts.threads ?? 1}`,
    `-c${opts.connections ?? 50}`,
    `-d${opts.seconds}s`,
    '--latency',
    '-s',
    script,
    base,
  ];
  const cpuBefore = cpuSeconds(watch);
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('wrk', args, { encoding: 'utf8' }, (err, out, errOut) =>
        err ? reject(new Error(`wrk failed: ${errOut || err.message}`)) : resolve(out),
      ),
    );
    const cpu = cpuSeconds(watch) - cpuBefore;
    const m = stdout.match(/RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/);
    if (!m) throw new Error(`wrk printed no result:\n${stdout}`);
    const requests = Number(m[1]);
    return {
      requests,
      rps: requests / (Number(m[2]) / 1e6),
      p50Ms: Number(m[3]) / 1000,
      p99Ms: Number(m[4]) / 1000,
      errors: Number(m[5]),
      cpuUsPerRequest: requests > 0 ? (cpu * 1e6) / requests : 0,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves with `child`'s output once it matches `pattern` (20 s at most). */
export function waitFor(child: ChildProcess, pattern: RegExp): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${out}`)), 20_000);
    const on = (d: Buffer) => {
      out += d;
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A whole number with thousands separators. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
