import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import type { Wiring } from '../../src/config';
import { handlerFile } from '../wiring';
import { AbtestError } from '../../src/errors';
import { packageRoot } from '../paths';
import { trimIoredis } from './trim-ioredis';

export interface Bundle {
  /** The wiring function name. */
  name: string;
  /** The bundle file (`dist/lambdas/<handler file>.js`). */
  file: string;
  bytes: number;
}

/**
 * Bundles each wired Lambda entry (`lambdas/<file>.ts`) into one minified CommonJS file with
 * everything it imports inside and no AWS SDK. These files are what `abtest dev` loads and
 * what deploy zips; they target node20, the oldest Node that runs abtest locally, and run the
 * same on Lambda's newer runtime (config `runtime`).
 */
export async function bundleLambdas(wiring: Wiring, root = packageRoot()): Promise<Bundle[]> {
  const outdir = path.join(root, 'dist', 'lambdas');
  const files = [...new Set(wiring.functions.map(handlerFile))];
  for (const file of files) {
    if (!fs.existsSync(path.join(root, 'lambdas', `${file}.ts`))) {
      throw new AbtestError('bundle', `lambdas/${file}.ts does not exist (named by a handler in the wiring)`, {
        hint: 'fix the handler in extra_wiring, or add the file',
      });
    }
  }
  await build({
    entryPoints: files.map((f) => path.join(root, 'lambdas', `${f}.ts`)),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    external: ['@aws-sdk/*'],
    // ioredis logs through `debug`; a Lambda has no use for it, and it weighs on cold start.
    alias: { debug: path.join(root, 'src', 'store', 'no-debug.ts') },
    plugins: [trimIoredis],
    logLevel: 'silent',
  });
  return wiring.functions.map((f) => {
    const file = path.join(outdir, `${handlerFile(f)}.js`);
    return { name: f.name, file, bytes: fs.statSync(file).size };
  });
}
