/**
 * Progress of an AWS command: `stage` starts a step people read ("create function
 * abtest-track"), `apiCall` is one AWS request inside it ("lambda CreateFunction").
 */
export interface Reporter {
  stage(text: string): void;
  apiCall(service: string, operation: string): void;
}

/** A reporter that shows nothing. */
export const silentReporter: Reporter = { stage: () => {}, apiCall: () => {} };
