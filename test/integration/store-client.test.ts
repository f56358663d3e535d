import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { AbtestError, UnavailableError } from '../../src/errors';
import { redactUrl } from '../../src/redact';
import { createRedis, RedisCounterStore, type TrackEvent } from '../../src/store';
import { pingStore } from '../../src/store/ping';
import { sentence } from '../../src/store/unavailable';
import { freePort } from '../../cli/dev/redis-server';
import { commandCalls, startTestRedis, testConfig, type PrivateRedis } from '../helpers/redis';

let redis: PrivateRedis;
let admin: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  admin = new Redis(redis.url);
  await admin.config('SET', 'requirepass', 'sekret-pw');
  await admin.auth('sekret-pw');
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});

const withPassword = (db = '') => `redis://:sekret-pw@127.0.0.1:${redis.port}${db}`;
const ev: TrackEvent = { namespace: 'ns', experiment: 'e', variant: 'a', event: 'participate', uuid: 'u' };

describe('the Redis client and pingStore', () => {
  it('a db index Redis rejects answers 503 naming redis_url, and nothing is written in db 0', async () => {
    const config = testConfig(withPassword('/99'));
    const client = createRedis(config);
    try {
      const failure = await new RedisCounterStore(client, config).track([ev]).then(
        () => null,
        (e) => e,
      );
      expect(failure).toBeInstanceOf(UnavailableError);
      expect(failure.message).toBe(
        `Redis at 127.0.0.1:${redis.port} has no database 99: fix the database number in redis_url`,
      );
      expect(await admin.keys(`${config.key_prefix}*`)).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it('a db that exists is used, not db 0', async () => {
    const config = testConfig(withPassword('/3'));
    const client = createRedis(config);
    try {
      await new RedisCounterStore(client, config).track([ev]);
      expect(await admin.keys(`${config.key_prefix}*`)).toEqual([]);
      const db3 = new Redis(withPassword('/3'));
      expect((await db3.keys(`${config.key_prefix}*`)).length).toBeGreaterThan(0);
      db3.disconnect();
      // Each new connection checks the db again, without piling up listeners.
      const store = new RedisCounterStore(client, config);
      const before = client.listenerCount('close');
      for (let i = 0; i < 12; i++) {
        const ready = new Promise((r) => client.once('ready', r));
        (client as Redis).disconnect(true);
        await ready;
        await store.track([{ ...ev, uuid: `r${i}` }]);
      }
      expect(client.listenerCount('close')).toBe(before);
    } finally {
      client.disconnect();
    }
  });

  it('reconnects are reported as one quiet line, never as an unhandled error event', async () => {
    // In a process of its own: its stderr is what an operator would see.
    const port = await freePort();
    const code = `
      const { validateConfig } = require('./src/config');
      const { createRedis, RedisCounterStore } = require('./src/store');
      const config = validateConfig({ redis_url: 'redis://127.0.0.1:${port}' });
      const client = createRedis(config);
      new RedisCounterStore(client, config).track([${JSON.stringify(ev)}]).catch((e) => console.log(e.message));
      setTimeout(() => client.disconnect(), 800);`;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: path.join(__dirname, '../..'),
      encoding: 'utf8',
    });
    expect(out.stdout.trim()).toMatch(/^Redis at 127\.0\.0\.1:\d+ cannot be reached/);
    expect(out.stderr).not.toMatch(/Unhandled error event|ECONNREFUSED/);
    const lines = out.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({
      level: 'warn',
      message: expect.stringMatching(/^Redis at 127\.0\.0\.1:\d+ cannot be reached/),
    });
  });

  it('pingStore accepts a good URL and refuses the others with one sentence naming --redis-url', async () => {
    await expect(pingStore(testConfig(withPassword('/2')))).resolves.toBeUndefined();
    const port = await freePort();
    const cases: [string, RegExp][] = [
      [`redis://127.0.0.1:${port}`, /^Redis at 127\.0\.0\.1:\d+ cannot be reached .* --redis-url\/redis_url is right$/],
      [
        `redis://:wrong-pw@127.0.0.1:${redis.port}`,
        /^Redis at 127\.0\.0\.1:\d+ refused the user or password of --redis-url\/redis_url$/,
      ],
      [
        `redis://127.0.0.1:${redis.port}`,
        /^Redis at 127\.0\.0\.1:\d+ needs a password: give it in --redis-url\/redis_url$/,
      ],
      [
        withPassword('/99'),
        /^Redis at 127\.0\.0\.1:\d+ has no database 99: fix the database number in --redis-url\/redis_url$/,
      ],
    ];
    for (const [url, message] of cases) {
      const failure = await pingStore(testConfig(url)).then(
        () => null,
        (e) => e,
      );
      expect(failure).toBeInstanceOf(AbtestError);
      expect(failure.message).toMatch(message);
      expect(failure.message).not.toMatch(/pw/);
    }
  });

  it('internal client texts become sentences; URLs in them lose their password', () => {
    const config = testConfig('redis://:pw@example.com:6380', { redis_command_timeout_ms: 300 });
    expect(sentence(new Error('Reached the max retries per request limit (which is 0).'), config)).toMatch(
      /^Redis at example\.com:6380 cannot be reached/,
    );
    expect(sentence(new Error('Command timed out'), config)).toBe(
      'Redis at example.com:6380 did not answer within redis_command_timeout_ms (300 ms); check that it is up and reachable (redis_url)',
    );
    expect(sentence(new Error('weird redis://u:pw@h:1/0 thing'), config)).toBe(
      'Redis at example.com:6380 failed: weird redis://u:***@h:1/0 thing',
    );
    expect(redactUrl('rediss://:secret@host:6379/1')).toBe('rediss://:***@host:6379/1');
    expect(redactUrl('redis://:se cret@ho st')).toBe('redis://:***@ho st');
  });
});

describe('the hot path', () => {
  it('an event of a listed experiment is one command (one round trip), also from a new process', async () => {
    const config = testConfig(withPassword());
    const clients = [createRedis(config), createRedis(config)];
    try {
      await new RedisCounterStore(clients[0], config).track([ev]);
      const other = new RedisCounterStore(clients[1], config);
      await other.track([{ ...ev, uuid: 'warm' }]); // loads the script on this connection
      await admin.config('RESETSTAT');
      await other.track([{ ...ev, uuid: 'u2' }]);
      // One EVALSHA; the rest are the commands inside the track script (with the day bucket's).
      const calls = ['evalsha=1', 'hget=1', 'hmget=1', 'pfadd=1', 'sismember=1'];
      expect(await commandCalls(admin)).toEqual(calls);
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  });

  it('names beyond ASCII reach Redis byte for byte, beside ASCII ones in the same write', async () => {
    const config = testConfig(withPassword(), { counting: 'exact' });
    const client = createRedis(config);
    try {
      const store = new RedisCounterStore(client, config);
      const names = { namespace: 'nś', experiment: 'café ☕', variant: 'grün', event: 'participate' };
      const events = ['😀 visitor', 'plain', 'ä'.repeat(300)].map((uuid) => ({ ...names, uuid }));
      // One tick: the three commands are encoded into one buffer.
      expect(await Promise.all(events.map((e) => store.track([e])))).toEqual(
        events.map(() => ({ stored: 1, rejected: [] })),
      );
      const [results] = await store.results('nś', ['café ☕']);
      expect(results.variants).toEqual([{ label: 'grün', participants: 3 }]);
      const key = (await admin.keys('*café*')).find((k) => k.includes(':c:participate:'))!;
      expect((await admin.smembers(key)).sort()).toEqual(events.map((e) => e.uuid).sort());
    } finally {
      client.disconnect();
    }
  });
});
