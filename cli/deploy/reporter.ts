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
