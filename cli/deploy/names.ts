import { validateConfig, type Config } from '../../src/config';
import { ConfigError } from '../../src/errors';

/** The name of every AWS resource deploy makes, from config `app_name` and the stage. */
export interface ResourceNames {
  /** What every function name of this app and stage starts with (`abtest-prod-`). */
  prefix: string;
  role: string;
  api: string;
  apiKey: string;
  usagePlan: string;
  alias: string;
  fn(wiringName: string): string;
}

/** Lambda function and IAM role names are at most 64 characters. */
const MAX_NAME = 64;

/**
 * Names derived from `app_name` and the stage ("abtest", "prod"): role abtest-prod-lambda,
 * functions abtest-prod-track, ..., REST API, key and usage plan abtest-prod. Every stage has
 * its own of each, so that deploying, rolling back or destroying one never changes another.
 */
export function resourceNames(config: Pick<Config, 'app_name'>, stage: string): ResourceNames {
  const prefix = `${config.app_name}-${stage}-`;
  const bounded = (name: string) => {
    if (name.length <= MAX_NAME) return name;
    const hint = 'use a shorter stage or config app_name';
    throw new ConfigError('stage', `the AWS name ${name} is longer than ${MAX_NAME} characters`, hint);
  };
  return {
    prefix,
    role: bounded(`${prefix}lambda`),
    api: `${config.app_name}-${stage}`,
    apiKey: `${config.app_name}-${stage}`,
    usagePlan: `${config.app_name}-${stage}`,
    alias: 'live',
    fn: (name) => bounded(`${prefix}${name}`),
  };
}

/** The stage a command works on: `--stage`, checked as config `stage` is, else config `stage`. */
export function commandStage(flag: string | undefined, config: Pick<Config, 'stage'>): string {
  return flag === undefined ? config.stage : validateConfig({ stage: flag }, '--stage').stage;
}
