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

export const intOption = (flag: string, min: number, max: number) => (value: string) => {
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
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--redis-url <url>', 'use this Redis instead of the configured one or a private one')
  .option('--build', 'rebuild the Lambda bundles first')
  .action(
    action(async (o: { port: number; host: string; redisUrl?: string; build?: boolean }) => {
      const { run } = await import('./commands/dev');
      const r = await run({ ...globals(), ...o });
      out(`abtest dev: serving the Lambda bundles on ${r.url}`);
      out(`  track        ${r.trackUrl}`);
      out(`  experiments  ${r.experimentsUrl}   (x-api-key: ${r.apiKey}${r.apiKeyGenerated ? ', made for this session' : ''})`);
      if (r.dashboardUrl) out(`  dashboard    ${r.dashboardUrl}`);
      out(`  demo page    ${r.url}/`);
      out(`  redis        ${r.redisUrl} (${r.redis === 'private' ? 'private redis-server, removed on exit' : r.redis === 'local' ? 'the local one on 6379' : 'configured'})`);
      out('Press Ctrl-C to stop.');
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        r.stop().then(() => {
          out('stopped');
          process.exit(0);
        }, fail);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
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
  .option('--port <n>', 'port of --serve', intOption('--port', 0, 65535), 0)
  .option('--url <url>', 'the API URL (default: the deployed API)')
  .option('--key <key>', 'the API key (default: the deployment\'s, else the configured api_key)')
  .option('--dev', 'use abtest dev on this machine (http://127.0.0.1:8787)')
  .option('--namespace <name>', 'namespace to show first (default: the configured one)')
  .option('--region <region>', 'AWS region of the deployment')
  .option('--profile <name>', 'AWS named profile')
  .option('--endpoint-url <url>', 'AWS API endpoint (LocalStack or another emulator)')
  .action(
    action(async (o: { out?: string; open: boolean; serve?: boolean; port: number; url?: string; key?: string; dev?: boolean; namespace?: string; region?: string; profile?: string; endpointUrl?: string }) => {
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

program.parseAsync(process.argv).catch(fail);
