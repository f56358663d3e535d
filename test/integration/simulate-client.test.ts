import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '../../cli/simulate/client';
import type { Event } from '../../cli/simulate/traffic';

/** simulate's HTTP client against a server that answers /track from a script of answers. */
let server: http.Server;
let base = '';
let answers: { status: number; body: string }[] = [];
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const a = answers.shift() ?? { status: 200, body: '{"status":"ok","stored":1}' };
    res.writeHead(a.status, { 'Content-Type': 'application/json' }).end(a.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
  answers = [];
});

const event: Event = { namespace: 'ns', experiment: 'e', variant: 'a', event: 'participate', uuid: 'u1' };
const ok = (extra = {}) => JSON.stringify({ status: 'ok', stored: 1, ...extra });

describe('simulate client', () => {
  it('retries 408 and 429 as it does 5xx (isRetryable), and then counts the request as sent', async () => {
    answers = [429, 408, 503].map((status) => ({ status, body: '{}' }));
    answers.push({ status: 200, body: ok() });
    const client = new Client(base, 'key');
    await client.send({ kind: 'get', event });
    expect(seen).toHaveLength(4);
    expect(client.tally).toMatchObject({ sent: 4, retries: 3, failed: 0, rejected: 0 });
    expect(client.problems).toEqual([]);
  });

  it('takes another 4xx as final: one attempt, one failure', async () => {
    answers = [{ status: 400, body: '{"status":"failed","message":"variant is missing","field":"variant"}' }];
    const client = new Client(base, 'key');
    await client.send({ kind: 'get', event });
    expect(seen).toHaveLength(1);
    expect(client.tally).toMatchObject({ sent: 1, retries: 0, failed: 1 });
    expect(client.problems).toEqual([expect.stringMatching(/^a track request failed \(400\): .*variant is missing/)]);
  });

  it('takes a 200 that says the client is excluded (a bot, an ignored address) as a failure that names why', async () => {
    answers = [{ status: 200, body: JSON.stringify({ status: 'ok', stored: 0, excluded: 'ignored_ip' }) }];
    const client = new Client(base, 'key');
    await client.send({ kind: 'get', event });
    expect(seen).toHaveLength(1);
    expect(client.tally).toMatchObject({ sent: 1, retries: 0, failed: 1, rejected: 0 });
    expect(client.problems).toEqual([
      'the server counts nothing of this client (excluded: ignored_ip): its address is in ignored_ips',
    ]);
  });

  it('counts the events a 200 lists in rejected as refused, not stored', async () => {
    const rejected = [
      { index: 1, field: 'experiment', message: 'experiment "x" is not in allowed_experiments' },
      { index: 2, field: 'experiment', message: 'experiment "x" is not in allowed_experiments' },
    ];
    answers = [
      { status: 200, body: ok({ rejected }) },
      { status: 200, body: ok({ rejected }) },
    ];
    const client = new Client(base, 'key');
    const refusedEvent = { ...event, experiment: 'x' };
    const batch = { kind: 'post' as const, events: [event, refusedEvent, refusedEvent] };
    await client.send(batch);
    await client.send(batch);
    expect(client.tally).toMatchObject({ sent: 2, retries: 0, failed: 0, rejected: 4 });
    // One line for all of them, after the failed requests, so that no cap on those hides it.
    expect(client.problems).toEqual([
      '4 event(s) refused, not stored: experiment: experiment "x" is not in allowed_experiments',
    ]);
  });
});
