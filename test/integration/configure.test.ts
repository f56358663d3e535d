import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run as configure, type ConfigureOptions } from '../../cli/commands/configure';
import type { Prompter } from '../../cli/prompter';
import { startTestRedis, type PrivateRedis } from '../helpers/redis';

/**
 * Answers prompts from a table by question name (a list answers the same question again after
 * a refusal); unanswered questions take their default. Records what was asked and refused.
 */
function tablePrompter(table: Record<string, unknown>) {
  const asked: string[] = [];
  const refused: Record<string, string> = {};
  const next = (name: string, def: unknown) => {
    asked.push(name);
    const a = table[name];
    if (Array.isArray(a) && a.length > 1) return a.shift();
    return Array.isArray(a) ? a[0] : (a ?? def);
  };
  const prompter: Prompter = {
    async input(q) {
      for (;;) {
        const more = Array.isArray(table[q.name]) && (table[q.name] as unknown[]).length > 1;
        const answer = String(next(q.name, q.default ?? ''));
        const ok = q.validate ? await q.validate(answer) : true;
        if (ok === true) return answer;
        refused[q.name] = ok;
        if (!more) throw new Error(`refused: ${ok}`);
      }
    },
    select: async (q) => String(next(q.name, q.default)),
    confirm: async (q) => Boolean(next(q.name, q.default)),
  };
  return { prompter, asked, refused };
}

let redis: PrivateRedis;
let home: string;
beforeAll(async () => (redis = await startTestRedis()));
afterAll(() => redis.stop());
beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-home-'))));
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const file = () => path.join(home, '.abtest', 'config.json');
const saved = () => JSON.parse(fs.readFileSync(file(), 'utf8'));

describe('abtest configure', () => {
  it('asks every question, tests the Redis URL, and writes ~/.abtest/config.json with mode 0600', async () => {
    const { prompter, asked } = tablePrompter({
      redis_url: redis.url,
      region: 'eu-west-1',
      profile: 'work',
      namespace: 'shop',
      counting: 'exact',
      stage: 'live',
      cors_origin: 'https://shop.example',
      vpc: true,
      subnet_ids: 'subnet-1, subnet-2',
      security_group_ids: 'sg-1',
      throttle: '50',
    });
    const r = await configure({}, { prompter, home, env: {} });
    expect(asked).toEqual([
      'redis_url',
      'region',
      'profile',
      'namespace',
      'counting',
      'stage',
      'cors_origin',
      'vpc',
      'subnet_ids',
      'security_group_ids',
      'throttle',
      'throttle',
    ]);
    expect(r.path).toBe(file());
    expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
    expect(saved()).toEqual({
      redis_url: redis.url,
      region: 'eu-west-1',
      profile: 'work',
      namespace: 'shop',
      counting: 'exact',
      stage: 'live',
      cors_origin: 'https://shop.example',
      vpc: { subnet_ids: ['subnet-1', 'subnet-2'], security_group_ids: ['sg-1'] },
      throttle: { rate_limit: 50, burst_limit: 50 },
    });
  });

  it('offers the current values as defaults and keeps keys it does not ask about', async () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    fs.writeFileSync(
      file(),
      JSON.stringify({ redis_url: redis.url, region: 'eu-west-1', key_prefix: 'mine:', api_key: 'k'.repeat(24) }),
      { mode: 0o644 },
    );
    const { prompter } = tablePrompter({ namespace: 'blog' });
    const r = await configure({}, { prompter, home, env: {} });
    expect(saved()).toMatchObject({
      redis_url: redis.url,
      region: 'eu-west-1',
      key_prefix: 'mine:',
      api_key: 'k'.repeat(24),
      namespace: 'blog',
      counting: 'hll',
      vpc: null,
    });
    expect(r.config.key_prefix).toBe('mine:');
    expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
  });

  it('refuses a Redis URL that does not answer PING, with the reason, and asks again', async () => {
    const { prompter, refused } = tablePrompter({ redis_url: ['redis://127.0.0.1:1', 'http://nope', redis.url] });
    await configure({}, { prompter, home, env: {} });
    expect(refused.redis_url).toMatch(/^config key "redis_url" must start with redis:\/\//);
    expect(saved().redis_url).toBe(redis.url);
    const second = tablePrompter({ redis_url: ['redis://127.0.0.1:1', redis.url] });
    await configure({}, { prompter: second.prompter, home, env: {} });
    expect(second.refused.redis_url).toBe(
      'Redis at 127.0.0.1:1 cannot be reached (connection refused or closed); check that it is up and that --redis-url/redis_url is right (fix it, or configure a VPC if Redis is inside one)',
    );
  });

  it('takes every answer from flags with --yes, and writes nothing when one is wrong', async () => {
    const flags: ConfigureOptions = {
      yes: true,
      redisUrl: redis.url,
      region: 'us-west-2',
      counting: 'exact',
      subnetIds: 's-1',
      securityGroupIds: 'sg-1',
      rateLimit: 10,
      burstLimit: 20,
    };
    await configure(flags, { home, env: {} });
    expect(saved()).toMatchObject({
      redis_url: redis.url,
      region: 'us-west-2',
      counting: 'exact',
      namespace: 'alephbet',
      vpc: { subnet_ids: ['s-1'], security_group_ids: ['sg-1'] },
      throttle: { rate_limit: 10, burst_limit: 20 },
    });
    fs.rmSync(file());
    await expect(configure({ ...flags, redisUrl: 'redis://127.0.0.1:1' }, { home, env: {} })).rejects.toThrow(
      'Redis URL refused: Redis at 127.0.0.1:1 cannot be reached',
    );
    await expect(configure({ ...flags, region: 'mars' }, { home, env: {} })).rejects.toThrow(
      '--region must be an AWS region such as us-east-1, got "mars"',
    );
    await expect(configure({ yes: true }, { home, env: {} })).rejects.toThrow('a Redis URL is needed');
    expect(fs.existsSync(file())).toBe(false);
  });

  it('refuses contradictory flags and a cors_origin that is not an origin, naming the flag or the key and file', async () => {
    const flags: ConfigureOptions = { yes: true, redisUrl: redis.url };
    await expect(configure({ ...flags, subnetIds: 's-1', vpc: false }, { home, env: {} })).rejects.toMatchObject({
      key: '--subnet-ids',
      message: '--subnet-ids contradicts --no-vpc: subnets and security groups are those of a VPC',
    });
    await expect(
      configure({ ...flags, securityGroupIds: 'sg-1', vpc: false }, { home, env: {} }),
    ).rejects.toMatchObject({ key: '--security-group-ids' });
    await expect(
      configure({ ...flags, corsOrigin: 'https://shop.example/app' }, { home, env: {} }),
    ).rejects.toMatchObject({
      key: '--cors-origin',
      message:
        '--cors-origin must be "*" or an origin such as https://shop.example (scheme://host[:port], no path), got "https://shop.example/app"',
    });
    expect(fs.existsSync(file())).toBe(false);
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    fs.writeFileSync(file(), JSON.stringify({ redis_url: redis.url, cors_origin: 'shop.example' }));
    await expect(configure(flags, { home, env: {} })).rejects.toMatchObject({
      key: 'cors_origin',
      message: `${file()}: config key "cors_origin" must be "*" or an origin such as https://shop.example (scheme://host[:port], no path), got "shop.example"`,
    });
    fs.rmSync(file());
    await configure({ ...flags, corsOrigin: 'https://shop.example:8443' }, { home, env: {} });
    expect(saved().cors_origin).toBe('https://shop.example:8443');
  });

  it('refuses, writing nothing, without a terminal and without --yes (the built CLI exits 1)', async () => {
    await expect(configure({ redisUrl: redis.url }, { home, env: {} })).rejects.toThrow(
      'abtest configure asks questions and there is no terminal to ask them in',
    );
    const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ABTEST_')));
    const r = spawnSync(process.execPath, [cli, 'configure', '--redis-url', redis.url], {
      cwd: home,
      env: { ...clean, HOME: home },
      input: '',
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('✖ abtest configure asks questions and there is no terminal to ask them in');
    expect(r.stderr).toContain('run it in a terminal, or pass --yes with the answers as flags');
    expect(fs.existsSync(file())).toBe(false);
  });

  it('writes nothing when the user stops at a prompt (Ctrl-C)', async () => {
    const prompter: Prompter = {
      input: async (q) => {
        if (q.name === 'stage')
          throw Object.assign(new Error('User force closed the prompt'), { name: 'ExitPromptError' });
        return q.name === 'redis_url' ? redis.url : (q.default ?? '');
      },
      select: async (q) => q.default!,
      confirm: async () => false,
    };
    await expect(configure({ config: path.join(home, 'c.json') }, { prompter, home, env: {} })).rejects.toMatchObject({
      name: 'ExitPromptError',
    });
    expect(fs.existsSync(path.join(home, 'c.json'))).toBe(false);
  });
});
