import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { configToEnv } from '../../src/config';
import { startTestRedis, testConfig, type PrivateRedis } from '../helpers/redis';

/**
 * The built bundles (what deploy zips) called with API Gateway REST proxy events as API
 * Gateway sends them (test/fixtures), against a real redis-server.
 */
const dist = path.join(__dirname, '..', '..', 'dist', 'lambdas');
const fixture = (name: string): APIGatewayProxyEvent => require(`../fixtures/${name}.json`);
let redis: PrivateRedis;
type Bundle = {
  handler: (e: APIGatewayProxyEvent) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;
};
let track: Bundle;
let experiments: Bundle;
const saved = { ...process.env };

beforeAll(async () => {
  redis = await startTestRedis();
  Object.assign(process.env, configToEnv(testConfig(redis.url, { counting: 'exact' })));
  jest.isolateModules(() => {
    track = require(path.join(dist, 'track.js'));
    experiments = require(path.join(dist, 'experiments.js'));
  });
});
afterAll(async () => {
  for (const b of [track, experiments]) await (b.handler as unknown as { close(): Promise<void> }).close();
  process.env = saved;
  await redis.stop();
});

it('counts a GimelAdapter GET and a sendBeacon POST, and reports them', async () => {
  const get = await track.handler(fixture('apigw-track-get'));
  expect(get.statusCode).toBe(200);
  expect(get.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' });
  const post = await track.handler(fixture('apigw-track-post-beacon'));
  expect(JSON.parse(post.body)).toEqual({ status: 'ok', stored: 2 });
  const res = await experiments.handler(fixture('apigw-experiments-get'));
  expect(res.statusCode).toBe(200);
  const [meta, exp] = JSON.parse(res.body);
  expect(meta.meta).toMatchObject({ namespace: 'alephbet', scope: 'button+color' });
  expect(exp).toEqual({
    experiment: 'button color',
    counting: 'exact',
    standard_error: 0,
    variants: [{ label: 'red', participants: 1 }],
    goals: [{ goal: 'checkout', results: [{ label: 'red', successes: 1, trials: 1 }] }],
  });
});
