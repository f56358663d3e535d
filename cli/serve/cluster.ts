import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { AbtestError } from '../../src/errors';

/** What a worker tells the primary. */
export type WorkerMessage = { abtest: 'failed'; message: string; hint?: string };
/** What the primary tells a worker: drain within `ms`, then exit. */
export type PrimaryMessage = { abtest: 'drain'; ms: number };

/** The primary of `abtest serve`: its workers, where they listen, and how they stop. */
export interface Primary {
  address: AddressInfo;
  /** Live workers now. */
  workers(): number;
  /** Drains every worker (`drainMs` at most); a second call kills them. Resolves with the exit code. */
  stop(): Promise<number>;
  /** Resolves with the exit code once every worker has exited after a stop. */
  done: Promise<number>;
}

/** How long a worker must have lived for its death to be replaced at once (else after a pause). */
const STEADY_MS = 5_000;

/**
 * Forks `count` workers that each run this same command (node:cluster re-runs the CLI with
 * the same arguments; they share the listening port), resolves once all listen, and from then
 * on replaces a worker that dies (a crash loop is slowed down to one restart per second). A
 * worker that fails before it listens fails the start with its message.
 */
export function startPrimary(opts: {
  count: number;
  env: NodeJS.ProcessEnv;
  drainMs: number;
  warn: (line: string) => void;
}): Promise<Primary> {
  const started = new Map<Worker, number>();
  let stopping = false;
  let forced = false;
  let exitCode = 0;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());

  const drainWorker = (w: Worker) => {
    if (w.isConnected()) w.send({ abtest: 'drain', ms: opts.drainMs } satisfies PrimaryMessage);
  };

  const fork = () => {
    const w = cluster.fork(opts.env);
    started.set(w, Date.now());
    return w;
  };

  return new Promise<Primary>((resolve, reject) => {
    let listening = 0;
    let address: AddressInfo | null = null;
    let failure: Error | null = null;
    const onMessage = (_w: Worker, m: WorkerMessage) => {
      if (m?.abtest === 'failed' && !address) failure ??= new AbtestError('internal', m.message, { hint: m.hint });
    };
    const onListening = (w: Worker, a: AddressInfo) => {
      address ??= a;
      // A worker that was still starting (a replacement) when the stop began had no listener
      // for the first message; it gets it now, as it listens (its handler is in place by then).
      if (stopping) drainWorker(w);
      if (++listening === opts.count) resolve(primary);
    };
    const onExit = (w: Worker, code: number | null, signal: string | null) => {
      const lived = Date.now() - (started.get(w) ?? 0);
      started.delete(w);
      if (stopping) {
        if (code !== 0) exitCode = 1;
        if (live().length === 0) resolveDone(forced ? 1 : exitCode);
        return;
      }
      if (listening < opts.count) {
        // Failed while starting: the start fails, and the others stop.
        stopping = true;
        for (const other of live()) other.process.kill('SIGKILL');
        cluster.off('listening', onListening);
        reject(failure ?? new AbtestError('internal', `a worker exited while starting (${signal ?? `code ${code}`})`));
        return;
      }
      opts.warn(
        JSON.stringify({
          level: 'warn',
          message: `worker ${w.process.pid} died (${signal ?? `code ${code}`}); replaced`,
        }),
      );
      setTimeout(() => !stopping && fork(), lived < STEADY_MS ? 1000 : 0);
    };
    cluster.on('message', onMessage);
    cluster.on('listening', onListening);
    cluster.on('exit', onExit);

    const primary: Primary = {
      get address() {
        return address!;
      },
      workers: () => live().length,
      stop() {
        if (stopping) {
          // A second stop: cut the drain short.
          forced = true;
          for (const w of live()) w.process.kill('SIGKILL');
        } else {
          stopping = true;
          for (const w of live()) drainWorker(w);
          // Workers that do not finish within the deadline (plus a margin) are killed.
          setTimeout(() => {
            if (live().length === 0) return;
            exitCode = 1;
            for (const w of live()) w.process.kill('SIGKILL');
          }, opts.drainMs + 2000).unref();
        }
        if (live().length === 0) resolveDone(forced ? 1 : exitCode);
        return done;
      },
      done,
    };
    for (let i = 0; i < opts.count; i++) fork();
  });
}
