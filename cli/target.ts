import { apiBase } from '../src/api-url';
import type { Config } from '../src/config';
import { AbtestError } from '../src/errors';
import type { GlobalOptions } from './context';
import { explain } from './explain';

/**
 * Which running API a command talks to: `--url`, `--dev`, or the deployed one found in AWS,
 * and its key (`--key`, else the deployment's, else config `api_key`). Shared by every command
 * that talks to a running API (snippet, dashboard, simulate).
 */
export interface ApiOptions extends GlobalOptions {
  /** The API's URL (its base, or its /track or /experiments URL). */
  url?: string;
  /** The key of the admin routes. @default the deployment's, else config api_key */
  key?: string;
  /** Use `abtest dev` on this machine. @default false */
  dev?: boolean;
  /** Port of `abtest dev` with `dev`. @default 8787 */
  devPort?: number;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/** The API a command talks to, and where that answer came from. */
export interface ApiTarget {
  /** Base URL, without a trailing slash: `${base}/track`, `${base}/experiments`. */
  base: string;
  /** The admin key when the flags, the deployment or the config know it. */
  apiKey: string | null;
  source: 'url' | 'deployed' | 'dev';
}

/** Reads the deployed API from AWS (cli/deploy/describe.ts); tests pass a fake. */
export type Describe = (opts: {
  config: Config;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}) => Promise<{ baseUrl: string; apiKey: string | null } | null>;

const describeDeployed: Describe = async (opts) => (await import('./deploy/describe')).describeDeployment(opts);

/**
 * The API base of a URL given on the command line (`flag` names where it came from), as
 * src/api-url.ts normalises it; an error naming the flag when it is not an http(s) URL.
 */
export function apiBaseOf(url: string, flag = '--url'): string {
  let base: string;
  try {
    base = apiBase(url);
  } catch {
    throw new AbtestError('url', `${flag} ${url} is not a URL`, {
      hint: 'pass the URL abtest deploy printed, such as https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
    });
  }
  const { protocol } = new URL(base);
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new AbtestError('url', `${flag} must be http:// or https://, got ${protocol}//`);
  }
  return base;
}

/**
 * Finds the API: `--url`, else `abtest dev`'s address with `--dev`, else the deployed API as
 * `describe` reads it from AWS (its key too).
 * @param describe the deployed-API lookup @default describeDeployment of cli/deploy/describe.ts
 */
export async function resolveApi(
  opts: ApiOptions,
  config: Config,
  describe: Describe = describeDeployed,
): Promise<ApiTarget> {
  const key = opts.key ?? config.api_key;
  if (opts.url) return { base: apiBaseOf(opts.url), apiKey: key, source: 'url' };
  if (opts.dev) return { base: `http://127.0.0.1:${opts.devPort ?? 8787}`, apiKey: key, source: 'dev' };
  let found: Awaited<ReturnType<Describe>>;
  try {
    found = await describe({ config, region: opts.region, profile: opts.profile, endpointUrl: opts.endpointUrl });
  } catch (e) {
    const { message, hint } = explain(e);
    throw new AbtestError('describe', `cannot look up the deployed API: ${message}`, {
      hint: `${hint ? `${hint}; ` : ''}or pass --url with your API URL, or --dev for abtest dev`,
      cause: e,
    });
  }
  if (!found) {
    const what = `no deployed API "${config.app_name}" (stage ${config.stage})`;
    throw new AbtestError('not-deployed', `${what} was found in the account`, {
      hint: 'run abtest deploy first, pass --url with your API URL, or --dev for abtest dev on this machine',
    });
  }
  return { base: apiBaseOf(found.baseUrl), apiKey: opts.key ?? found.apiKey ?? config.api_key, source: 'deployed' };
}
