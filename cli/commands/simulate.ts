import { randomBytes } from 'node:crypto';
import { ConfigError, type AbtestError } from '../../src/errors';
import type { CommandDeps } from '../command';
import { commandConfig, type GlobalOptions } from '../context';
import { DefinitionsApi } from '../experiment/api';
import { Client, sendAll } from '../simulate/client';
import { startDev } from '../simulate/dev';
import { formatSimulation, type Simulation } from '../simulate/format';
import { countingProblems, independence, report } from '../simulate/report';
import { checkExperiments, DEFAULT_EXPERIMENTS, plan, type SimExperiment } from '../simulate/traffic';
import { resolveApi } from '../target';

export interface SimulateOptions extends GlobalOptions {
  /** Base URL of a running abtest (`abtest dev`, or a deployed stage). @default none: start `abtest dev` here */
  url?: string;
  /** Key of the experiments and delete routes. @default the config's api_key (or one made for the dev started here) */
  apiKey?: string;
  /** Counting mode of the `abtest dev` started here (a given URL keeps its own). @default the config's */
  counting?: 'hll' | 'exact';
  /** Namespace the experiments are tracked in; they are deleted there first. @default "simulate" */
  namespace?: string;
  /** Distinct visitors. @default 10000 */
  visitors?: number;
  /** Seed of the generator: the same seed sends the same traffic. @default 1 */
  seed?: number;
  /** Requests in flight at once. @default 8 */
  concurrency?: number;
  /** Share of requests sent twice (a resend by the page). @default 0.05 */
  duplicates?: number;
  /** Share of requests whose first attempt is cut off in flight and retried. @default 0.03 */
  lost?: number;
  /** The experiments, one per `--experiment`. @default {@link DEFAULT_EXPERIMENTS} (also when empty) */
  experiment?: SimExperiment[];
  /** Print the result as one JSON object instead of the report. @default false */
  json?: boolean;
}

/** What `abtest simulate` found; `problems` lists what did not hold (exit code 1 when any). */
export type SimulateResult = Simulation;

/** The abtest to send to: the given `--url`, or an `abtest dev` started for the run. */
async function target(opts: SimulateOptions, env: NodeJS.ProcessEnv) {
  const { config } = commandConfig(opts, env);
  if (opts.url) {
    const api = await resolveApi({ url: opts.url, key: opts.apiKey }, config);
    if (!api.apiKey) {
      const hint = 'pass --api-key, or set api_key in the config';
      throw new ConfigError('--api-key', `no API key to read results from ${api.base}`, hint);
    }
    return { url: api.base, apiKey: api.apiKey, stop: null };
  }
  const apiKey = opts.apiKey ?? config.api_key ?? randomBytes(20).toString('hex');
  const overrides: Record<string, string> = { ABTEST_API_KEY: apiKey };
  if (opts.counting) overrides.ABTEST_COUNTING = opts.counting;
  const dev = await startDev({ config: opts.config, env, overrides });
  return { url: dev.url, apiKey, stop: dev.stop };
}

/**
 * Defines an experiment as it is sent (a delete removed its counts and definition first): its
 * weights, control first, and running before the first visitor.
 */
async function define(api: DefinitionsApi, namespace: string, e: SimExperiment): Promise<void> {
  await api.put(namespace, e.name, { variants: e.variants.map(({ label, weight }) => ({ label, weight })) });
  await api.setState(namespace, e.name, { state: 'running' });
}

/**
 * `abtest simulate`: defines the experiments (weights, control first) and starts them, then sends
 * a reproducible stream of visitors as real HTTP traffic to abtest (a given URL, or an `abtest
 * dev` started here), with duplicate sends and retries mixed in,
 * then reads the results back and compares them with what was sent: the split against the
 * weights, each rate against the true rate, the sample-ratio check, and the independence of
 * the experiments' splits.
 */
export async function run(opts: SimulateOptions, deps: CommandDeps = {}): Promise<SimulateResult> {
  const experiments = opts.experiment?.length ? opts.experiment : DEFAULT_EXPERIMENTS;
  const visitors = opts.visitors ?? 10_000;
  const seed = opts.seed ?? 1;
  const concurrency = opts.concurrency ?? 8;
  const namespace = opts.namespace ?? 'simulate';
  checkExperiments(experiments);
  const { url, apiKey, stop } = await target(opts, deps.env ?? process.env);
  try {
    const client = new Client(url, apiKey);
    const definitions = new DefinitionsApi(url, apiKey);
    const undefinedOnes: string[] = [];
    for (const e of experiments) {
      await client.remove(namespace, e.name);
      await define(definitions, namespace, e).catch((err: AbtestError) => {
        // One the server refuses (allowed_experiments, caps) is sent anyway: its refused events are reported.
        if (err.code !== 'refused') throw err;
        undefinedOnes.push(`experiment "${e.name}" could not be defined: ${err.message}`);
      });
    }
    const started = Date.now();
    const faults = { duplicates: opts.duplicates ?? 0.05, lost: opts.lost ?? 0.03 };
    const { truth, requests } = plan(experiments, namespace, visitors, seed, faults);
    await sendAll(client, requests, concurrency);
    const seconds = (Date.now() - started) / 1000;
    const counts = await client.results(
      namespace,
      experiments.map((e) => e.name),
    );
    const reports = experiments.map((e, i) => {
      const found = counts.find((c) => c.experiment === e.name);
      return report(e, truth.participants[i], truth.conversions[i], found);
    });
    return {
      url,
      server: stop ? 'started' : 'given',
      namespace,
      visitors,
      seed,
      concurrency,
      requests: client.tally,
      seconds,
      experiments: reports,
      independence: independence(experiments, truth),
      problems: [...undefinedOnes, ...client.problems, ...reports.flatMap(countingProblems)],
    };
  } finally {
    await stop?.();
  }
}

/** What `abtest simulate` prints: the report, or the result as one JSON object with `json`. */
export function format(r: SimulateResult, opts: SimulateOptions): string[] {
  return opts.json ? [JSON.stringify(r, null, 2)] : formatSimulation(r);
}
