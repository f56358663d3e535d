import { fork } from 'node:child_process';
import path from 'node:path';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { startRedisServer, type PrivateRedis } from '../../cli/dev/redis-server';
import { validateConfig, type Config } from '../../src/config';

export type { PrivateRedis };

/** Starts a private redis-server on a free port for one test file (stop it in afterAll). */
export const startTestRedis = (opts: { port?: number; dir?: string } = {}): Promise<PrivateRedis> => startRedisServer(opts);

/** A key prefix no other test uses. */
export const uniquePrefix = (): string => `t${randomBytes(4).toString('hex')}:`;

/** A validated config pointing at `redisUrl` with a unique key prefix. */
export function testConfig(redisUrl: string, overrides: Partial<Config> = {}): Config {
  return validateConfig({ redis_url: redisUrl, key_prefix: uniquePrefix(), ...overrides }, 'test');
}

/** A store in a child process of its own (own Redis client), driven over IPC. */
export interface StoreWorker {
  call<T>(op: 'track' | 'delete', args: Record<string, unknown>): Promise<T>;
  stop(): void;
}

/** Starts a {@link StoreWorker} on `config` and resolves once it is ready. */
export function startStoreWorker(config: Config): Promise<StoreWorker> {
  const child = fork(path.join(__dirname, 'store-worker.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, STORE_WORKER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`store worker exited with ${code}`)));
    child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      if (m.id === 0) {
        resolve({
          call: <T>(op: 'track' | 'delete', args: Record<string, unknown>) =>
            new Promise<T>((res, rej) => {
              const id = next++;
              waiting.set(id, { resolve: res as (v: unknown) => void, reject: rej });
              child.send({ id, op, ...args });
            }),
          stop: () => child.kill('SIGKILL'),
        });
        return;
      }
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) w?.resolve(m.value);
      else w?.reject(new Error(m.error));
    });
  });
}

/** A TCP proxy in front of a Redis that can stop passing requests on (a Redis that hangs). */
export interface FreezingProxy {
  url: string;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

/** Starts a {@link FreezingProxy} to 127.0.0.1:`port` on a free port. */
export async function startFreezingProxy(port: number): Promise<FreezingProxy> {
  let frozen = false;
  const held: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port });
    sockets.add(client).add(upstream);
    client.on('data', (d) => (frozen ? held.push(() => upstream.write(d)) : upstream.write(d)));
    upstream.on('data', (d) => client.write(d));
    const end = () => [client, upstream].forEach((s) => s.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    freeze: () => (frozen = true),
    thaw: () => {
      frozen = false;
      held.splice(0).forEach((send) => send());
    },
    close: () => new Promise((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
}
