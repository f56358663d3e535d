import { buildSync, type BuildOptions } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageRoot } from '../paths';
import { scriptSafe, writeAtomic, type BrowserFile } from './browser';

/** What the dashboard page is started with; every field can be changed in the page. */
export interface DashboardSettings {
  /** The API base URL (`…/prod`), or a URL relative to the page (`abtest dev` serves `/`). */
  api: string;
  /** The key of the admin routes; null leaves it to the page's form. */
  key: string | null;
  /** @default the server's configured namespace */
  namespace?: string;
}

/** Where the built page is (`dist/dashboard/index.html`, with empty settings). */
export const dashboardFile = (root = packageRoot()): string => path.join(root, 'dist', 'dashboard', 'index.html');

const CONFIG = /(<script id="abtest-config" type="application\/json">)[^<]*(<\/script>)/;

function compile(root: string): string {
  const dir = path.join(root, 'src', 'dashboard');
  const options: BuildOptions = {
    entryPoints: [path.join(dir, 'app.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  };
  const script = buildSync(options).outputFiles![0].text;
  const style = fs.readFileSync(path.join(dir, 'style.css'), 'utf8');
  // Replacer functions: the minified code may hold `$&` and the like.
  return fs
    .readFileSync(path.join(dir, 'index.html'), 'utf8')
    .replace('/*STYLE*/', () => style.replace(/<\/style/gi, '<\\/style'))
    .replace('/*SCRIPT*/', () => scriptSafe(script.trim()));
}

/**
 * Builds the dashboard into one self-contained page, `dist/dashboard/index.html`: its script
 * and style inline, no CDN, settings left empty for {@link dashboardHtml} to fill.
 */
export function buildDashboard(root = packageRoot()): BrowserFile {
  const file = dashboardFile(root);
  const html = compile(root);
  writeAtomic(file, html);
  return { name: 'dashboard', file, bytes: Buffer.byteLength(html), gzipBytes: gzipSync(html, { level: 9 }).length };
}

/**
 * The dashboard page started with `settings` (built first when `dist/dashboard/index.html` is
 * missing). The settings are JSON inside the page, escaped so that no value can end the element.
 */
export function dashboardHtml(settings: DashboardSettings, root = packageRoot()): string {
  const file = dashboardFile(root);
  if (!fs.existsSync(file)) buildDashboard(root);
  const json = JSON.stringify({
    api: settings.api,
    key: settings.key ?? '',
    namespace: settings.namespace ?? '',
  }).replace(/</g, '\\u003c');
  return fs.readFileSync(file, 'utf8').replace(CONFIG, (_m, open: string, close: string) => open + json + close);
}
