import { redactUrl } from '../../src/redact';
import { devAddress } from '../../cli/dev/address';
import { isLocalHost } from '../../cli/dev/server';

describe('redactUrl', () => {
  it.each([
    ['redis://:pw@host:6379/0', 'redis://:***@host:6379/0'],
    ['rediss://user:pw@host:6380', 'rediss://user:***@host:6380'],
    ['redis://pw@host', 'redis://***@host'],
    ['redis://host:6379', 'redis://host:6379'],
    ['got "redis://:pa ss@host:99999" (bad port)', 'got "redis://:***@host:99999" (bad port)'],
    ['redis://:a/b#c@host', 'redis://:***@host'],
    ['two: redis://:x@a and rediss://u:y@b', 'two: redis://:***@a and rediss://u:***@b'],
  ])('%s', (text, hidden) => expect(redactUrl(text)).toBe(hidden));
});

describe('abtest dev addresses', () => {
  it.each([
    ['localhost:8787', true],
    ['127.0.0.1', true],
    ['[::1]:80', true],
    ['LOCALHOST', true],
    ['attacker.example', false],
    ['localhost.attacker.example:8787', false],
    ['127.0.0.1.nip.io', false],
    [undefined, false],
  ])('Host %p is local: %p', (host, local) => expect(isLocalHost(host)).toBe(local));

  it('prints the bound address, not 127.0.0.1, for a wildcard or a specific interface', () => {
    const loopback = devAddress({ address: '127.0.0.1', port: 1, family: 'IPv4' });
    expect(loopback).toMatchObject({ url: 'http://127.0.0.1:1', network: false });
    const any = devAddress({ address: '0.0.0.0', port: 2, family: 'IPv4' });
    expect(any).toMatchObject({ listen: '0.0.0.0:2', localUrl: 'http://127.0.0.1:2', network: true });
    const one = devAddress({ address: '10.1.2.3', port: 3, family: 'IPv4' });
    expect(one).toMatchObject({ url: 'http://10.1.2.3:3', localUrl: null });
    expect(devAddress({ address: '::1', port: 4, family: 'IPv6' }).url).toBe('http://[::1]:4');
  });
});
