import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AbtestError } from '../../src/errors';

/** A redis-server this process started: private port, temp dir, stopped with `stop()`. */
export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether `redis-server` is on the PATH. */
export function hasRedisServer(bin = 'redis-server'): boolean {
  return spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Whether a Redis answers PING at host:port within `ms` (one that wants a password does not). */
export async function pingRedis(host: string, port: number, ms = 300): Promise<boolean> {
  return (await redisReply(host, port, ms))?.startsWith('+PONG') ?? false;
}

/** The first reply to PING at host:port within `ms` (`+PONG`, `-NOAUTH ...`), or null. */
function redisReply(host: string, port: number, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (reply: string | null) => {
      sock.destroy();
      resolve(reply);
    };
    sock.setTimeout(ms, () => done(null));
    sock.on('error', () => done(null));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => done(d.toString()));
  });
}

/**
 * Starts a private redis-server on a free loopback port in a new temp dir, keeping nothing on
 * disk, and resolves once it answers PING. `port` pins the port (to restart one in a test);
 * `args` are more redis-server options (a test's `--requirepass`).
 */
export async function startRedisServer(
  opts: { port?: number; bin?: string; dir?: string; args?: string[] } = {},
): Promise<PrivateRedis> {
  const bin = opts.bin ?? 'redis-server';
  if (!hasRedisServer(bin)) {
    throw new AbtestError('redis-missing', 'redis-server is not installed, and no Redis is configured', {
      hint: 'install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis), or pass --redis-url / set redis_url',
    });
  }
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const child = spawn(bin, [...args, '--logfile', path.join(dir, 'redis.log'), ...(opts.args ?? [])], {
    stdio: 'ignore',
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while ((await redisReply('127.0.0.1', port, 300)) === null) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      const log = fs.existsSync(path.join(dir, 'redis.log'))
        ? fs.readFileSync(path.join(dir, 'redis.log'), 'utf8').split('\n').slice(-5).join('\n')
        : '';
      if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
      throw new AbtestError('redis-start', `redis-server did not start on port ${port}${log ? `:\n${log}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }).then(() => {
        if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
      }),
  };
}
