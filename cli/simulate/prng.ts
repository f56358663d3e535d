/**
 * A small seeded pseudo-random generator (sfc32, from PractRand) so that a simulation is
 * reproducible: the same seed gives the same visitors, assignments, conversions and sends.
 * Not for anything secret.
 */
export interface Prng {
  /** A number in [0, 1) with 32 random bits. */
  next(): number;
  /** 32 random bits as an unsigned integer. */
  uint32(): number;
}

/** sfc32 seeded from one integer (spread by splitmix32 into the four words of state). */
export function prng(seed: number): Prng {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const uint32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Discard the first outputs, as the authors recommend, to mix the seed in.
  for (let i = 0; i < 12; i++) uint32();
  return { uint32, next: () => uint32() / 4294967296 };
}
