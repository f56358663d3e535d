import os from 'node:os';
import type { AddressInfo } from 'node:net';

/** Where `abtest dev` can be reached, from the address it really listens on. */
export interface DevAddress {
  /** `host:port` as bound (`0.0.0.0:8787` when listening on every interface). */
  listen: string;
  /** The URL others use: the bound address, or this machine's network address for a wildcard bind. */
  url: string;
  /** A loopback URL of the same server, or null when it does not listen on loopback. */
  localUrl: string | null;
  /** Whether other machines can connect (not only loopback). */
  network: boolean;
}

const isLoopback = (a: string) => a === '::1' || a.startsWith('127.') || a === '::ffff:127.0.0.1';
const hostPart = (a: string) => (a.includes(':') ? `[${a}]` : a);

/** The first non-internal IPv4 address of this machine, or null. */
function networkAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return null;
}

/**
 * The addresses to print for a server bound to `addr`: the real one, not 127.0.0.1 when it
 * listens on every interface.
 */
export function devAddress(addr: AddressInfo): DevAddress {
  const { address, port } = addr;
  const listen = `${hostPart(address)}:${port}`;
  if (isLoopback(address)) return { listen, url: `http://${listen}`, localUrl: `http://${listen}`, network: false };
  const local = `http://127.0.0.1:${port}`;
  if (address === '0.0.0.0' || address === '::') {
    const lan = networkAddress();
    return { listen, url: lan ? `http://${lan}:${port}` : local, localUrl: local, network: true };
  }
  return { listen, url: `http://${listen}`, localUrl: null, network: true };
}
