import fs from 'node:fs';
import path from 'node:path';
import { AbtestError } from '../src/errors';

/** The abtest package folder (holding wiring.json, lambdas/, dist/), found from this file. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).name === 'abtest') return dir;
    if (path.dirname(dir) === dir) {
      throw new AbtestError('install', `cannot find the abtest package above ${from}`, { hint: 'reinstall abtest' });
    }
  }
}

/** Where `abtest build` writes the Lambda bundles, the browser client and the dashboard. */
export const distDir = (root = packageRoot()): string => path.join(root, 'dist');
export const lambdaBundle = (name: string, root = packageRoot()): string =>
  path.join(distDir(root), 'lambdas', `${name}.js`);
