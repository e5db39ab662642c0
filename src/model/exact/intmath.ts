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

/** The spec's RMSNorm headroom bits for width d: squares of d values of B bits stay below 2^31. */
export function normBits(d: number): number {
  return Math.floor((31 - Math.ceil(Math.log2(d))) / 2);
}

export const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/** Bounds of docs/numerics.md: the residual stream, and int32 for residual deltas. */
export const RESIDUAL_MIN = -(2 ** 30);
export const RESIDUAL_MAX = 2 ** 30 - 1;
export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;

/**
 * Rotary position of one head at `pos` (pairs i, i + half; Q14 tables), then
 * to int8: reads z[base ..], writes dst[dstBase ..]. May work in place.
 */
export function ropeToInt8(z: ArrayLike<number>, base: number, pos: number, half: number, cos: Int16Array, sin: Int16Array, dst: Int8Array | Int32Array, dstBase: number): void {
  for (let i = 0; i < half; i++) {
    const x1 = z[base + i]!;
    const x2 = z[base + i + half]!;
    const cs = cos[pos * half + i]!;
    const sn = sin[pos * half + i]!;
    dst[dstBase + i] = clamp(roundShift(roundShift(x1 * cs - x2 * sn, 14), 8), -127, 127);
    dst[dstBase + i + half] = clamp(roundShift(roundShift(x2 * cs + x1 * sn, 14), 8), -127, 127);
  }
}

/** SiLU of a Q8 gate through the model's table: identity above 8, zero below -8. */
export function siluQ8(g: number, table: Int16Array): number {
  return g >= 2048 ? g : g < -2048 ? 0 : table[g + 2048]!;
}
