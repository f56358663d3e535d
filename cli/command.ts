/**
 * The shape every verb shares: `cli/commands/<verb>.ts` exports `run(options, deps)`, which
 * does the work and returns a result, and `format(result, options)`, the lines to print.
 * Only cli/index.ts touches argv, stdout, signals and the exit code.
 */

/** What tests replace in `run(options, deps)`; each verb adds its own (AWS lookups, a reporter...). */
export interface CommandDeps {
  /** The environment the config is read with (`ABTEST_*` overrides). Never written. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** A verb's module, as cli/index.ts wires it. */
export interface Verb<O, R> {
  run(options: O, deps?: CommandDeps): Promise<R>;
  format(result: R, options: O): string[];
}
