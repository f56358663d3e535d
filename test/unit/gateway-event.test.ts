import type http from 'node:http';
import { GatewayEvent } from '../../cli/dev/server';
import { CHECKED_EVENT, checkEvent } from '../../src/http';

/** A request as the gateway sees it: method, version and raw headers. */
const req = (raw: string[]) =>
  ({ method: 'GET', httpVersion: '1.1', rawHeaders: raw }) as unknown as http.IncomingMessage;
const route = { path: '/participate', method: 'GET', function: 'sixpack' } as never;
const single = (raw: string[]) => {
  const map: Record<string, string> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) map[raw[i]] = raw[i + 1];
  return map;
};
const event = (search: string, raw: string[] = ['Host', 'x', 'Accept', 'a', 'Accept', 'b']) =>
  new GatewayEvent(req(raw), { path: '/participate', search }, route, null, 'dev', '203.0.113.7', {
    single: single(raw),
    own: {},
    raw,
  });

describe('the proxy event of the local gateway', () => {
  it('has API Gateway’s maps: percent-decoded, + kept, the last value single, every value multi', () => {
    const e = event('alternatives=a&alternatives=b%20c&x=1+2&flag&=v&&__proto__=p');
    // Entries, since `__proto__` in an object literal would set a prototype rather than a key.
    expect(Object.entries(e.queryStringParameters!)).toEqual([
      ['alternatives', 'b c'],
      ['x', '1+2'],
      ['flag', ''],
      ['', 'v'],
      ['__proto__', 'p'],
    ]);
    expect(Object.getPrototypeOf(e.queryStringParameters)).toBeNull();
    expect(Object.entries(e.multiValueQueryStringParameters!)).toEqual([
      ['alternatives', ['a', 'b c']],
      ['x', ['1+2']],
      ['flag', ['']],
      ['', ['v']],
      ['__proto__', ['p']],
    ]);
    expect({ ...e.headers }).toEqual({ Host: 'x', Accept: 'b' });
    expect({ ...e.multiValueHeaders }).toEqual({ Host: ['x'], Accept: ['a', 'b'] });
    // Built once, when first read.
    expect(e.multiValueHeaders).toBe(e.multiValueHeaders);
    expect(e.requestContext.identity.sourceIp).toBe('203.0.113.7');
  });

  it('has null maps for an empty query string, as API Gateway gives', () => {
    const e = event('');
    expect([e.queryStringParameters, e.multiValueQueryStringParameters]).toEqual([null, null]);
  });

  it('is taken by checkEvent as it is; an event from JSON never is', () => {
    const e = event('a=1');
    expect(checkEvent(e)).toBe(e);
    const json = JSON.parse(JSON.stringify({ ...e, 'abtest.checked-event': true, headers: { h: 1 } }));
    expect(json[CHECKED_EVENT]).toBeUndefined();
    expect(() => checkEvent(json)).toThrow('h must be a string');
  });
});
