import { AbtestError } from '../src/errors';

/**
 * Turns a failure into the one line (and an optional hint) the CLI prints after ✖. Known
 * failures from outside (Redis, AWS, the file system) become sentences that name the fix.
 */
export function explain(e: unknown): { message: string; hint?: string } {
  if (e instanceof AbtestError) return { message: e.message, hint: e.hint };
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EADDRINUSE') return { message: `the port is already in use (${err.message})`, hint: 'pass another --port' };
  if (err?.code === 'EACCES') return { message: `permission denied: ${err.message}` };
  return { message: err?.message ?? String(e) };
}
