import type { CommandDeps } from '../command';
import { commandConfig } from '../context';
import { snippet } from '../snippet';
import { resolveApi, type ApiOptions, type ApiTarget, type Describe } from '../target';

export interface SnippetOptions extends ApiOptions {
  /** Namespace of the events. @default config namespace */
  namespace?: string;
}

export interface SnippetResult {
  html: string;
  trackUrl: string;
  namespace: string;
  source: ApiTarget['source'];
}

/** `abtest snippet`: the `<script>` block for the deployed API (or `--url`, or `--dev`). */
export async function run(
  opts: SnippetOptions,
  deps: CommandDeps & { describe?: Describe } = {},
): Promise<SnippetResult> {
  const { config } = commandConfig(opts, deps.env);
  const api = await resolveApi(opts, config, deps.describe);
  const namespace = opts.namespace ?? config.namespace;
  const trackUrl = `${api.base}/track`;
  return { html: snippet({ trackUrl, namespace }), trackUrl, namespace, source: api.source };
}

/** What `abtest snippet` prints: the block itself. */
export function format(r: SnippetResult): string[] {
  return [r.html.trimEnd()];
}
