import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import tls from 'node:tls';
import path from 'node:path';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { freePort, pingRedis, startRedisServer, type PrivateRedis } from '../../cli/dev/redis-server';
import { validateConfig, type Config } from '../../src/config';

export type { PrivateRedis };

/** Starts a private redis-server on a free port for one test file (stop it in afterAll). */
export const startTestRedis = (opts: { port?: number; dir?: string } = {}): Promise<PrivateRedis> =>
  startRedisServer(opts);

/**
 * A private redis-server for the tests of one file or `describe` block, started before them and
 * stopped after, with a client of its own to look at the keys the tests leave.
 */
export function useTestRedis(): { readonly url: string; readonly admin: Redis } {
  let redis: PrivateRedis | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    redis = await startTestRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  return {
    get url() {
      return redis!.url;
    },
    get admin() {
      return admin!;
    },
  };
}

/** A key prefix no other test uses. */
export const uniquePrefix = (): string => `t${randomBytes(4).toString('hex')}:`;

/**
 * A validated config pointing at `redisUrl` with a unique key prefix. The command deadline is
 * 2 s (not the 500 ms default) so that a busy CI box does not turn a slow answer into a 503;
 * tests of the deadline set their own.
 */
export function testConfig(redisUrl: string, overrides: Partial<Config> = {}): Config {
  const base = { redis_url: redisUrl, key_prefix: uniquePrefix(), redis_command_timeout_ms: 2000 };
  return validateConfig({ ...base, ...overrides }, 'test');
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
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

/** Whether this redis-server was built with TLS (Debian's is). */
export function redisHasTls(): boolean {
  // A build with TLS refuses the missing files below and exits; one without refuses the directive.
  const probe = spawnSync(
    'redis-server',
    ['--port', '0', '--tls-port', '1', '--tls-cert-file', '/nonexistent.pem', '--tls-key-file', '/nonexistent.key'],
    { encoding: 'utf8', timeout: 5000 },
  );
  return /Failed to configure TLS/i.test(`${probe.stdout}${probe.stderr}`);
}

/** A redis-server started with extra arguments; resolves once `ready()` says so. */
async function spawnRedis(dir: string, args: string[], ready: () => Promise<boolean>): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  while (!(await ready())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server ${args.join(' ')} did not start`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return child;
}

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

/** A 3-master Redis Cluster on loopback; `kill(i)`/`restart(i)` stop and bring back node i. */
export interface TestCluster {
  url: string;
  ports: number[];
  kill(i: number): Promise<void>;
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts three `--cluster-enabled yes` redis-servers and joins them with `redis-cli --cluster create`. */
export async function startTestCluster(): Promise<TestCluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-cluster-'));
  const ports = await Promise.all([0, 1, 2].map(() => freePort()));
  const start = (i: number) => {
    const dir = path.join(root, String(i));
    fs.mkdirSync(dir, { recursive: true });
    const args = [
      '--port',
      String(ports[i]),
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      '2000',
    ];
    return spawnRedis(dir, args, () => pingRedis('127.0.0.1', ports[i]));
  };
  const nodes = await Promise.all([0, 1, 2].map(start));
  const create = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
    { encoding: 'utf8' },
  );
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  await waitClusterOk(ports);
  return {
    url: `redis://127.0.0.1:${ports[0]}`,
    ports,
    kill: (i) => stopChild(nodes[i]),
    restart: async (i) => {
      nodes[i] = await start(i);
      await waitClusterOk(ports);
    },
    stop: async () => {
      await Promise.all(nodes.map(stopChild));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

async function waitClusterOk(ports: number[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  const ok = (p: number) =>
    /cluster_state:ok/.test(
      spawnSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).stdout ?? '',
    );
  while (!ports.every(ok)) {
    if (Date.now() > deadline) throw new Error('the test cluster did not reach cluster_state:ok');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TLS-only redis-server with a certificate signed by a private CA the test made with openssl. */
export interface TlsRedis {
  url: string;
  caFile: string;
  stop(): Promise<void>;
}

/** Starts a {@link TlsRedis} (`rediss://127.0.0.1:port`, certificate for 127.0.0.1 and localhost). */
export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-tls-'));
  const at = (f: string) => path.join(dir, f);
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=abtest test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  fs.writeFileSync(at('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.pem',
  );
  const port = await freePort();
  const args = [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    at('server.pem'),
    '--tls-key-file',
    at('server.key'),
    '--tls-ca-cert-file',
    at('ca.pem'),
    '--tls-auth-clients',
    'no',
  ];
  const child = await spawnRedis(dir, args, () => tlsAnswers(port, at('ca.pem')));
  return {
    url: `rediss://127.0.0.1:${port}`,
    caFile: at('ca.pem'),
    stop: async () => {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tlsAnswers(port: number, caFile: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca: fs.readFileSync(caFile) }, () => sock.write('PING\r\n'));
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/**
 * The commands Redis ran since `CONFIG RESETSTAT`, as `name=calls`, sorted (the INFO and CONFIG
 * calls of the test itself left out): how a test proves what one operation costs.
 */
export async function commandCalls(admin: { info(section: string): Promise<string> }): Promise<string[]> {
  const stats = String(await admin.info('commandstats'));
  return [...stats.matchAll(/cmdstat_(\w+):calls=(\d+)/g)]
    .filter(([, name]) => name !== 'info' && name !== 'config')
    .map(([, name, n]) => `${name}=${n}`)
    .sort();
}
