import type { Reporter } from './deploy/reporter';
import type { Prompter } from './prompter';

/**
 * The shape every verb shares: `cli/commands/<verb>.ts` exports `run(options, deps)`, which
 * does the work and returns a result, and `format(result, options)`, the lines to print.
 * Only cli/index.ts touches argv, stdout, signals and the exit code.
 */

/** What tests replace in `run(options, deps)`; each verb adds its own (AWS lookups, a clock...). */
export interface CommandDeps {
  /** The environment the config is read with (`ABTEST_*` overrides). Never written. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Progress of the steps (`stage`, `apiCall`). @default a reporter that shows nothing */
  reporter?: Reporter;
  /** Asks questions; absent where there is no one to ask (no terminal), and a verb that needs one refuses. */
  prompter?: Prompter;
}

/** A verb's module, as cli/index.ts wires it. */
export interface Verb<O, R> {
  run(options: O, deps?: CommandDeps): Promise<R>;
  format(result: R, options: O): string[];
}
