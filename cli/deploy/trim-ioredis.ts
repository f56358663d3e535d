import type { Plugin } from 'esbuild';
import fs from 'node:fs';
import { AbtestError } from '../../src/errors';

/** The command flags ioredis asks `@ioredis/commands` about (`hasFlag`); the others are never read. */
export const CHECKED_FLAGS = ['readonly', 'loading'] as const;

/** One entry of `@ioredis/commands/built/commands.json`. */
interface CommandSpec {
  arity: number;
  flags: string[];
  keyStart: number;
  keyStop: number;
  step: number;
}

/**
 * `commands.json` of `@ioredis/commands` as a small CommonJS module: every command with its key
 * positions (`keyStart`, `keyStop`, `step`, which Cluster routing and auto-pipelining read) and
 * only the flags of {@link CHECKED_FLAGS}; `arity` and the other flags, which nothing reads, are
 * left out. The module rebuilds the same object shape at load time.
 */
export function compactCommands(commands: Record<string, CommandSpec>): string {
  const rows = Object.entries(commands).map(([name, c]) => {
    const flags = CHECKED_FLAGS.map((f, i) => (c.flags.includes(f) ? i : '')).join('');
    return [name, flags, c.keyStart, c.keyStop, c.step].join(':');
  });
  return [
    `const F=${JSON.stringify(CHECKED_FLAGS)},o={};`,
    `for(const r of ${JSON.stringify(rows.join(','))}.split(',')){`,
    "const[n,f,a,b,s]=r.split(':');",
    'o[n]={flags:[...f].map(i=>F[i]),keyStart:+a,keyStop:+b,step:+s}}',
    'module.exports=o;',
  ].join('');
}

/**
 * ioredis parts abtest never uses (Sentinel, named TLS profiles of other clouds, Cluster pub/sub,
 * diagnostics-channel tracing, SCAN streams) replaced by
 * stubs, and its command table compacted ({@link compactCommands}), to keep the Lambda bundles
 * small and their cold start short.
 */
export const trimIoredis: Plugin = {
  name: 'trim-ioredis',
  setup(b) {
    b.onLoad({ filter: /ioredis[\\/]built[\\/]connectors[\\/]SentinelConnector[\\/]index\.js$/ }, () => ({
      contents:
        'class SentinelConnector { constructor() {' +
        ' throw new Error("Redis Sentinel is not supported by abtest"); } }\n' +
        'exports.default = SentinelConnector; exports.SentinelIterator = SentinelConnector;',
      loader: 'js',
    }));
    // Cluster pub/sub: abtest never subscribes, so the Cluster's subscriber connection (opened to
    // a random node at ready) and the sharded-subscriber group are not made at all.
    b.onLoad({ filter: /ioredis[\\/]built[\\/]cluster[\\/]ClusterSubscriber\.js$/ }, () => ({
      contents:
        'class ClusterSubscriber { start() {} stop() {} getInstance() { return undefined; } }\n' +
        'exports.default = ClusterSubscriber;',
      loader: 'js',
    }));
    b.onLoad({ filter: /ioredis[\\/]built[\\/]cluster[\\/]ClusterSubscriberGroup\.js$/ }, () => ({
      contents:
        'class ClusterSubscriberGroup { constructor() {' +
        ' throw new Error("sharded subscribers are not supported by abtest"); } }\n' +
        'exports.default = ClusterSubscriberGroup;',
      loader: 'js',
    }));
    b.onLoad({ filter: /ioredis[\\/]built[\\/]constants[\\/]TLSProfiles\.js$/ }, () => ({
      contents: 'exports.default = {};',
      loader: 'js',
    }));
    // Tracing through diagnostics_channel: nothing in a Lambda subscribes; commands run as they are.
    b.onLoad({ filter: /ioredis[\\/]built[\\/]tracing\.js$/ }, () => ({
      contents:
        'const run = (fn) => fn();\n' +
        'exports.traceCommand = run; exports.traceBatch = run; exports.traceConnect = run;\n' +
        'exports.sanitizeArgs = (name, args) => args.map(String);',
      loader: 'js',
    }));
    // SCAN streams: abtest reads its keys through index sets, never by scanning.
    b.onLoad({ filter: /ioredis[\\/]built[\\/]ScanStream\.js$/ }, () => ({
      contents:
        'class ScanStream { constructor() {' +
        ' throw new Error("scan streams are not supported by abtest"); } }\n' +
        'exports.default = ScanStream;',
      loader: 'js',
    }));
    b.onLoad({ filter: /@ioredis[\\/]commands[\\/]built[\\/]commands\.json$/ }, (args) => {
      let commands: Record<string, CommandSpec>;
      try {
        commands = JSON.parse(fs.readFileSync(args.path, 'utf8'));
      } catch (e) {
        throw new AbtestError('bundle', `cannot read ${args.path}: ${(e as Error).message}`, {
          hint: 'run npm ci',
          cause: e,
        });
      }
      return { contents: compactCommands(commands), loader: 'js' };
    });
  },
};
