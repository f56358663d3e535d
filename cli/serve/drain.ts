import type http from 'node:http';

/** How often a draining server closes the connections that went idle (an answer was sent). */
const SWEEP_MS = 20;

/**
 * Stops `server` gracefully: stops accepting connections, answers every request already read
 * (on a connection still open, a request read meanwhile is answered too), closes each
 * keep-alive connection as soon as it is idle (or after its next answer), and resolves `true` once every connection is
 * closed; `false` when `ms` passed first (the rest are then cut). Nothing is added to the
 * path of a request before the drain starts.
 */
export function drain(server: http.Server, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    // A request read from now on (on a connection still open) is answered, then its connection closes.
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) =>
      res.setHeader('Connection', 'close'),
    );
    const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
    const timer = setTimeout(() => {
      clearInterval(sweep);
      server.closeAllConnections();
      resolve(false);
    }, ms);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(timer);
      resolve(true);
    });
  });
}
