/**
 * Progress of an AWS command: `plan` shows the changes about to be made (before any is),
 * `stage` starts a step people read ("+ create function abtest-prod-track"), `apiCall` is one AWS
 * request inside it ("lambda CreateFunction").
 */
export interface Reporter {
  plan(lines: string[]): void;
  stage(text: string): void;
  apiCall(service: string, operation: string): void;
}

/** A reporter that shows nothing. */
export const silentReporter: Reporter = { plan: () => {}, stage: () => {}, apiCall: () => {} };

/**
 * A reporter that writes lines: the plan, each step (`… text`), and each AWS call when `verbose`.
 * @param write where a line goes (the CLI: stdout, or stderr when stdout carries JSON)
 * @param verbose show every AWS call @default false
 */
export function lineReporter(write: (line: string) => void, verbose = false): Reporter {
  return {
    plan: (lines) => {
      write(lines.length ? 'Plan:' : 'Plan: no changes');
      for (const l of lines) write(`  ${l}`);
    },
    stage: (text) => write(`… ${text}`),
    apiCall: (service, operation) => {
      if (verbose) write(`    ${service} ${operation}`);
    },
  };
}
