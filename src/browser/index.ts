import { createClient } from './client';
import type { ClientEnv } from './types';

export type { ExperimentHandle, ExperimentOptions, GoalOptions, InitOptions, VariantOptions } from './types';

/**
 * The abtest browser client: `abtest.init`, `abtest.experiment`, `abtest.complete`.
 * Built as an IIFE (global `abtest`) and as an ES module, with no dependencies.
 */

const w = typeof window === 'undefined' ? undefined : window;

function storage(): ClientEnv['storage'] {
  try {
    const s = w!.localStorage;
    const probe = 'abtest:probe';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

function randomId(): string {
  const bytes = new Uint8Array(16);
  try {
    crypto.getRandomValues(bytes);
  } catch {
    for (let i = 0; i < 16; i++) bytes[i] = (Math.random() * 256) | 0;
  }
  let out = '';
  for (const b of bytes) out += (b + 256).toString(16).slice(1);
  return out;
}

const client = createClient({
  storage: storage(),
  // no-cache: the browser revalidates its copy with the ETag (a 304 is cheap); no preflight.
  get: (url) =>
    fetch(url, { cache: 'no-cache', credentials: 'omit' }).then(
      (r) =>
        r.text().then(
          (text) => ({ status: r.status, text }),
          () => ({ status: 0, text: '' }),
        ),
      () => ({ status: 0, text: '' }),
    ),
  // text/plain keeps the request "simple": no CORS preflight before each POST.
  post: (url, body) =>
    fetch(url, {
      method: 'POST',
      body,
      keepalive: true,
      credentials: 'omit',
      headers: { 'Content-Type': 'text/plain' },
    }).then(
      (r) =>
        r.text().then(
          (text) => ({ status: r.status, text }),
          () => ({ status: r.status, text: '' }),
        ),
      () => ({ status: 0, text: '' }),
    ),
  beacon: (url, body) => {
    try {
      return !!navigator.sendBeacon && navigator.sendBeacon(url, body);
    } catch {
      return false;
    }
  },
  random: Math.random,
  randomId,
  search: (w && w.location.search) || '',
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  warn: (message, detail) => {
    try {
      console.warn(message, detail === undefined ? '' : detail);
    } catch {
      // no console
    }
  },
});

if (w) {
  try {
    w.addEventListener('pagehide', client.pageHidden);
    w.document.addEventListener('visibilitychange', () => {
      if (w.document.visibilityState === 'hidden') client.pageHidden();
    });
    w.addEventListener('online', () => void client.flush());
  } catch {
    // a page without events still tracks; only the unload send is lost
  }
}

/** Starts the client: `abtest.init({ url, namespace, userId })`. Sends what earlier pages left queued. */
export const init = client.init;
/** Runs an experiment: picks (or recalls) the visitor's variant, activates it, and tracks participation. */
export const experiment = client.experiment;
/** Completes a goal in every experiment the visitor is in: `abtest.complete('signup', { unique: true })`. */
export const complete = client.complete;
/** Calls `fn` once the experiments are decided: at once, or when a first visit has its definitions (or waited). */
export const ready = client.ready;
