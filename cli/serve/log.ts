import type http from 'node:http';

/**
 * One JSON line per answered request on `write` (stdout by default): time, method, path
 * (without the query string, which may carry visitor ids), status and duration in ms. Never
 * headers (the API key) nor parameters.
 */
export function logRequests(server: http.Server, write: (line: string) => void): void {
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const start = process.hrtime.bigint();
    res.once('close', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const line = {
        time: new Date().toISOString(),
        method: req.method,
        path: q < 0 ? url : url.slice(0, q),
        status: res.statusCode,
        ms: Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100,
        // An answer cut off before it was sent whole (the client went away, a forced stop).
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      write(`${JSON.stringify(line)}\n`);
    });
  });
}
