import type http from 'node:http';

/** A server that can stop gracefully: stop accepting, finish what it accepted, then close. */
export interface Drainable {
  /** Requests read and not yet answered. */
  inFlight(): number;
  /**
   * Stops accepting connections, answers every request already read (each with
   * `Connection: close`), closes idle keep-alive connections, and resolves `true` once every
   * connection is closed; `false` when `ms` passed first (the rest are then cut).
   */
  drain(ms: number): Promise<boolean>;
}

/**
 * Makes `server` drainable. Must be called before the server gets its first request: it
 * counts requests from the socket's side, so that none is lost to the order of listeners.
 */
export function drainable(server: http.Server): Drainable {
  let inFlight = 0;
  let draining = false;
  let drained: Promise<boolean> | null = null;
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight++;
    // A request read while draining (on a connection still open) is answered, then its connection closes.
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight--;
      // The connection of an answer sent while draining is idle now: close it rather than wait for the client.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
  });
  return {
    inFlight: () => inFlight,
    drain(ms: number): Promise<boolean> {
      drained ??= new Promise<boolean>((resolve) => {
        draining = true;
        const timer = setTimeout(() => {
          server.closeAllConnections();
          resolve(false);
        }, ms);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve(true);
        });
        server.closeIdleConnections();
      });
      return drained;
    },
  };
}
