/**
 * IP addresses and CIDR ranges as numbers, for `ignored_ips`. Every address is held as IPv6 in
 * four 32-bit words; an IPv4 address is its IPv4-mapped form `::ffff:a.b.c.d`, so a client seen
 * as `::ffff:1.2.3.4` (a dual-stack socket) matches the IPv4 rule `1.2.3.0/24` and the other way
 * round. Ranges compare bits under a mask, never strings.
 */

/** An address: four 32-bit words, most significant first (each as a signed 32-bit integer). */
export type Words = [number, number, number, number];

/** A CIDR range: the network's words and its mask's words (both as signed 32-bit integers). */
export interface IpRange {
  net: Words;
  mask: Words;
}

const V4_PART = /^(0|[1-9]\d{0,2})$/;
const V6_GROUP = /^[0-9a-f]{1,4}$/i;

/** A dotted quad `a.b.c.d` (decimal, no leading zeros: `010` would be octal to some tools) as one word. */
function ipv4Word(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let word = 0;
  for (const p of parts) {
    if (!V4_PART.test(p) || Number(p) > 255) return null;
    word = (word << 8) | Number(p);
  }
  return word;
}

/** The 16-bit groups of one side of `::` (an IPv4 tail counts as two groups), or null. */
function groups(side: string, ipv4Tail: boolean): number[] | null {
  if (side === '') return [];
  const parts = side.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (ipv4Tail && i === parts.length - 1 && p.includes('.')) {
      const w = ipv4Word(p);
      if (w === null) return null;
      out.push(w >>> 16, w & 0xffff);
    } else if (V6_GROUP.test(p)) {
      out.push(Number.parseInt(p, 16));
    } else {
      return null;
    }
  }
  return out;
}

function ipv6Words(s: string): Words | null {
  const gap = s.indexOf('::');
  let all: number[];
  if (gap < 0) {
    const g = groups(s, true);
    if (g?.length !== 8) return null;
    all = g;
  } else {
    const tail = s.slice(gap + 2);
    if (tail.includes('::')) return null;
    const head = groups(s.slice(0, gap), false);
    const rest = groups(tail, true);
    if (!head || !rest || head.length + rest.length > 7) return null;
    all = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  }
  return [0, 1, 2, 3].map((i) => (all[2 * i] << 16) | all[2 * i + 1]) as Words;
}

/**
 * The words of an IPv4 or IPv6 address, or null when `s` is not one. A zone (`fe80::1%eth0`)
 * is dropped when `zone` allows it (a socket's address may carry one; a rule may not).
 */
export function parseIp(s: string, zone = false): Words | null {
  if (s.length > 64) return null;
  let text = s;
  const pct = text.indexOf('%');
  if (pct >= 0) {
    if (!zone || !text.includes(':')) return null;
    text = text.slice(0, pct);
  }
  if (!text.includes(':')) {
    const w = ipv4Word(text);
    return w === null ? null : [0, 0, 0xffff, w | 0];
  }
  return ipv6Words(text);
}

function maskWords(bits: number): Words {
  return [0, 1, 2, 3].map((i) => {
    const n = Math.max(0, Math.min(32, bits - 32 * i));
    return n === 0 ? 0 : (0xffffffff << (32 - n)) | 0;
  }) as Words;
}

/** An address written back: dotted for IPv4 (mapped), else eight hex groups. */
function formatWords(w: Words): string {
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return [24, 16, 8, 0].map((s) => (w[3] >>> s) & 255).join('.');
  return w.flatMap((x) => [(x >>> 16).toString(16), (x & 0xffff).toString(16)]).join(':');
}

/**
 * An address (`10.0.0.1`, `2001:db8::1`, a whole /32 or /128) or a CIDR range (`10.0.0.0/8`,
 * `2001:db8::/32`) as a range; an IPv4 prefix length counts IPv4 bits. When `s` is neither, or
 * has bits set after the prefix (`10.0.0.1/8`: probably a typo, refused with the network it
 * would mean), what is wrong, as the end of a sentence that starts with the entry.
 */
export function parseRange(s: string): IpRange | string {
  const slash = s.indexOf('/');
  const address = slash < 0 ? s : s.slice(0, slash);
  const words = parseIp(address);
  if (!words) return 'is not an IPv4 or IPv6 address or CIDR range (such as 10.0.0.0/8 or 2001:db8::/32)';
  const v4 = !address.includes(':');
  const max = v4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const len = s.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(len) || Number(len) > max) {
      return `has a prefix length "${len}" that is not a whole number from 0 to ${max}`;
    }
    bits = Number(len);
  }
  const mask = maskWords(v4 ? 96 + bits : bits);
  const net = words.map((x, i) => x & mask[i]) as Words;
  if (net.some((x, i) => x !== words[i])) {
    return `has bits set after its first ${bits}: the range is ${formatWords(net)}/${bits}`;
  }
  return { net, mask };
}

/** Whether `ip` lies in one of `ranges`. */
export function inRanges(ip: Words, ranges: readonly IpRange[]): boolean {
  for (const { net, mask } of ranges) {
    if ((ip[0] & mask[0]) === net[0] && (ip[1] & mask[1]) === net[1] && (ip[2] & mask[2]) === net[2]) {
      if ((ip[3] & mask[3]) === net[3]) return true;
    }
  }
  return false;
}
