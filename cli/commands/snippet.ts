import type { Config } from '../../src/config';
import { AbtestError } from '../../src/errors';
import { commandConfig, type GlobalOptions } from '../context';
import { explain } from '../explain';
import { snippet } from '../snippet';

/** How a command finds the API: an explicit URL, the deployed API, or `abtest dev`. */
export interface ApiOptions extends GlobalOptions {
  /** The API's URL (its base, or its /track or /experiments URL). */
  url?: string;
  /** Use `abtest dev` on this machine. @default false */
  dev?: boolean;
  /** Port of `abtest dev` with `dev`. @default 8787 */
  devPort?: number;
  namespace?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/** The API a command talks to, and where that answer came from. */
export interface ApiTarget {
  /** Base URL, without a trailing slash: `${base}/track`, `${base}/experiments`. */
  base: string;
  /** The admin key when the deployment (or config) knows it. */
  apiKey: string | null;
  source: 'url' | 'deployed' | 'dev';
}

/** The API base of a URL given as the base itself or as one of its routes. */
export function apiBaseOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AbtestError('url', `--url ${url} is not a URL`, { hint: 'pass the URL abtest deploy printed, such as https://abc123.execute-api.eu-west-1.amazonaws.com/prod' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new AbtestError('url', `--url must be http:// or https://, got ${parsed.protocol}//`);
  parsed.search = '';
  parsed.hash = '';
  return parsed.href.replace(/\/+$/, '').replace(/\/(track|experiments|delete)$/, '');
}

/** Reads the deployed API from AWS (cli/deploy/describe.ts); tests pass a fake. */
export type Describe = (opts: { config: Config; region?: string; profile?: string; endpointUrl?: string }) => Promise<{ baseUrl: string; apiKey: string | null } | null>;

const describeDeployed: Describe = async (opts) => (await import('../deploy/describe')).describeDeployment(opts);

/**
 * Finds the API: `--url`, else `abtest dev`'s address with `--dev`, else the deployed API as
 * `describeDeployment` reads it from AWS (its key too).
 */
export async function resolveApi(opts: ApiOptions, config: Config, describe: Describe = describeDeployed): Promise<ApiTarget> {
  if (opts.url) return { base: apiBaseOf(opts.url), apiKey: config.api_key, source: 'url' };
  if (opts.dev) return { base: `http://127.0.0.1:${opts.devPort ?? 8787}`, apiKey: config.api_key, source: 'dev' };
  let found: Awaited<ReturnType<Describe>>;
  try {
    found = await describe({ config, region: opts.region, profile: opts.profile, endpointUrl: opts.endpointUrl });
  } catch (e) {
    const { message, hint } = explain(e);
    throw new AbtestError('describe', `cannot look up the deployed API: ${message}`, { hint: `${hint ? `${hint}; ` : ''}or pass --url with your API URL, or --dev for abtest dev`, cause: e });
  }
  if (!found) {
    throw new AbtestError('not-deployed', `no deployed API "${config.app_name}" (stage ${config.stage}) was found in the account`, {
      hint: 'run abtest deploy first, pass --url with your API URL, or --dev for abtest dev on this machine',
    });
  }
  return { base: apiBaseOf(found.baseUrl), apiKey: found.apiKey ?? config.api_key, source: 'deployed' };
}

export interface SnippetResult {
  html: string;
  trackUrl: string;
  namespace: string;
  source: ApiTarget['source'];
}

/** `abtest snippet`: the `<script>` block for the deployed API (or `--url`, or `--dev`). */
export async function run(opts: ApiOptions, env: NodeJS.ProcessEnv = process.env, describe?: Describe): Promise<SnippetResult> {
  const { config } = commandConfig(opts, env);
  const api = await resolveApi(opts, config, describe);
  const namespace = opts.namespace ?? config.namespace;
  const trackUrl = `${api.base}/track`;
  return { html: snippet({ trackUrl, namespace }), trackUrl, namespace, source: api.source };
}
