import type { Config } from '../../src/config';

/** The name of every AWS resource deploy makes, from config `app_name` and the stage. */
export interface ResourceNames {
  role: string;
  api: string;
  apiKey: string;
  usagePlan: string;
  alias: string;
  fn(wiringName: string): string;
}

/** Names derived from `app_name` ("abtest"): role abtest-lambda, functions abtest-track, ... */
export function resourceNames(config: Pick<Config, 'app_name'>, stage: string): ResourceNames {
  const app = config.app_name;
  return {
    role: `${app}-lambda`,
    api: app,
    apiKey: `${app}-${stage}`,
    usagePlan: `${app}-${stage}`,
    alias: 'live',
    fn: (name) => `${app}-${name}`,
  };
}
