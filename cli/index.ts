import { Command, InvalidArgumentError } from 'commander';
import { explain } from './explain';

/**
 * The `abtest` command. Only this file touches argv, stdout and the exit code; each verb's
 * work is `run(options)` in cli/commands/<verb>.ts, returning a result printed here.
 */

const out = (line = '') => process.stdout.write(line + '\n');

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
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
};

const program = new Command('abtest')
  .description('Serverless A/B testing: track on AWS Lambda + Redis, read results in a static dashboard')
  .option('--config <file>', 'config file (default: ./abtest.config.json, then ~/.abtest/config.json)')
  .showHelpAfterError();

const globals = () => program.opts<{ config?: string }>();

program
  .command('build')
  .description('bundle the Lambda handlers (and the browser client and dashboard) into dist/')
  .action(
    action(async () => {
      const { run } = await import('./commands/build');
      const r = await run(globals());
      for (const b of r.lambdas) out(`✔ ${b.name.padEnd(12)} ${(b.bytes / 1024).toFixed(1)} KB  ${b.file}`);
      for (const b of r.browser) out(`✔ ${b.name.padEnd(12)} ${(b.bytes / 1024).toFixed(1)} KB, ${(b.gzipBytes / 1024).toFixed(1)} KB gzipped  ${b.file}`);
    }),
  );

program
  .command('dev')
  .description('run the API, the dashboard and a demo page on localhost, on a private redis-server unless Redis is configured')
  .option('--port <n>', 'port to listen on', intOption('--port', 0, 65535), 8787)
  .option('--host <host>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
  .option('--redis-url <url>', 'use this Redis instead of the configured one or a private one')
  .option('--build', 'rebuild the Lambda bundles first')
  .option('--expose-dashboard', 'serve /dashboard (it holds the API key) to any host name, not only localhost')
  .action(
    action(async (o: { port: number; host: string; redisUrl?: string; build?: boolean; exposeDashboard?: boolean }) => {
      const { run } = await import('./commands/dev');
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
      out(`abtest dev: serving the Lambda bundles on ${r.url}${r.network ? ` (listening on ${r.listen})` : ''}`);
      out(`  track        ${r.trackUrl}`);
      out(`  experiments  ${r.experimentsUrl}   (x-api-key: ${r.apiKey}${r.apiKeyGenerated ? ', made for this session' : ''})`);
      if (r.dashboardUrl) out(`  dashboard    ${r.dashboardUrl}`);
      out(`  demo page    ${r.url}/`);
      out(`  redis        ${r.redisUrl} (${r.redis === 'private' ? 'private redis-server, removed on exit' : r.redis === 'local' ? 'the local one on 6379' : 'configured'})`);
      if (r.dashboardExposed) {
        out(`⚠ /dashboard hands the API key to anyone who can load it${r.network ? ` at ${r.url}` : ''}`);
      } else if (r.network) {
        out('  /dashboard holds the API key: served only to localhost (--expose-dashboard serves it to any host name)');
      }
      out('Press Ctrl-C to stop.');
    }),
  );

program
  .command('snippet')
  .description('print the <script> block for your pages: the browser client inlined, set to your track URL')
  .option('--url <url>', 'the API URL (default: the deployed API)')
  .option('--dev', 'use abtest dev on this machine (http://127.0.0.1:8787)')
  .option('--namespace <name>', 'namespace of the events (default: the configured one)')
  .option('--region <region>', 'AWS region of the deployment')
  .option('--profile <name>', 'AWS named profile')
  .option('--endpoint-url <url>', 'AWS API endpoint (LocalStack or another emulator)')
  .action(
    action(async (o: { url?: string; dev?: boolean; namespace?: string; region?: string; profile?: string; endpointUrl?: string }) => {
      const { run } = await import('./commands/snippet');
      const r = await run({ ...globals(), ...o });
      out(r.html.trimEnd());
    }),
  );

program
  .command('dashboard')
  .description('write the results dashboard (one static HTML file, no hosting needed) and open it')
  .option('--out <file>', 'where to write the page (default: ~/.abtest/dashboard.html)')
  .option('--no-open', 'do not open the page')
  .option('--serve', 'serve the page on localhost until Ctrl-C')
  .option('--port <n>', 'port of --serve (default: any free port)', intOption('--port', 0, 65535))
  .option('--url <url>', 'the API URL (default: the deployed API)')
  .option('--key <key>', 'the API key (default: the deployment\'s, else the configured api_key)')
  .option('--dev', 'use abtest dev on this machine (http://127.0.0.1:8787)')
  .option('--namespace <name>', 'namespace to show first (default: the configured one)')
  .option('--region <region>', 'AWS region of the deployment')
  .option('--profile <name>', 'AWS named profile')
  .option('--endpoint-url <url>', 'AWS API endpoint (LocalStack or another emulator)')
  .action(
    action(async (o: { out?: string; open: boolean; serve?: boolean; port?: number; url?: string; key?: string; dev?: boolean; namespace?: string; region?: string; profile?: string; endpointUrl?: string }) => {
      const { run } = await import('./commands/dashboard');
      const r = await run({ ...globals(), ...o });
      out(`✔ dashboard written to ${r.file}${r.keyIncluded ? ' (it holds the API key: keep it private)' : ''}`);
      out(`  API        ${r.api}${r.source === 'deployed' ? ' (deployed)' : r.source === 'dev' ? ' (abtest dev)' : ''}`);
      out(`  namespace  ${r.namespace}`);
      if (!r.keyIncluded) out('  no API key known: the page asks for it');
      if (r.server) out(`  serving    ${r.pageUrl}`);
      if (o.open) out(r.opened ? `  opened     ${r.pageUrl}` : `  open ${r.pageUrl} in a browser (no browser could be started)`);
      if (r.server) {
        out('Press Ctrl-C to stop.');
        const stop = () => r.stop().then(() => process.exit(0), fail);
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      }
    }),
  );

/** `--region`, `--profile`, `--endpoint-url` on a command that calls AWS. */
const withAws = (cmd: Command) =>
  cmd
    .option('--region <region>', 'AWS region (default: config region, then the SDK chain)')
    .option('--profile <name>', 'AWS named profile (default: config profile, then the SDK chain)')
    .option('--endpoint-url <url>', 'AWS API endpoint, e.g. LocalStack (default: $AWS_ENDPOINT_URL)');

/** Prints deploy progress: steps always, AWS calls with --verbose; on stderr when stdout is JSON. */
const progress = (o: { json?: boolean; verbose?: boolean }) => {
  const line = (text: string) => (o.json ? process.stderr.write(text + '\n') : out(text));
  return {
    plan: (lines: string[]) => {
      line(lines.length ? 'Plan:' : 'Plan: no changes');
      for (const l of lines) line(`  ${l}`);
    },
    stage: (text: string) => line(`… ${text}`),
    apiCall: (service: string, operation: string) => {
      if (o.verbose) line(`    ${service} ${operation}`);
    },
  };
};

program
  .command('configure')
  .description('ask for the Redis URL, AWS region and deploy settings; write the config file (mode 0600)')
  .option('-y, --yes', 'ask nothing: use the flags, else the current values')
  .option('--redis-url <url>', 'Redis URL (redis:// or rediss://), tested with PING before it is saved')
  .option('--region <region>', 'AWS region')
  .option('--profile <name>', 'AWS named profile')
  .option('--namespace <name>', 'namespace of your experiments')
  .option('--counting <mode>', 'hll (HyperLogLog) or exact')
  .option('--stage <name>', 'API Gateway stage')
  .option('--cors-origin <origin>', 'Access-Control-Allow-Origin of the API')
  .option('--subnet-ids <ids>', 'VPC subnet ids, comma-separated (Redis inside a VPC)')
  .option('--security-group-ids <ids>', 'VPC security group ids, comma-separated')
  .option('--no-vpc', 'run the functions outside any VPC')
  .option('--rate-limit <n>', 'usage-plan requests per second', intOption('--rate-limit', 1, 1_000_000))
  .option('--burst-limit <n>', 'usage-plan burst', intOption('--burst-limit', 1, 1_000_000))
  .action(
    action(async (o: import('./commands/configure').ConfigureOptions) => {
      const { run } = await import('./commands/configure');
      const r = await run({ ...globals(), ...o });
      out(`✔ wrote ${r.path} (mode 0600: it holds the Redis password)`);
      out('  next: abtest preflight, then abtest deploy');
    }),
  );

withAws(program.command('preflight').description('check AWS credentials and region, Redis, and the bundles before a deploy')).action(
  action(async (o: import('./commands/preflight').PreflightOptions) => {
    const { run } = await import('./commands/preflight');
    const r = await run({ ...globals(), ...o });
    for (const c of r.checks) {
      out(`${{ ok: '✔', warn: '!', fail: '✖' }[c.status]} ${c.name}: ${c.detail}`);
      if (c.fix && c.status !== 'ok') out(`  fix: ${c.fix}`);
    }
    if (!r.ok) process.exitCode = 1;
  }),
);

withAws(program.command('deploy').description('create or update the Lambda functions and the API Gateway API (idempotent)'))
  .option('--dry-run', 'print the plan and change nothing')
  .option('--stage <name>', 'API Gateway stage (default: config stage)')
  .option('--json', 'print the result as one JSON object')
  .option('--verbose', 'show every AWS call')
  .action(
    action(async (o: import('./commands/deploy').DeployOptions & { json?: boolean; verbose?: boolean }) => {
      const { run } = await import('./commands/deploy');
      const r = await run({ ...globals(), ...o }, { reporter: progress(o) });
      if (o.json) {
        out(JSON.stringify(r, null, 2));
        return;
      }
      if (r.dryRun) out(`dry run: nothing changed (${r.plan.length} change${r.plan.length === 1 ? '' : 's'} planned)`);
      else out(r.plan.length ? `✔ deployed to ${r.region}, stage ${r.stage} (${r.plan.length} change${r.plan.length === 1 ? '' : 's'})` : `✔ no changes: ${r.region}, stage ${r.stage} is up to date`);
      if (!r.urls) return;
      out(`  base URL     ${r.urls.baseUrl}`);
      out(`  track        ${r.urls.trackUrl}`);
      out(`  experiments  ${r.urls.experimentsUrl}   (header x-api-key)`);
      if (r.apiKey.command) out(`  API key      ${r.apiKey.name}: ${r.apiKey.command}   (abtest dashboard finds it itself)`);
      if (r.snippet) out(`\nPaste into your pages:\n\n${r.snippet.trimEnd()}`);
    }),
  );

withAws(program.command('rollback').description('point alias live of the functions at their previous version'))
  .option('--function <name>', 'only this function (e.g. track)')
  .action(
    action(async (o: import('./commands/rollback').RollbackOptions) => {
      const { run } = await import('./commands/rollback');
      const r = await run({ ...globals(), ...o }, { reporter: progress({}) });
      for (const m of r.moved) out(`✔ ${m.fn}: live now serves version ${m.to} (was ${m.from})`);
    }),
  );

withAws(program.command('destroy').description('remove everything abtest deploy made (asks first)'))
  .option('-y, --yes', 'do not ask')
  .action(
    action(async (o: import('./commands/destroy').DestroyOptions) => {
      const { run } = await import('./commands/destroy');
      const confirm = process.stdin.isTTY ? async (message: string) => (await import('@inquirer/prompts')).confirm({ message, default: false }) : undefined;
      const r = await run({ ...globals(), ...o }, { reporter: progress({}), confirm });
      if (!r.removed.length) out('✔ nothing to remove: no deployment found');
      else if (r.cancelled) out('nothing removed');
      else out(`✔ removed ${r.removed.join(', ')}`);
    }),
  );

const shareOption = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || n > 1) throw new InvalidArgumentError(`${flag} must be a share from 0 to 1`);
  return n;
};

program
  .command('simulate')
  .description('send a reproducible stream of visitors to abtest over HTTP and check the counts and statistics against what was sent')
  .option('--url <base>', 'base URL of a running abtest (default: start abtest dev for the run)')
  .option('--api-key <key>', 'x-api-key of the experiments and delete routes (default: config api_key)')
  .option('--counting <mode>', 'counting mode of the abtest dev started here: hll or exact')
  .option('--namespace <name>', 'namespace of the simulated experiments (they are deleted there first)', 'simulate')
  .option('--visitors <n>', 'distinct visitors', intOption('--visitors', 1, 10_000_000), 10_000)
  .option('--seed <n>', 'seed of the generator: the same seed sends the same traffic', intOption('--seed', 0, 2 ** 32 - 1), 1)
  .option('--concurrency <n>', 'requests in flight at once', intOption('--concurrency', 1, 256), 8)
  .option('--duplicates <share>', 'share of requests sent twice', shareOption('--duplicates'), 0.05)
  .option('--lost <share>', 'share of requests cut off in flight and resent', shareOption('--lost'), 0.03)
  .option('--experiment <spec>', 'name[/goal]:label=weight@rate,... (repeat it; default: button and pricing)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--json', 'print the result as one JSON object')
  .action(
    action(async (o: Omit<import('./commands/simulate').SimulateOptions, 'experiments' | 'counting'> & { counting?: string; experiment: string[]; json?: boolean }) => {
      const { run, parseExperiment, formatSimulation } = await import('./commands/simulate');
      if (o.counting !== undefined && o.counting !== 'hll' && o.counting !== 'exact') throw new InvalidArgumentError('--counting must be hll or exact');
      const experiments = o.experiment.length ? o.experiment.map(parseExperiment) : undefined;
      const r = await run({ ...globals(), ...o, counting: o.counting, experiments });
      if (o.json) out(JSON.stringify(r, null, 2));
      else for (const line of formatSimulation(r)) out(line);
      if (r.problems.length) process.exitCode = 1;
    }),
  );

program.parseAsync(process.argv).catch(fail);
