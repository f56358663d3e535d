import { build, buildSync, type BuildOptions } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { AbtestError } from '../../src/errors';
import { packageRoot } from '../paths';

/** Largest gzipped size the browser client may have; the build fails above it. */
export const CLIENT_GZIP_LIMIT = 5 * 1024;

/** One built browser file and its sizes. */
export interface BrowserFile {
  name: string;
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** Writes a file whole or not at all: a page served meanwhile never reads half a build. */
export function writeAtomic(file: string, contents: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}

/** Makes text safe inside an inline `<script>`: it must not close the element or open a comment. */
export const scriptSafe = (code: string): string => code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

/** Where the IIFE build of the client is (`dist/browser/abtest.js`, global `abtest`). */
export const clientFile = (root = packageRoot()): string => path.join(root, 'dist', 'browser', 'abtest.js');

const options = (root: string, format: 'iife' | 'esm'): BuildOptions => ({
  entryPoints: [path.join(root, 'src', 'browser', 'index.ts')],
  outfile: format === 'iife' ? clientFile(root) : path.join(root, 'dist', 'browser', 'abtest.mjs'),
  bundle: true,
  format,
  globalName: format === 'iife' ? 'abtest' : undefined,
  platform: 'browser',
  target: 'es2017',
  minify: true,
  legalComments: 'none',
  logLevel: 'silent',
});

function measure(name: string, file: string): BrowserFile {
  const code = fs.readFileSync(file);
  const gzipBytes = gzipSync(code, { level: 9 }).length;
  if (gzipBytes > CLIENT_GZIP_LIMIT) {
    throw new AbtestError(
      'client-size',
      `the browser client ${name} is ${gzipBytes} bytes gzipped, over the ${CLIENT_GZIP_LIMIT}-byte budget`,
      {
        hint: 'make src/browser/ smaller before shipping it',
      },
    );
  }
  return { name, file, bytes: code.length, gzipBytes };
}

/**
 * Builds the browser client into `dist/browser/`: `abtest.js` (IIFE, global `abtest`, for a
 * `<script>`) and `abtest.mjs` (ES module), both minified for es2017, and measures their
 * gzipped size; a client over {@link CLIENT_GZIP_LIMIT} fails the build.
 */
export async function buildBrowser(root = packageRoot()): Promise<BrowserFile[]> {
  const results = await Promise.all([
    build({ ...options(root, 'iife'), write: false }),
    build({ ...options(root, 'esm'), write: false }),
  ]);
  for (const r of results) for (const f of r.outputFiles) writeAtomic(f.path, f.contents);
  return [
    measure('abtest.js', clientFile(root)),
    measure('abtest.mjs', path.join(root, 'dist', 'browser', 'abtest.mjs')),
  ];
}

/** The IIFE client's code, built first when `dist/browser/abtest.js` is missing. */
export function clientScript(root = packageRoot()): string {
  const file = clientFile(root);
  if (!fs.existsSync(file)) {
    for (const f of buildSync({ ...options(root, 'iife'), write: false }).outputFiles) writeAtomic(f.path, f.contents);
    measure('abtest.js', file);
  }
  return fs.readFileSync(file, 'utf8');
}
