import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultConfigPath } from '../config-file';
import { dashboardHtml } from '../build/dashboard';
import type { CommandDeps } from '../command';
import { commandConfig } from '../context';
import { resolveApi, type ApiOptions, type ApiTarget, type Describe } from '../target';

export interface DashboardOptions extends ApiOptions {
  /** Where to write the page. @default ~/.abtest/dashboard.html */
  out?: string;
  /** Open the page in the default browser. @default true */
  open?: boolean;
  /** Serve the page on localhost instead of opening the file. @default false */
  serve?: boolean;
  /** Namespace shown first. @default config namespace */
  namespace?: string;
  /** Port of `--serve`. @default 0 (any free port) */
  port?: number;
}

export interface DashboardResult {
  file: string;
  /** What was (or would be) opened: the file's URL, or the served page's. */
  pageUrl: string;
  api: string;
  source: ApiTarget['source'];
  namespace: string;
  /** Whether the page holds the API key (else it asks for it). */
  keyIncluded: boolean;
  opened: boolean;
  /** With `serve`: the server, stopped by `stop()`. */
  server: http.Server | null;
  stop(): Promise<void>;
}

/** Opens a URL in the default browser; false when no opener could be started. */
export function openInBrowser(url: string): Promise<boolean> {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/**
 * `abtest dashboard`: writes the dashboard page for the API (deployed, `--url` or `--dev`),
 * holding the key (file mode 600), and opens it; with `serve` it hosts the page on localhost.
 */
export async function run(
  opts: DashboardOptions,
  deps: CommandDeps & { open?: (url: string) => Promise<boolean>; describe?: Describe } = {},
): Promise<DashboardResult> {
  const { config } = commandConfig(opts, deps.env);
  const api = await resolveApi(opts, config, deps.describe);
  const key = api.apiKey;
  const namespace = opts.namespace ?? config.namespace;
  const html = dashboardHtml({ api: api.base, key, namespace });
  const file = path.resolve(opts.out ?? path.join(path.dirname(defaultConfigPath()), 'dashboard.html'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, html, { mode: 0o600 });
  fs.chmodSync(file, 0o600);

  let server: http.Server | null = null;
  let pageUrl = pathToFileURL(file).href;
  if (opts.serve) {
    server = http.createServer((req, res) => {
      if (req.url !== '/' && !req.url?.startsWith('/?')) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found; the dashboard is at /');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }
  const opened = opts.open === false ? false : await (deps.open ?? openInBrowser)(pageUrl);
  return {
    file,
    pageUrl,
    api: api.base,
    source: api.source,
    namespace,
    keyIncluded: !!key,
    opened,
    server,
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

/** What `abtest dashboard` prints: where the page is, which API it reads, and how to stop serving it. */
export function format(r: DashboardResult, opts: DashboardOptions): string[] {
  const lines = [`✔ dashboard written to ${r.file}${r.keyIncluded ? ' (it holds the API key: keep it private)' : ''}`];
  const source = { deployed: ' (deployed)', dev: ' (abtest dev)', url: '' }[r.source];
  lines.push(`  API        ${r.api}${source}`);
  lines.push(`  namespace  ${r.namespace}`);
  if (!r.keyIncluded) lines.push('  no API key known: the page asks for it');
  if (r.server) lines.push(`  serving    ${r.pageUrl}`);
  if (opts.open !== false) {
    const unopened = `  open ${r.pageUrl} in a browser (no browser could be started)`;
    lines.push(r.opened ? `  opened     ${r.pageUrl}` : unopened);
  }
  if (r.server) lines.push('Press Ctrl-C to stop.');
  return lines;
}
