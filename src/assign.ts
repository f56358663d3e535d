/**
 * Deterministic assignment: a few pure functions shared by the browser client and the server
 * (Sixpack-compatible server-side assignment). A visitor id and an experiment name hash to a
 * number in [0, 1); weights become ranges of that interval, shrunk by the sample (traffic
 * fraction) so that raising the sample later keeps everyone already in a variant where they
 * were. Changing anything here changes who sees what: bump {@link ASSIGN_VERSION} and the
 * table of cases in test/unit/assign.cases.json together.
 */

/** Version of the assignment math; the table of test cases carries the same number. */
export const ASSIGN_VERSION = 1;

/** FNV-1a, 32 bits, over the UTF-16 code units of `text`. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: spreads FNV's weak low-bit differences over all 32 bits. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Where a visitor falls for an experiment: a number in [0, 1), uniform over visitors and
 * independent between experiments.
 */
export function hash(experiment: string, visitorId: string): number {
  return mix32(fnv1a32(`${experiment}|${visitorId}`)) / 4294967296;
}

/**
 * The range of [0, 1) each variant takes: weights are normalised (missing, negative or
 * non-finite weights count as 1 when all are missing, else as 0), and each range keeps only
 * its first `sample` part, so visitors in the gaps are outside the sample.
 * @param sample traffic fraction from 0 to 1. @default 1
 */
export function bucketRanges(weights: (number | undefined)[], sample = 1): [number, number][] {
  const given = weights.some((w) => w !== undefined);
  const ws = weights.map((w) => (!given ? 1 : typeof w === 'number' && Number.isFinite(w) && w > 0 ? w : 0));
  const total = ws.reduce((a, b) => a + b, 0);
  const s = sample >= 0 && sample <= 1 ? sample : 1;
  let start = 0;
  return ws.map((w) => {
    const share = total > 0 ? w / total : 0;
    const range: [number, number] = [start, start + share * s];
    start += share;
    return range;
  });
}

/** The index of the range holding `n`, or -1 when `n` falls in no range (outside the sample). */
export function chooseVariant(n: number, ranges: [number, number][]): number {
  for (let i = 0; i < ranges.length; i++) if (n >= ranges[i][0] && n < ranges[i][1]) return i;
  return -1;
}

/** What a visitor gets in one experiment. */
export interface Assignment {
  /** The variant's index in `variants`, or -1 outside the sample. */
  index: number;
  /** The variant shown: outside the sample, the first one (not tracked). */
  variant: string;
  inSample: boolean;
}

/**
 * Assigns a visitor with a known id (a user id, or a random visitor id) to a variant.
 * @param sample traffic fraction from 0 to 1. @default 1
 */
export function assign(
  experiment: string,
  visitorId: string,
  variants: { label: string; weight?: number }[],
  sample = 1,
): Assignment {
  return pick(hash(experiment, visitorId), variants, sample);
}

/** Assigns from a number in [0, 1) already drawn (a hash, or `Math.random()` for visitors without an id). */
export function pick(n: number, variants: { label: string; weight?: number }[], sample = 1): Assignment {
  const index = chooseVariant(
    n,
    bucketRanges(
      variants.map((v) => v.weight),
      sample,
    ),
  );
  return { index, variant: variants[Math.max(index, 0)]?.label ?? '', inSample: index >= 0 };
}

/**
 * The uuid an event carries so that a resend is counted once: 128 bits (32 hex digits) from
 * namespace, experiment, event and visitor. The visitor id itself never leaves the browser.
 */
export function eventUuid(namespace: string, experiment: string, event: string, visitorId: string): string {
  const text = `${namespace}|${experiment}|${event}|${visitorId}`;
  let out = '';
  for (let i = 0; i < 4; i++) out += `0000000${mix32(fnv1a32(i + text)).toString(16)}`.slice(-8);
  return out;
}
