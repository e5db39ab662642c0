/**
 * The primitives of docs/numerics.md in JS numbers. Every argument and result
 * is an integer below 2^53, and scaling by a power of two is exact in binary
 * floating point, so these are exact.
 */
const INV_POW2 = Float64Array.from({ length: 64 }, (_, s) => 2 ** -s);
const HALF = Float64Array.from({ length: 64 }, (_, s) => (s === 0 ? 0 : 2 ** (s - 1)));

/** floor((a + 2^(s-1)) / 2^s); a when s = 0. */
export function roundShift(a: number, s: number): number {
  return Math.floor((a + HALF[s]!) * INV_POW2[s]!);
}

/** round_shift(a * m, s). */
export function requant(a: number, m: number, s: number): number {
  return Math.floor((a * m + HALF[s]!) * INV_POW2[s]!);
}

/** Symmetric rounding division, b > 0. */
export function rdiv(a: number, b: number): number {
  const q = Math.floor((Math.abs(a) + Math.floor(b / 2)) / b);
  return a < 0 ? -q : q;
}

export function isqrt(n: number): number {
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

export function bitlen(n: number): number {
  return n === 0 ? 0 : 32 - Math.clz32(n);
}

export const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);
