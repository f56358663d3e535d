import { clientAddress } from '../../cli/dev/server';

/** A request as the gateway server sees it: the socket's peer and the `X-Forwarded-For` header. */
const req = (peer: string | undefined, forwarded?: string) => ({ peer, forwarded });

describe('clientAddress: identity.sourceIp as API Gateway gives it', () => {
  it.each([
    ['an IPv4 peer', req('203.0.113.7'), false, '203.0.113.7'],
    ['an IPv4 peer on a dual-stack socket', req('::ffff:203.0.113.7'), false, '203.0.113.7'],
    ['an IPv6 peer', req('2001:db8::1'), false, '2001:db8::1'],
    [
      'X-Forwarded-For without --trust-proxy is the client’s word',
      req('127.0.0.1', '198.51.100.1'),
      false,
      '127.0.0.1',
    ],
    [
      'with --trust-proxy: the entry the proxy appended',
      req('127.0.0.1', '6.6.6.6, 198.51.100.1'),
      true,
      '198.51.100.1',
    ],
    ['with --trust-proxy and no header: the peer', req('::ffff:127.0.0.1'), true, '127.0.0.1'],
    ['with --trust-proxy and an empty header: the peer', req('127.0.0.1', ''), true, '127.0.0.1'],
  ])('%s', (_what, r, trust, expected) => {
    expect(clientAddress(r.peer, trust ? r.forwarded : undefined)).toBe(expected);
  });
});
