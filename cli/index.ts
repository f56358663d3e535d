import cluster from 'node:cluster';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Counting } from '../src/config';
import type { CommandDeps, Verb } from './command';
import type { DevOptions } from './commands/dev';
import type { ExperimentAction, ExperimentOptions } from './commands/experiment';
import { lineReporter } from './deploy/reporter';
import { explain } from './explain';
import { terminalPrompter } from './prompter';
import { parseExperiment, type SimExperiment } from './simulate/traffic';

/**
 * The `abtest` command. Only this file touches argv, stdout, signals and the exit code; it
 * wires commander to the verbs. Each verb is cli/commands/<verb>.ts, exporting
 *
 *   run(options, deps = {}): Promise<Result>   options: the verb's flags plus the global ones
 *                                              (camelCase, as commander names them); deps: what
 *                                              tests replace (`env`, AWS lookups, a reporter...)
 *   format(result, options): string[]          the lines printed on stdout
 *
 * A verb never writes to process.env, but for dev and serve: they run the bundles in this process
 * (serve: in each worker), and those read their config from its environment as they do in
 * Lambda. The entry keeps their signal handling (dev: every way of ending stops its private
 * redis-server; serve: the first signal drains, a second one cuts the drain short).
 */

const out = (line = '') => process.stdout.write(`${line}\n`);

function fail(e: unknown): never {
  const name = (e as Error)?.name;
  // Ctrl-C at a prompt: leave quietly.
  if (name === 'ExitPromptError' || name === 'AbortPromptError') process.exit(0);
  const { message, hint } = explain(e);
  process.stderr.write(`✖ ${message}\n`);
  if (hint) process.stderr.write(`  ${hint}\n`);
  process.exit(1);
}

const action =
  <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
  (...args: A) =>
    fn(...args).catch(fail);

const intOption = (flag: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
};

/** The counting modes, for `.choices()` of the flags that take one. */
const COUNTING: Counting[] = ['hll', 'exact'];

const program = new Command('abtest')
  .description('Serverless A/B testing: track on AWS Lambda + Redis, read results in a static dashboard')
  .option('--config <file>', 'config file (default: ./abtest.config.json, then ~/.abtest/config.json)')
  .showHelpAfterError();

const globals = () => program.opts<{ config?: string }>();

/** What the entry gives a verb besides its options, and does after it. */
interface Wire<R> {
  /** Show its progress: steps on stdout (stderr with --json), AWS calls with --verbose. */
  progress?: boolean;
  /** Let it ask questions, when there is a terminal to ask them in. */
  ask?: boolean;
  /** What only the entry may do with the result (exit code, signals). */
  after?: (result: R) => void;
}

/**
 * The action of a verb: loads its module, runs it with the global options and the flags (and
 * the terminal's reporter and prompter when `wire` says so), prints what it formats.
 */
function verb<O, R>(load: () => Promise<Verb<O, R>>, wire: Wire<R> = {}) {
  return action(async (flags: O) => {
    const { run, format } = await load();
    const options = { ...globals(), ...flags };
    const deps: CommandDeps = {};
    if (wire.progress) {
      // The flags progress heeds, where the verb has them.
      const { json, verbose } = flags as { json?: boolean; verbose?: boolean };
      deps.reporter = lineReporter((line) => (json ? process.stderr.write(`${line}\n`) : out(line)), verbose);
    }
    if (wire.ask && process.stdin.isTTY) deps.prompter = terminalPrompter;
    const result = await run(options, deps);
    for (const line of format(result, options)) out(line);
    wire.after?.(result);
  });
}

/** Stops `stop()`'s server on Ctrl-C or SIGTERM, then exits with 0. */
function stopOnSignal(stop: () => Promise<void>): void {
  const onSignal = () => stop().then(() => process.exit(0), fail);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

program
  .command('build')
  .description('bundle the Lambda handlers (and the browser client and dashboard) into dist/')
  .action(verb(() => import('./commands/build')));

program
  .command('dev')
  .description(
    'run the API, the dashboard and a demo page on localhost, on a private redis-server unless Redis is configured',
  )
  .option('--port <n>', 'port to listen on', intOption('--port', 0, 65535), 8787)
  .option('--host <host>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
  .option('--redis-url <url>', 'use this Redis instead of the configured one or a private one')
  .option('--build', 'rebuild the Lambda bundles first')
  .option('--expose-dashboard', 'serve /dashboard (it holds the API key) to any host name, not only localhost')
  .addOption(new Option('--log <format>', 'one line per request on stdout').choices(['json']))
  .action(
    action(async (o: DevOptions) => {
      const { run, format } = await import('./commands/dev');
      // Every way of ending (Ctrl-C, kill, a closed terminal, a failure) stops the private redis-server.
      let r: Awaited<ReturnType<typeof run>> | undefined;
      let ending: number | null = null;
      let stopping = false;
      const stop = (code: number) => {
        ending ??= code;
        // Still starting: stopped as soon as run() returns (or run() cleans up after its own failure).
        if (!r || stopping) return;
        stopping = true;
        r.stop().then(() => {
          out('stopped');
          process.exit(ending ?? code);
        }, fail);
      };
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(0));
      process.on('uncaughtException', (e) => {
        process.stderr.write(`✖ ${explain(e).message}\n`);
        stop(1);
      });
      r = await run({ ...globals(), ...o });
      if (ending !== null) return stop(ending);
      for (const line of format(r)) out(line);
    }),
  );

program
  .command('serve')
  .description('serve the API in production on this machine: workers sharing the port, a configured Redis and API key')
  .option('--port <n>', 'port to listen on (0: any free port)', intOption('--port', 0, 65535), 8787)
  .option('--host <host>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
  .option('--workers <n>', 'worker processes sharing the port (default: one per core)', intOption('--workers', 1, 256))
  .option('--redis-url <url>', 'the Redis to use (default: config redis_url)')
  .option('--api-key <key>', 'key of the admin routes (default: config api_key; ABTEST_API_KEY keeps it out of ps)')
  .addOption(new Option('--log <format>', 'one line per request on stdout').choices(['json']))
  .option('--trust-proxy', 'take the client address from the last X-Forwarded-For entry (behind one proxy)')
  .option(
    '--drain-timeout <s>',
    'seconds a stop waits for accepted requests',
    intOption('--drain-timeout', 0, 3600),
    10,
  )
  .option('--build', 'rebuild the Lambda bundles first')
  .action(async (o: object) => {
    const { run, format } = await import('./commands/serve');
    // The first SIGTERM or Ctrl-C drains, a second one cuts the drain short.
    let r: Awaited<ReturnType<typeof run>> | undefined;
    let signalled = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.on(signal, () => {
        signalled = true;
        void r?.stop();
      });
    try {
      r = await run({ ...globals(), ...o });
    } catch (e) {
      // A worker that cannot start exits; the primary reports why.
      if (cluster.isWorker) process.exit(1);
      fail(e);
    }
    for (const line of format(r)) out(line);
    if (signalled) void r.stop();
    const code = await r.done;
    if (r.role === 'primary') out(code === 0 ? 'stopped' : 'stopped (forced: some requests were cut)');
    process.exit(code);
  });

program
  .command('snippet')
  .description('print the <script> block for your pages: the browser client inlined, set to your track URL')
  .option('--url <url>', 'the API URL (default: the deployed API)')
  .option('--dev', 'use abtest dev on this machine (http://127.0.0.1:8787)')
  .option('--namespace <name>', 'namespace of the events (default: the configured one)')
  .option('--region <region>', 'AWS region of the deployment')
  .option('--profile <name>', 'AWS named profile')
  .option('--endpoint-url <url>', 'AWS API endpoint (LocalStack or another emulator)')
  .action(verb(() => import('./commands/snippet')));

program
  .command('dashboard')
  .description('write the results dashboard (one static HTML file, no hosting needed) and open it')
  .option('--out <file>', 'where to write the page (default: ~/.abtest/dashboard.html)')
  .option('--no-open', 'do not open the page')
  .option('--serve', 'serve the page on localhost until Ctrl-C')
  .option('--port <n>', 'port of --serve (default: any free port)', intOption('--port', 0, 65535))
  .option('--url <url>', 'the API URL (default: the deployed API)')
  .option('--key <key>', "the API key (default: the deployment's, else the configured api_key)")
  .option('--dev', 'use abtest dev on this machine (http://127.0.0.1:8787)')
  .option('--namespace <name>', 'namespace to show first (default: the configured one)')
  .option('--region <region>', 'AWS region of the deployment')
  .option('--profile <name>', 'AWS named profile')
  .option('--endpoint-url <url>', 'AWS API endpoint (LocalStack or another emulator)')
  .action(verb(() => import('./commands/dashboard'), { after: (r) => r.server && stopOnSignal(r.stop) }));

/** `--region`, `--profile`, `--endpoint-url` on a command that calls AWS. */
const withAws = (cmd: Command) =>
  cmd
    .option('--region <region>', 'AWS region (default: config region, then the SDK chain)')
    .option('--profile <name>', 'AWS named profile (default: config profile, then the SDK chain)')
    .option('--endpoint-url <url>', 'AWS API endpoint, e.g. LocalStack (default: $AWS_ENDPOINT_URL)');

program
  .command('configure')
  .description('ask for the Redis URL, AWS region and deploy settings; write the config file (mode 0600)')
  .option('-y, --yes', 'ask nothing: use the flags, else the current values')
  .option('--redis-url <url>', 'Redis URL (redis:// or rediss://), tested with PING before it is saved')
  .option('--region <region>', 'AWS region')
  .option('--profile <name>', 'AWS named profile')
  .option('--namespace <name>', 'namespace of your experiments')
  .addOption(new Option('--counting <mode>', 'hll (HyperLogLog) or exact').choices(COUNTING))
  .option('--stage <name>', 'API Gateway stage')
  .option('--cors-origin <origin>', 'Access-Control-Allow-Origin of the API')
  .option('--subnet-ids <ids>', 'VPC subnet ids, comma-separated (Redis inside a VPC)')
  .option('--security-group-ids <ids>', 'VPC security group ids, comma-separated')
  .option('--no-vpc', 'run the functions outside any VPC')
  .option(
    '--rate-limit <n>',
    'throttle: requests per second, for every method and per API key',
    intOption('--rate-limit', 1, 1_000_000),
  )
  .option('--burst-limit <n>', 'throttle: burst of requests', intOption('--burst-limit', 1, 1_000_000))
  .action(verb(() => import('./commands/configure'), { ask: true }));

withAws(program.command('preflight'))
  .description('check AWS credentials and region, Redis, and the bundles before a deploy')
  .action(verb(() => import('./commands/preflight'), { after: (r) => r.ok || (process.exitCode = 1) }));

withAws(
  program.command('deploy').description('create or update the Lambda functions and the API Gateway API (idempotent)'),
)
  .option('--dry-run', 'print the plan and change nothing')
  .option('--stage <name>', 'API Gateway stage (default: config stage)')
  .option('--json', 'print the result as one JSON object')
  .option('--verbose', 'show every AWS call')
  .action(verb(() => import('./commands/deploy'), { progress: true }));

withAws(program.command('rollback').description('point alias live of the functions at their previous version'))
  .option('--function <name>', 'only this function (e.g. track)')
  .option('--stage <name>', 'the stage to roll back (default: config stage)')
  .action(verb(() => import('./commands/rollback'), { progress: true }));

withAws(program.command('destroy').description('remove everything abtest deploy made for one stage (asks first)'))
  .option('-y, --yes', 'do not ask')
  .option('--stage <name>', 'the stage to remove (default: config stage)')
  .action(verb(() => import('./commands/destroy'), { progress: true, ask: true }));

const shareOption = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || n > 1) throw new InvalidArgumentError(`${flag} must be a share from 0 to 1`);
  return n;
};

program
  .command('simulate')
  .description(
    'send a reproducible stream of visitors to abtest over HTTP and check the counts and statistics against what was sent',
  )
  .option('--url <base>', 'base URL of a running abtest (default: start abtest dev for the run)')
  .option('--api-key <key>', 'x-api-key of the experiments and delete routes (default: config api_key)')
  .addOption(new Option('--counting <mode>', 'counting mode of the abtest dev started here').choices(COUNTING))
  .option('--namespace <name>', 'namespace of the simulated experiments (they are deleted there first)', 'simulate')
  .option('--visitors <n>', 'distinct visitors', intOption('--visitors', 1, 10_000_000), 10_000)
  .option(
    '--seed <n>',
    'seed of the generator: the same seed sends the same traffic',
    intOption('--seed', 0, 2 ** 32 - 1),
    1,
  )
  .option('--concurrency <n>', 'requests in flight at once', intOption('--concurrency', 1, 256), 8)
  .option('--duplicates <share>', 'share of requests sent twice', shareOption('--duplicates'), 0.05)
  .option('--lost <share>', 'share of requests cut off in flight and resent', shareOption('--lost'), 0.03)
  .option(
    '--experiment <spec>',
    'name[/goal]:label=weight@rate,... (repeat it; default: button and pricing)',
    (v: string, all: SimExperiment[]) => [...all, parseExperiment(v)],
    [] as SimExperiment[],
  )
  .option('--json', 'print the result as one JSON object')
  .action(verb(() => import('./commands/simulate'), { after: (r) => r.problems.length && (process.exitCode = 1) }));

/** The flags of a command that talks to the admin routes of a running API, as `dashboard` finds it. */
const withApi = (cmd: Command) =>
  cmd
    .option('--url <url>', 'the API URL (default: the deployed API)')
    .option('--key <key>', "the API key (default: the deployment's, else the configured api_key)")
    .option('--dev', 'use abtest dev on this machine (http://127.0.0.1:8787)')
    .option('--namespace <name>', 'namespace of the experiments (default: the configured one)')
    .option('--region <region>', 'AWS region of the deployment')
    .option('--profile <name>', 'AWS named profile')
    .option('--endpoint-url <url>', 'AWS API endpoint (LocalStack or another emulator)')
    .option('--json', 'print the result as JSON');

const experiment = program
  .command('experiment')
  .description('define experiments (variants, weights, sample) and start, pause, roll out or archive them');

/** An `abtest experiment <action>` verb whose positional arguments are `names`, in order. */
const experimentVerb =
  (action: ExperimentAction, ...names: ('name' | 'winner' | 'text' | 'weights')[]) =>
  (...args: unknown[]) => {
    const positional = Object.fromEntries(names.map((n, i) => [n, args[i]]).filter(([, v]) => v !== undefined));
    const flags = args[names.length] as object;
    return verb(() => import('./commands/experiment'))({ ...flags, ...positional, action } as ExperimentOptions);
  };

withApi(experiment.command('list').description('the defined experiments of a namespace'))
  .option('--archived', 'archived experiments too')
  .action(experimentVerb('list'));
withApi(experiment.command('show <name>').description('one definition: state, variants, phases')).action(
  experimentVerb('show', 'name'),
);
withApi(experiment.command('create <name>').description('define an experiment (a draft), or replace a draft'))
  .requiredOption('--variants <labels>', 'the variants, control first: red,green or red=2,green=1')
  .option('--weights <weights>', 'one weight per variant: 2,1 (default: the --variants weights, else equal)')
  .option('--sample <share>', 'share of visitors who enter, above 0 and at most 1 (default 1)')
  .option('--fallback <label>', 'what visitors outside the sample and while paused see (default: the control)')
  .option('--description <text>', 'free text, at most 1000 characters')
  .action(experimentVerb('create', 'name'));
const TRANSITION_HELP: [ExperimentAction, string][] = [
  ['start', 'start counting: phase 1 begins (from draft)'],
  ['pause', 'everyone sees the fallback and nothing is counted, until resume'],
  ['resume', 'a paused experiment runs again, in the same phase'],
  ['restart', 'a paused or rolled-out experiment runs again in a new phase (earlier counts kept apart)'],
  ['archive', 'read-only from now on; hidden from list, results kept'],
];
for (const [action, help] of TRANSITION_HELP) {
  withApi(experiment.command(`${action} <name>`).description(help)).action(experimentVerb(action, 'name'));
}
withApi(
  experiment.command('rollout <name> <winner>').description('everyone sees the winner and nothing is counted'),
).action(experimentVerb('rollout', 'name', 'winner'));
withApi(
  experiment
    .command('weights <name> [weights]')
    .description('new weights (2,1 or red=2,green=1) or --sample; ' + 'a running experiment starts a new phase'),
)
  .option('--sample <share>', 'share of visitors who enter, above 0 and at most 1')
  .action(experimentVerb('weights', 'name', 'weights'));
withApi(experiment.command('describe <name> <text>').description('set the description')).action(
  experimentVerb('describe', 'name', 'text'),
);
withApi(
  experiment
    .command('export <name>')
    .description('participants and conversions per variant, goal and period as CSV (on stdout: > file.csv)'),
)
  .option('--phase <n>', 'the phase to export (default: the current one)')
  .option('--period <period>', 'day, week or month (weeks start on Monday; UTC)', 'day')
  .action((name: string, flags: object) => verb(() => import('./commands/experiment-export'))({ ...flags, name }));
withApi(
  experiment
    .command('apply <file>')
    .description(
      'make the definitions of a JSON file true: ' +
        'prints the plan, then applies it (the second run changes nothing)',
    ),
)
  .option('--dry-run', 'print the plan and change nothing')
  .action((file: string, flags: object) => {
    const apply = verb(() => import('./commands/experiment-apply'), { progress: true });
    return apply({ ...flags, file });
  });

program.parseAsync(process.argv).catch(fail);
