import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { queryParams } from '../../cli/dev/server';
import { experiments } from '../../src/api';
import { assign } from '../../src/assign';
import { configToEnv, type Config } from '../../src/config';
import { admin as adminRoute } from '../../src/experiments/routes';
import { makeHandler, type Handler } from '../../src/handler';
import type { ProxyResult } from '../../src/http';
import { sixpack } from '../../src/sixpack/route';
import { proxyEvent } from '../helpers/events';
import { commandCalls, startTestRedis, testConfig, type PrivateRedis } from '../helpers/redis';

/**
 * The Sixpack routes in-process against a real redis-server: Sixpack's error catalogue with
 * its exact bodies, the sha1 choice, stored assignments across a change of weights, the
 * lifecycle, traffic fraction and what is counted (../shared/reference/sixpack-api.md).
 */

let redis: PrivateRedis;
let admin: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});
const opened: Handler[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((h) => h.close()));
});

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64)';

/** A proxy event of `GET <path>?<search>` as `abtest dev` (and API Gateway) makes it: repeated parameters too. */
function sixpackEvent(path: string, search: string, headers: Record<string, string> = { 'User-Agent': BROWSER }) {
  const q = queryParams(search);
  return {
    ...proxyEvent('GET', path, { headers }),
    queryStringParameters: q.single,
    multiValueQueryStringParameters: q.multi,
  };
}

function container(overrides: Partial<Config> = {}) {
  const config = testConfig(redis.url, { counting: 'exact', ...overrides });
  const env = configToEnv(config);
  const h = {
    sixpack: makeHandler(sixpack, env),
    experiments: makeHandler(experiments, env),
    admin: makeHandler(adminRoute, env),
  };
  opened.push(...Object.values(h));
  const get = (path: string, search: string, headers?: Record<string, string>) =>
    h.sixpack(sixpackEvent(path, search, headers));
  const adminPost = (route: string, experiment: string, body: unknown) =>
    h.admin(proxyEvent('POST', route, { query: { namespace: 'alephbet', experiment }, body: JSON.stringify(body) }));
  return {
    config,
    get,
    participate: (search: string, headers?: Record<string, string>) => get('/participate', search, headers),
    convert: (search: string, headers?: Record<string, string>) => get('/convert', search, headers),
    state: (experiment: string, body: unknown) => adminPost('/definition/state', experiment, body),
    put: (experiment: string, body: unknown) =>
      h.admin(
        proxyEvent('PUT', '/definition', { query: { namespace: 'alephbet', experiment }, body: JSON.stringify(body) }),
      ),
    weights: (experiment: string, body: unknown) => adminPost('/definition/weights', experiment, body),
    definition: async (experiment: string) =>
      JSON.parse(
        (await h.admin(proxyEvent('GET', '/definition', { query: { namespace: 'alephbet', experiment } }))).body,
      ).definition,
    /** participants and goal successes by variant, of the current phase. */
    counts: async (experiment: string) => {
      const res = await h.experiments(proxyEvent('GET', '/experiments', { query: { scope: experiment } }));
      const [, r] = JSON.parse(res.body);
      if (!r) return null;
      const participants = Object.fromEntries(
        r.variants.map((v: { label: string; participants: number }) => [v.label, v.participants]),
      );
      const goals = Object.fromEntries(
        r.goals.map((g: { goal: string; results: { label: string; successes: number }[] }) => [
          g.goal,
          Object.fromEntries(g.results.map((x) => [x.label, x.successes])),
        ]),
      );
      return { participants, goals };
    },
  };
}
type C = ReturnType<typeof container>;

const alternativeOf = (r: ProxyResult): string => JSON.parse(r.body).alternative.name;
const sha1Choice = (experiment: string, clientId: string, alternatives: string[]): string =>
  alternatives[
    Number.parseInt(createHash('sha1').update(`${experiment}.${clientId}`).digest('hex').slice(0, 7), 16) %
      alternatives.length
  ];
const alts = (...names: string[]) => names.map((n) => `alternatives=${n}`).join('&');

describe('Sixpack answers, byte for byte', () => {
  it('participate and convert answer Sixpack keys with Python separators, JSONP with a valid callback only', async () => {
    const c = container();
    const id = '12345678-1234-5678-1234-567812345678';
    const first = await c.participate(`experiment=button_color&${alts('red', 'blue')}&client_id=${id}`);
    expect(first.statusCode).toBe(200);
    expect(first.headers?.['Content-Type']).toBe('application/json');
    expect(first.body).toBe(
      `{"status": "ok", "alternative": {"name": "red"}, "experiment": {"name": "button_color"}, "client_id": "${id}"}`,
    );
    // Another order is accepted; the stored order decides. A valid callback wraps, another is ignored.
    const jsonp = await c.participate(
      `experiment=button_color&${alts('blue', 'red')}&client_id=${id}&callback=seatgeek.cb`,
    );
    expect(jsonp.headers?.['Content-Type']).toBe('application/javascript');
    expect(jsonp.body).toBe(`seatgeek.cb(${first.body})`);
    const bad = await c.participate(
      `experiment=button_color&${alts('red', 'blue')}&client_id=${id}&callback=alert();foo`,
    );
    expect(bad.body).toBe(first.body);
    const conv = await c.convert(`experiment=button_color&client_id=${id}&kpi=purchase`);
    expect(conv.body).toBe(
      `{"status": "ok", "alternative": {"name": "red"}, "experiment": {"name": "button_color"}, "conversion": {"value": null, "kpi": "purchase"}, "client_id": "${id}"}`,
    );
    const status = await c.get('/_status', '');
    expect(status.statusCode).toBe(200);
    expect(JSON.parse(status.body)).toEqual({ status: 'ok', version: expect.any(String) });
    expect(status.body).toMatch(/^\{"status": "ok", "version": "[^"]+"\}$/);
  });
});

describe("Sixpack's error catalogue (§11), every row, with its exact message and status", () => {
  let c: C;
  beforeAll(async () => {
    c = container();
    expect((await c.participate(`experiment=conv&${alts('red', 'blue')}&client_id=c1`)).statusCode).toBe(200);
    expect((await c.participate(`experiment=pf&${alts('red', 'blue')}&client_id=p1&prefetch=YES`)).statusCode).toBe(
      200,
    );
    await c.participate(`experiment=tf&${alts('red', 'blue')}&client_id=t0&traffic_fraction=0.000001`);
  });

  const failed = (message: string) => `{"status": "failed", "message": "${message}"}`;
  const rows: [string, string, string, string][] = [
    ['participate without client_id', '/participate', `experiment=conv&${alts('red', 'blue')}`, 'missing arguments'],
    ['participate without experiment', '/participate', `client_id=c1&${alts('red', 'blue')}`, 'missing arguments'],
    ['convert without client_id', '/convert', 'experiment=conv', 'missing arguments'],
    ['convert without experiment', '/convert', 'client_id=c1', 'missing arguments'],
    [
      'no alternatives',
      '/participate',
      'experiment=conv&client_id=c1',
      'experiments require at least two alternatives',
    ],
    [
      'one alternative',
      '/participate',
      'experiment=new&alternatives=red&client_id=c1',
      'experiments require at least two alternatives',
    ],
    [
      'a bad alternative name',
      '/participate',
      `experiment=new2&${alts('red', '%25%25')}&client_id=c1`,
      'invalid alternative name',
    ],
    [
      'a leading dash',
      '/participate',
      `experiment=new3&${alts('Red', '-blue')}&client_id=c1`,
      'invalid alternative name',
    ],
    [
      'fraction 0 on create',
      '/participate',
      `experiment=new4&${alts('red', 'blue')}&client_id=c1&traffic_fraction=0`,
      'invalid traffic fraction range',
    ],
    [
      'fraction 1.5 on an existing one',
      '/participate',
      `experiment=conv&${alts('red', 'blue')}&client_id=c1&traffic_fraction=1.5`,
      'invalid traffic fraction range',
    ],
    [
      'fraction -0.5',
      '/participate',
      `experiment=conv&${alts('red', 'blue')}&client_id=c1&traffic_fraction=-0.5`,
      'invalid traffic fraction range',
    ],
    [
      'another alternative',
      '/participate',
      `experiment=conv&${alts('red', 'green')}&client_id=c1`,
      'experiment alternatives have changed. please delete in the admin',
    ],
    [
      'one more alternative',
      '/participate',
      `experiment=conv&${alts('red', 'blue', 'green')}&client_id=c1`,
      'experiment alternatives have changed. please delete in the admin',
    ],
    [
      'convert of an unknown experiment',
      '/convert',
      'experiment=no-such-exp&client_id=c1',
      'experiment does not exist',
    ],
    [
      'a bot on an unknown experiment',
      '/participate',
      `experiment=never-created&${alts('red', 'blue')}&client_id=b&user_agent=Googlebot`,
      'experiment does not exist',
    ],
    [
      'a client that never participated',
      '/convert',
      'experiment=conv&client_id=never',
      'this client was not participating',
    ],
    ['a prefetch-only client', '/convert', 'experiment=pf&client_id=p1', 'this client was not participating'],
    [
      'a client outside the traffic fraction',
      '/convert',
      'experiment=tf&client_id=t0',
      'this client was not participating',
    ],
    [
      'a bad kpi of an unknown client',
      '/convert',
      'experiment=conv&client_id=nobody&kpi=bad%20kpi',
      'this client was not participating',
    ],
    ['a bad kpi', '/convert', 'experiment=conv&client_id=c1&kpi=bad%20kpi', 'invalid kpi name'],
    ['an empty kpi', '/convert', 'experiment=conv&client_id=c1&kpi=', 'invalid kpi name'],
  ];
  it.each(rows)('%s: 400 %s', async (_what, path, search, message) => {
    const res = await c.get(path, search);
    expect({ status: res.statusCode, body: res.body }).toEqual({ status: 400, body: failed(message) });
    const wrapped = await c.get(path, `${search}&callback=cb`);
    expect({ status: wrapped.statusCode, body: wrapped.body }).toEqual({ status: 400, body: `cb(${failed(message)})` });
  });

  it('archived and paused experiments refuse conversions (archive checked first)', async () => {
    await c.participate(`experiment=st&${alts('red', 'blue')}&client_id=s1`);
    expect((await c.state('st', { state: 'paused' })).statusCode).toBe(200);
    const paused = await c.convert('experiment=st&client_id=s1');
    expect([paused.statusCode, paused.body]).toEqual([
      400,
      failed('this experiment is paused and can not receive updates.'),
    ]);
    expect((await c.state('st', { state: 'archived' })).statusCode).toBe(200);
    const archived = await c.convert('experiment=st&client_id=s1');
    expect([archived.statusCode, archived.body]).toEqual([
      400,
      failed('this experiment is archived and can no longer be updated'),
    ]);
  });

  it('an unknown path is 404 not found', async () => {
    const res = await c.get('/experiments/x', '');
    expect([res.statusCode, res.body]).toEqual([404, failed('not found')]);
  });

  it('where Sixpack answers an unhandled 500, abtest answers 400 naming the field, and stores nothing', async () => {
    for (const [search, field] of [
      [`experiment=bad1&${alts('red', 'blue')}&client_id=c1&traffic_fraction=abc`, 'traffic_fraction'],
      [`experiment=bad1&${alts('red', 'blue')}&client_id=c1&traffic_fraction=`, 'traffic_fraction'],
      [`experiment=bad1&${alts('red', 'blue')}&client_id=c1&datetime=not-a-date`, 'datetime'],
      [`experiment=bad1&${alts('red', 'blue')}&client_id=c1&datetime=2014-02-30`, 'datetime'],
    ]) {
      const res = await c.participate(search);
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'failed', field });
    }
    expect(await c.definition('bad1')).toBeUndefined();
    const dated = await c.participate(
      `experiment=bad2&${alts('red', 'blue')}&client_id=c1&datetime=2014-01-02T10:00:00`,
    );
    expect(dated.statusCode).toBe(200);
  });
});

describe('Redis down', () => {
  it('answers 503 redis is not available within the deadline, never JSONP-wrapped; missing arguments stays 400', async () => {
    const config = testConfig('redis://127.0.0.1:1', { redis_command_timeout_ms: 300, redis_connect_timeout_ms: 300 });
    const h = makeHandler(sixpack, configToEnv(config));
    opened.push(h);
    const down = `{"status": "failed", "message": "redis is not available"}`;
    for (const [path, search] of [
      ['/_status', ''],
      ['/participate', `experiment=x&${alts('a', 'b')}&client_id=1`],
      ['/participate', `experiment=x&${alts('a', 'b')}&client_id=1&callback=cb`],
      ['/convert', 'experiment=x&client_id=1'],
    ]) {
      const started = Date.now();
      const res = await h(sixpackEvent(path, search));
      expect({ path, status: res.statusCode, body: res.body, type: res.headers?.['Content-Type'] }).toEqual({
        path,
        status: 503,
        body: down,
        type: 'application/json',
      });
      expect(Date.now() - started).toBeLessThan(3000);
    }
    const missing = await h(sixpackEvent('/participate', `experiment=x&${alts('a', 'b')}`));
    expect([missing.statusCode, missing.body]).toEqual([400, `{"status": "failed", "message": "missing arguments"}`]);
  });
});

describe("Sixpack's choice", () => {
  it.each([2, 3, 5])('1,000 client ids × %i alternatives: the sha1 rule, and the same answer again', async (n) => {
    const c = container();
    const names = ['red', 'blue', 'green', 'gold', 'grey'].slice(0, n);
    const experiment = `sha-${n}`;
    const ids = Array.from({ length: 1000 }, (_, i) => `client-${i}-${(i * 7919).toString(36)}`);
    const got = await Promise.all(
      ids.map(async (id) =>
        alternativeOf(await c.participate(`experiment=${experiment}&${alts(...names)}&client_id=${id}`)),
      ),
    );
    expect(got).toEqual(ids.map((id) => sha1Choice(experiment, id, names)));
    // Reversed order in the request: the stored order decides.
    const again = await c.participate(`experiment=${experiment}&${alts(...[...names].reverse())}&client_id=${ids[0]}`);
    expect(alternativeOf(again)).toBe(got[0]);
    expect(Object.values((await c.counts(experiment))!.participants).reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('requested alternatives are compared one by one: a newline in one does not make two', async () => {
    const c = container();
    const q = `experiment=lines&client_id=n1`;
    expect((await c.participate(`${q}&${alts('a', 'b', 'c')}`)).statusCode).toBe(200);
    // Joined by newlines, "a\nb" and "c" read like the stored "a", "b", "c".
    const res = await c.participate(`${q}&${alts('a%0Ab', 'c')}`);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).message).toBe('experiment alternatives have changed. please delete in the admin');
  });

  it("the reference's worked example and its definition: running, equal weights, control first, created through Sixpack", async () => {
    const c = container();
    const id = '12345678-1234-5678-1234-567812345678';
    expect(alternativeOf(await c.participate(`experiment=button_color&${alts('red', 'blue')}&client_id=${id}`))).toBe(
      'red',
    );
    const d = await c.definition('button_color');
    expect(d).toMatchObject({
      state: 'running',
      sixpack: true,
      fallback: 'red',
      sample: 1,
      phase: 1,
      variants: [
        { label: 'red', weight: 1 },
        { label: 'blue', weight: 1 },
      ],
    });
  });
});

describe('stored assignments', () => {
  it('weights changed mid-experiment: assigned visitors keep their variant, new ones follow the new weights', async () => {
    const c = container();
    const before = Array.from({ length: 300 }, (_, i) => `old-${i}`);
    const first = new Map<string, string>();
    for (const id of before)
      first.set(id, alternativeOf(await c.participate(`experiment=w&${alts('a', 'b')}&client_id=${id}`)));
    expect((await c.weights('w', { weights: [3, 1] })).statusCode).toBe(200);
    for (const id of before) {
      expect([id, alternativeOf(await c.participate(`experiment=w&${alts('a', 'b')}&client_id=${id}`))]).toEqual([
        id,
        first.get(id),
      ]);
      const conv = await c.convert(`experiment=w&client_id=${id}`);
      expect(alternativeOf(conv)).toBe(first.get(id));
    }
    // New visitors: src/assign.ts with the new weights, 3:1 within ±3σ.
    const variants = [
      { label: 'a', weight: 3 },
      { label: 'b', weight: 1 },
    ];
    const fresh = Array.from({ length: 2000 }, (_, i) => `new-${i}`);
    let a = 0;
    for (const id of fresh) {
      const got = alternativeOf(await c.participate(`experiment=w&${alts('a', 'b')}&client_id=${id}`));
      expect([id, got]).toEqual([id, assign('w', id, variants).variant]);
      if (got === 'a') a++;
    }
    const sd = Math.sqrt(2000 * 0.75 * 0.25);
    expect(Math.abs(a - 1500)).toBeLessThan(3 * sd);
    // Phase 2 counts the 300 returning visitors and the 2000 new ones; conversions of the old ones.
    const counts = (await c.counts('w'))!;
    expect(counts.participants.a + counts.participants.b).toBe(2300);
    expect(counts.goals.convert.a + counts.goals.convert.b).toBe(300);
  });

  it('a participate and a convert are one round trip each (one script call)', async () => {
    const c = container();
    await c.participate(`experiment=rt&${alts('a', 'b')}&client_id=warm`);
    await c.convert('experiment=rt&client_id=warm');
    await admin.config('RESETSTAT');
    // One EVALSHA from the client; the rest runs inside the script (new visitor, exact mode; the
    // HINCRBY is the day bucket of a new member).
    await c.participate(`experiment=rt&${alts('a', 'b')}&client_id=v1`);
    expect(await commandCalls(admin)).toEqual(['evalsha=1', 'hget=1', 'hincrby=1', 'hmget=1', 'hset=1', 'sadd=2']);
    await admin.config('RESETSTAT');
    await c.participate(`experiment=rt&${alts('a', 'b')}&client_id=v1`);
    expect(await commandCalls(admin)).toEqual(['evalsha=1', 'hget=1', 'hmget=1', 'sadd=2']);
    await admin.config('RESETSTAT');
    await c.convert('experiment=rt&client_id=v1&kpi=buy');
    expect(await commandCalls(admin)).toEqual([
      'evalsha=1',
      'hget=1',
      'hincrby=1',
      'hmget=1',
      'sadd=3',
      'scard=1',
      'sismember=1',
    ]);
  });

  it('keeps what it needs of the definition in the meta hash, and reads the JSON again when that is stale or missing', async () => {
    const c = container();
    const meta = `${c.config.key_prefix}{alephbet:kept}:meta`;
    const def = `${c.config.key_prefix}{alephbet:kept}:def`;
    const ids = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const first = await c.participate(`experiment=kept&${alts('a', 'b')}&client_id=k0`);
    expect(alternativeOf(first)).toBe(sha1Choice('kept', 'k0', ['a', 'b']));
    expect(await admin.hget(meta, 'd')).toBe('2\trunning\t1\t1\ta\t\t1\n1\ta\nb');
    // Data of an older version: no `d`. The JSON answers, and `d` is written again.
    await admin.hdel(meta, 'd');
    const second = await c.participate(`experiment=kept&${alts('b', 'a')}&client_id=${ids[0]}`);
    expect(alternativeOf(second)).toBe(sha1Choice('kept', ids[0], ['a', 'b']));
    expect(await admin.hget(meta, 'd')).toBe('2\trunning\t1\t1\ta\t\t1\n1\ta\nb');
    // An older version saves a change (the JSON, `state`, `version`; not `d`): it is seen at once.
    const d = JSON.parse((await admin.get(def))!);
    await admin.set(def, JSON.stringify({ ...d, variants: [d.variants[0], { label: 'b', weight: 3 }], version: 3 }));
    await admin.hset(meta, 'version', '3');
    await c.participate(`experiment=kept&${alts('a', 'b')}&client_id=${ids[1]}`);
    expect(await admin.hget(meta, 'd')).toBe('3\trunning\t0\t1\ta\t\t1\n3\ta\nb');
    await admin.set(def, JSON.stringify({ ...d, state: 'paused', version: 4 }));
    await admin.hset(meta, 'version', '4', 'state', 'paused');
    expect(alternativeOf(await c.participate(`experiment=kept&${alts('a', 'b')}&client_id=${ids[2]}`))).toBe('a');
    expect((await c.convert(`experiment=kept&client_id=${ids[0]}`)).statusCode).toBe(400);
    // A meta that went with its definition left behind (a delete that died halfway): nothing is kept.
    await admin.del(meta);
    await admin.set(def, JSON.stringify({ ...d, version: 5 }));
    await c.participate(`experiment=kept&${alts('a', 'b')}&client_id=${ids[3]}`);
    expect(await admin.hget(meta, 'd')).toBeNull();
  });

  it('counts each visitor once (repeats, conversions, KPIs), and prefetch counts nothing', async () => {
    const c = container();
    for (let i = 0; i < 3; i++) await c.participate(`experiment=cnt&${alts('red', 'blue')}&client_id=v1`);
    await c.participate(`experiment=cnt&${alts('red', 'blue')}&client_id=v2&prefetch=true`);
    for (let i = 0; i < 2; i++) await c.convert('experiment=cnt&client_id=v1');
    await c.convert('experiment=cnt&client_id=v1&kpi=purchase');
    const v1 = sha1Choice('cnt', 'v1', ['red', 'blue']);
    const counts = (await c.counts('cnt'))!;
    expect(counts.participants[v1]).toBe(1);
    expect(Object.values(counts.participants).reduce((a, b) => a + b, 0)).toBe(1);
    expect(counts.goals.convert[v1]).toBe(1);
    expect(counts.goals.purchase[v1]).toBe(1);
  });
});

describe('traffic fraction by hash', () => {
  it('excluded visitors get the control, are not counted or stored, and stay excluded; the definition keeps its fraction', async () => {
    const c = container();
    const ids = Array.from({ length: 400 }, (_, i) => `tf-${i}`);
    const answers = new Map<string, string>();
    for (const id of ids) {
      const res = await c.participate(`experiment=tf&${alts('red', 'blue')}&client_id=${id}&traffic_fraction=0.25`);
      answers.set(id, alternativeOf(res));
    }
    const counts = (await c.counts('tf'))!;
    const counted = counts.participants.red + counts.participants.blue;
    const sd = Math.sqrt(400 * 0.25 * 0.75);
    expect(Math.abs(counted - 100)).toBeLessThan(3 * sd);
    const stored = await admin.hlen(`${c.config.key_prefix}{alephbet:tf}:asg`);
    expect(stored).toBe(counted);
    // The same answers again, also without traffic_fraction (which does not change the definition).
    for (const id of ids.slice(0, 100)) {
      expect(alternativeOf(await c.participate(`experiment=tf&${alts('red', 'blue')}&client_id=${id}`))).toBe(
        answers.get(id),
      );
    }
    expect((await c.definition('tf')).sample).toBe(0.25);
    const after = (await c.counts('tf'))!;
    expect(after.participants.red + after.participants.blue).toBe(counted);
  });
});

describe('lifecycle through the admin API', () => {
  it('winner: everyone gets it, nothing counted; force beats it; assigned visitors still convert', async () => {
    const c = container();
    const q = `experiment=life&${alts('red', 'blue', 'green')}`;
    const s1 = alternativeOf(await c.participate(`${q}&client_id=s1`));
    expect((await c.state('life', { state: 'rolled_out', winner: 'green' })).statusCode).toBe(200);
    expect(alternativeOf(await c.participate(`${q}&client_id=s1`))).toBe('green');
    expect(alternativeOf(await c.participate(`${q}&client_id=s3`))).toBe('green');
    expect(alternativeOf(await c.participate(`${q}&client_id=s3&force=blue`))).toBe('blue');
    expect(alternativeOf(await c.participate(`${q}&client_id=s3&user_agent=Googlebot`))).toBe('green');
    expect(alternativeOf(await c.convert('experiment=life&client_id=s1'))).toBe(s1);
    const s3 = await c.convert('experiment=life&client_id=s3');
    expect(JSON.parse(s3.body).message).toBe('this client was not participating');
  });

  it('paused and archived: the control, nothing counted', async () => {
    const c = container();
    const q = `experiment=pz&${alts('red', 'blue')}`;
    await c.participate(`${q}&client_id=x`);
    expect((await c.state('pz', { state: 'paused' })).statusCode).toBe(200);
    for (let i = 0; i < 20; i++) expect(alternativeOf(await c.participate(`${q}&client_id=p${i}`))).toBe('red');
    expect((await c.state('pz', { state: 'archived' })).statusCode).toBe(200);
    expect(alternativeOf(await c.participate(`${q}&client_id=p99`))).toBe('red');
    const counts = (await c.counts('pz'))!;
    expect(counts.participants.red + counts.participants.blue).toBe(1);
  });

  it('bots: the control (or winner), nothing counted, and convert answers excluded', async () => {
    const c = container();
    const q = `experiment=bots&${alts('red', 'blue')}`;
    await c.participate(`${q}&client_id=human`);
    for (const ua of ['Googlebot', '', '%2567ooglebot']) {
      expect(alternativeOf(await c.participate(`${q}&client_id=b-${ua}&user_agent=${ua}`))).toBe('red');
    }
    // The User-Agent header when no parameter is given.
    expect(alternativeOf(await c.participate(`${q}&client_id=hb`, { 'User-Agent': 'Googlebot/2.1' }))).toBe('red');
    const conv = await c.convert('experiment=bots&client_id=human&user_agent=Googlebot');
    expect(conv.body).toBe('{"status": "ok", "excluded": "true"}');
    const counts = (await c.counts('bots'))!;
    expect(counts.participants.red + counts.participants.blue).toBe(1);
    expect(counts.goals).toEqual({});
  });

  it('force: answered without counting, recorded with record_force, then convert finds it', async () => {
    const c = container();
    const q = `experiment=force&${alts('red', 'blue')}`;
    expect(alternativeOf(await c.participate(`${q}&client_id=f1&force=blue`))).toBe('blue');
    expect(alternativeOf(await c.participate(`${q}&client_id=f1&force=purple`))).toBe(
      sha1Choice('force', 'f1', ['red', 'blue']),
    );
    expect(alternativeOf(await c.participate(`${q}&client_id=f2&force=blue&record_force=true`))).toBe('blue');
    expect(alternativeOf(await c.convert('experiment=force&client_id=f2'))).toBe('blue');
  });

  it('an admin-defined experiment (weights 1:2, a label with ":"): src/assign.ts, counted where /experiments reads', async () => {
    const c = container();
    const variants = [
      { label: 'a:1', weight: 1 },
      { label: 'b', weight: 2 },
    ];
    expect((await c.put('adm', { variants })).statusCode).toBe(201);
    const q = `experiment=adm&${alts('b', 'a%3A1')}`;
    // A draft: the control, nothing counted, and no conversion.
    expect(alternativeOf(await c.participate(`${q}&client_id=d0`))).toBe('a:1');
    expect(JSON.parse((await c.convert('experiment=adm&client_id=d0')).body).message).toMatch(/draft/);
    expect((await c.state('adm', { state: 'running' })).statusCode).toBe(200);
    const seen: Record<string, number> = { 'a:1': 0, b: 0 };
    for (let i = 0; i < 60; i++) {
      const got = alternativeOf(await c.participate(`${q}&client_id=v${i}`));
      expect(got).toBe(assign('adm', `v${i}`, variants).variant);
      seen[got]++;
      await c.convert(`experiment=adm&client_id=v${i}`);
    }
    const counts = (await c.counts('adm'))!;
    expect(counts.participants).toEqual(seen);
    expect(counts.goals.convert).toEqual(seen);
  });
});

describe('over time', () => {
  it("Sixpack's datetime decides the day a participation and a conversion count in (the series of /experiments)", async () => {
    const c = container();
    const q = `experiment=dated&${alts('red', 'blue')}`;
    for (const [client, day] of [
      ['d1', '2026-01-02T10:00:00Z'],
      ['d2', '2026-01-02T23:00:00Z'],
      ['d3', '2026-01-04T08:00:00Z'],
    ]) {
      expect((await c.participate(`${q}&client_id=${client}&datetime=${day}`)).statusCode).toBe(200);
    }
    expect((await c.convert('experiment=dated&client_id=d1&kpi=buy&datetime=2026-01-03T09:00:00Z')).statusCode).toBe(
      200,
    );
    // Repeats count nothing, whatever day they give.
    expect((await c.participate(`${q}&client_id=d1&datetime=2026-01-05T00:00:00Z`)).statusCode).toBe(200);
    const h = makeHandler(experiments, configToEnv(c.config));
    opened.push(h);
    const res = await h(proxyEvent('GET', '/experiments', { query: { scope: 'dated', series: 'day' } }));
    const [, r] = JSON.parse(res.body);
    const perDay = r.series.points.map(
      (p: { start: string; variants: { participants: number; goals: { goal: string; conversions: number }[] }[] }) => [
        p.start,
        p.variants.reduce((s, v) => s + v.participants, 0),
        p.variants.reduce((s, v) => s + (v.goals.find((g) => g.goal === 'buy')?.conversions ?? 0), 0),
      ],
    );
    expect(perDay.slice(0, 3)).toEqual([
      ['2026-01-02', 2, 0],
      ['2026-01-03', 0, 1],
      ['2026-01-04', 1, 0],
    ]);
    expect(perDay.slice(3).every(([, p, cv]: [string, number, number]) => p === 0 && cv === 0)).toBe(true);
  });
});

describe('GET /assign: every live experiment of a namespace for one visitor', () => {
  const assignOf = async (c: C, search: string) => {
    const res = await c.get('/assign', search);
    expect(res.statusCode).toBe(200);
    return JSON.parse(res.body) as { recorded: boolean; assignments: Record<string, string> };
  };

  it('is deterministic, honours state, winner and sample, records only with record=1, and keeps recorded visitors when weights change', async () => {
    const c = container();
    const two = [
      { label: 'a', weight: 1 },
      { label: 'b', weight: 3 },
    ];
    for (const name of ['as-w', 'as-p', 'as-r', 'as-d'])
      expect((await c.put(name, { variants: two })).statusCode).toBe(201);
    for (const name of ['as-w', 'as-p', 'as-r'])
      expect((await c.state(name, { state: 'running' })).statusCode).toBe(200);
    expect((await c.state('as-p', { state: 'paused' })).statusCode).toBe(200);
    expect((await c.state('as-r', { state: 'rolled_out', winner: 'b' })).statusCode).toBe(200);
    // A Sixpack experiment: the sha1 rule.
    expect((await c.participate(`experiment=as-s&${alts('red', 'blue')}&client_id=first`)).statusCode).toBe(200);

    const first = await assignOf(c, 'visitor=u1');
    expect(first.recorded).toBe(false);
    expect(first.assignments['as-w']).toBe(assign('as-w', 'u1', two).variant);
    expect(first.assignments['as-p']).toBe('a');
    expect(first.assignments['as-r']).toBe('b');
    expect(first.assignments['as-s']).toBe(sha1Choice('as-s', 'u1', ['red', 'blue']));
    expect(first.assignments['as-d']).toBeUndefined();
    expect((await assignOf(c, 'visitor=u1')).assignments).toEqual(first.assignments);
    // Without record nothing is counted.
    expect((await c.counts('as-w'))!.participants).toEqual({ a: 0, b: 0 });

    // A weighted split within ± 3σ, recorded.
    const n = 1200;
    const seen: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < n; i++) {
      const r = await assignOf(c, `visitor=w${i}&record=1`);
      expect(r.recorded).toBe(true);
      seen[r.assignments['as-w']]++;
    }
    const sigma = Math.sqrt(n * 0.25 * 0.75);
    expect(Math.abs(seen.b - n * 0.75)).toBeLessThan(3 * sigma);
    expect((await c.counts('as-w'))!.participants).toEqual(seen);
    // Paused and rolled-out experiments count nothing.
    expect((await c.counts('as-p'))!.participants).toEqual({ a: 0, b: 0 });

    // Weights change: recorded visitors keep their variant.
    const before = await Promise.all([...Array(100).keys()].map((i) => assignOf(c, `visitor=w${i}`)));
    expect((await c.weights('as-w', { weights: [3, 1] })).statusCode).toBe(200);
    for (let i = 0; i < 100; i++) {
      expect((await assignOf(c, `visitor=w${i}`)).assignments['as-w']).toBe(before[i].assignments['as-w']);
    }
    // A bot is answered and not recorded.
    const bot = await c.get('/assign', 'visitor=bot1&record=1', { 'User-Agent': 'Googlebot/2.1' });
    expect(JSON.parse(bot.body).recorded).toBe(false);
  });

  it('refuses a missing or bad visitor and a bad record flag with 400 naming the field', async () => {
    const c = container();
    for (const [search, field] of [
      ['', 'visitor'],
      ['visitor=', 'visitor'],
      ['visitor=u&record=yes', 'record'],
    ]) {
      const res = await c.get('/assign', search);
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'failed', field });
    }
  });
});
