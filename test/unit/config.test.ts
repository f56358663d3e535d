import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../cli/config-file';
import { mergeWiring } from '../../cli/wiring';
import { CONFIG_KEYS, configFromEnv, configToEnv, DEFAULTS, RUNTIME_KEYS, validateConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

const root = path.join(__dirname, '..', '..');

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'abtest-config-'));

describe('validateConfig', () => {
  it('fills every default', () => {
    expect(validateConfig({})).toEqual(DEFAULTS);
  });

  it('config.example.json lists every key of the schema, in order, valid, with its default unless that is null', () => {
    const example = JSON.parse(fs.readFileSync(path.join(root, 'config.example.json'), 'utf8'));
    expect(Object.keys(example)).toEqual(CONFIG_KEYS);
    expect(() => validateConfig(example)).not.toThrow();
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const differing = CONFIG_KEYS.filter((k) => DEFAULTS[k] !== null && !same(example[k], DEFAULTS[k]));
    expect(differing).toEqual([]);
  });

  it("the README's configuration table lists every key of the schema, in order, with its default", () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('<!-- section: config -->'));
    const table = section.slice(0, section.indexOf('\n\n**'));
    const rows = [...table.matchAll(/^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \| `([^`]+)` \|/gm)];
    // A `|` in a table cell is written `\|`, in code spans too (GitHub's tables).
    const value = (def: string) => JSON.parse(def.replace(/\\\|/g, '|'));
    const listed = rows.flatMap(([, keys, def]) => keys.split(', ').map((k) => [k.slice(1, -1), value(def)]));
    expect(listed).toEqual(CONFIG_KEYS.map((k) => [k, DEFAULTS[k]]));
  });

  it('an unparsable redis_url is refused without its password', () => {
    const refuse = () => validateConfig({ redis_url: 'redis://:se cret/pw@host:1' });
    expect(refuse).toThrow('got "redis://:***@host:1"');
    expect(refuse).not.toThrow(/se cret/);
  });

  it('runtime keys are the ones the handlers read, AWS-side keys stay out', () => {
    expect(RUNTIME_KEYS).toContain('redis_url');
    expect(RUNTIME_KEYS).toContain('max_name_length');
    const awsSide = ['api_key', 'stage', 'region', 'vpc', 'throttle', 'extra_wiring'] as const;
    for (const k of awsSide) expect(RUNTIME_KEYS).not.toContain(k);
  });

  it.each([
    [{ countng: 'exact' }, /unknown config key "countng"/],
    [{ redisUrl: 'redis://x' }, /did you mean "redis_url"/],
    [{ counting: 'approx' }, /"counting" must be one of "hll", "exact"/],
    [{ redis_url: 'http://x:6379' }, /"redis_url" must start with redis:\/\/ or rediss:\/\//],
    [{ redis_url: 'not a url' }, /"redis_url" must be a URL/],
    [{ redis_url: 'redis://h:6379/abc' }, /"redis_url" has a database "abc"/],
    [{ redis_command_timeout_ms: 0 }, /"redis_command_timeout_ms" must be a whole number from 10/],
    [{ max_name_length: 1.5 }, /"max_name_length" must be a whole number/],
    [{ allowed_experiments: ['a', ''] }, /"allowed_experiments" must be a list of non-empty strings/],
    [{ api_key: 'short' }, /"api_key" must be 20 to 128 printable characters/],
    [{ key_prefix: 'a{b' }, /"key_prefix" must be at most 64 characters without spaces or braces/],
    [{ vpc: { subnet_ids: ['s'] } }, /"vpc.security_group_ids" must be a list/],
    [{ throttle: { rate_limit: 1, burst_limit: 2, extra: 1 } }, /"throttle.extra" is not a known key/],
    [{ region: 'moon-1' }, /"region" must be an AWS region/],
  ])('refuses %j naming the key', (input, message) => {
    expect(() => validateConfig(input, 'f.json')).toThrow(ConfigError);
    expect(() => validateConfig(input, 'f.json')).toThrow(message);
  });

  it('names the flag, not the file, when a flag carried the value', () => {
    let err: ConfigError | undefined;
    try {
      validateConfig({ redis_url: 'http://x:1' }, '--redis-url');
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.message).toMatch(/^--redis-url: config key "redis_url" must start with redis:\/\//);
    expect(err?.hint).toBe('pass a corrected --redis-url');
  });

  it('accepts TLS, passwords and a database number', () => {
    expect(validateConfig({ redis_url: 'rediss://:p%40ss@cache.example.com:6380/2' }).redis_url).toBe(
      'rediss://:p%40ss@cache.example.com:6380/2',
    );
  });
});

describe('environment', () => {
  it('ABTEST_* variables override keys, typed', () => {
    const c = configFromEnv({
      ABTEST_REDIS_URL: 'redis://h:1/0',
      ABTEST_COUNTING: 'exact',
      ABTEST_MAX_NAME_LENGTH: '64',
      ABTEST_REDIS_CLUSTER: 'true',
      ABTEST_ALLOWED_EXPERIMENTS: 'a, b',
      ABTEST_THROTTLE: '{"rate_limit":5,"burst_limit":10}',
      PATH: '/bin',
    });
    expect(c).toMatchObject({
      redis_url: 'redis://h:1/0',
      counting: 'exact',
      max_name_length: 64,
      redis_cluster: true,
      allowed_experiments: ['a', 'b'],
      throttle: { rate_limit: 5, burst_limit: 10 },
    });
  });

  it('refuses an unknown ABTEST_ variable and a bad value, naming it', () => {
    expect(() => configFromEnv({ ABTEST_COUNT: 'hll' })).toThrow(/unknown environment variable ABTEST_COUNT/);
    expect(() => configFromEnv({ ABTEST_MAX_NAME_LENGTH: 'ten' })).toThrow(/"max_name_length" must be a whole number/);
    expect(() => configFromEnv({ ABTEST_VPC: '{bad' })).toThrow(/ABTEST_VPC is not valid JSON/);
  });

  it('configToEnv carries exactly the runtime keys that differ from defaults, and round-trips', () => {
    const c = validateConfig({
      redis_url: 'redis://h:1',
      counting: 'exact',
      allowed_experiments: ['x'],
      region: 'eu-west-1',
      max_goals_per_experiment: 3,
    });
    const env = configToEnv(c);
    expect(env).toEqual({
      ABTEST_REDIS_URL: 'redis://h:1',
      ABTEST_COUNTING: 'exact',
      ABTEST_ALLOWED_EXPERIMENTS: '["x"]',
      ABTEST_MAX_GOALS_PER_EXPERIMENT: '3',
    });
    expect(configFromEnv(env)).toMatchObject({
      redis_url: 'redis://h:1',
      counting: 'exact',
      allowed_experiments: ['x'],
      max_goals_per_experiment: 3,
    });
  });
});

describe('loadConfig', () => {
  it('reads --config, else ./abtest.config.json, else ~/.abtest/config.json; env overrides', () => {
    const cwd = tmp();
    const home = tmp();
    fs.mkdirSync(path.join(home, '.abtest'));
    fs.writeFileSync(path.join(home, '.abtest', 'config.json'), JSON.stringify({ namespace: 'home' }));
    expect(loadConfig({ cwd, home, env: {} }).config.namespace).toBe('home');
    fs.writeFileSync(path.join(cwd, 'abtest.config.json'), JSON.stringify({ namespace: 'cwd' }));
    expect(loadConfig({ cwd, home, env: {} })).toMatchObject({
      config: { namespace: 'cwd' },
      path: path.join(cwd, 'abtest.config.json'),
    });
    fs.writeFileSync(path.join(cwd, 'other.json'), JSON.stringify({ namespace: 'flag' }));
    expect(loadConfig({ file: 'other.json', cwd, home, env: {} }).config.namespace).toBe('flag');
    expect(loadConfig({ file: 'other.json', cwd, home, env: { ABTEST_NAMESPACE: 'env' } }).config.namespace).toBe(
      'env',
    );
  });

  it('with no file at all gives the defaults', () => {
    expect(loadConfig({ cwd: tmp(), home: tmp(), env: {} })).toEqual({ config: DEFAULTS, path: null });
  });

  it('names the file and the fix when it is missing, not JSON or wrong', () => {
    const cwd = tmp();
    expect(() => loadConfig({ file: 'nope.json', cwd, env: {} })).toThrow(/cannot read config file .*nope\.json/);
    fs.writeFileSync(path.join(cwd, 'bad.json'), '{ "namespace": ');
    expect(() => loadConfig({ file: 'bad.json', cwd, env: {} })).toThrow(/bad\.json is not valid JSON/);
    fs.writeFileSync(path.join(cwd, 'typo.json'), '{ "namspace": "x" }');
    expect(() => loadConfig({ file: 'typo.json', cwd, env: {} })).toThrow(/typo\.json: unknown config key "namspace"/);
  });
});

describe('extra_wiring', () => {
  const base = JSON.parse(fs.readFileSync(path.join(root, 'wiring.json'), 'utf8'));

  it.each([
    [
      { functions: [{ name: 'hit', handler: 'hit', memory: 256, timeout: 5 }] },
      /functions\[0\].handler" must be a handler/,
    ],
    [
      { functions: [{ name: 'hit', handler: 'hit.h', memory: 64, timeout: 5 }] },
      /functions\[0\].memory" must be a whole number/,
    ],
    [{ routes: [{ path: 'hit', method: 'GET', function: 'track' }] }, /"extra_wiring.routes\[0\].path" must be a path/],
    [
      { routes: [{ path: '/hit', method: 'FETCH', function: 'track' }] },
      /"extra_wiring.routes\[0\].method" must be one of/,
    ],
    [{ routes: {} }, /"extra_wiring.routes" must be a list/],
  ])('the config refuses the shape %j, naming the entry', (extra, message) => {
    expect(() => validateConfig({ extra_wiring: extra })).toThrow(message);
  });

  it('the merge refuses what needs wiring.json too, and keeps the checked entries', () => {
    const unknown = validateConfig({ extra_wiring: { routes: [{ path: '/hit', method: 'get', function: 'nope' }] } });
    expect(() => mergeWiring(base, unknown.extra_wiring)).toThrow(/names function "nope", which is not in wiring/);
    const twice = validateConfig({ extra_wiring: { routes: [{ path: '/track', method: 'get', function: 'track' }] } });
    expect(() => mergeWiring(base, twice.extra_wiring)).toThrow(/route GET \/track appears twice/);
    const ok = validateConfig({ extra_wiring: { routes: [{ path: '/hit', method: 'get', function: 'track' }] } });
    const added = mergeWiring(base, ok.extra_wiring).routes.at(-1);
    expect(added).toEqual({ path: '/hit', method: 'GET', function: 'track', apiKeyRequired: false });
  });
});

describe('ConfigError', () => {
  it('keeps the cause of a file that cannot be read or parsed', () => {
    const cwd = tmp();
    fs.writeFileSync(path.join(cwd, 'bad.json'), '{');
    for (const file of ['nope.json', 'bad.json']) {
      let err: ConfigError | undefined;
      try {
        loadConfig({ file, cwd, env: {} });
      } catch (e) {
        err = e as ConfigError;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err?.cause).toHaveProperty('message', expect.any(String));
    }
  });
});
