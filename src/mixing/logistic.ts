/**
 * The integer logistic domain the mixer works in (docs/mixing.md, "Numbers").
 *
 * A probability is a 16-bit integer p in 1..65535 (of 65536). Its stretch is
 * the log-odds log2(p / (1 - p)) in units of 1/256 bit, an integer in
 * -STRETCH_MAX..STRETCH_MAX. Both tables are built at load time from
 * EXP2_Q23, the one exponential table of the format, with integer arithmetic
 * only, so every JS engine builds the same tables (Math.log/exp are not
 * guaranteed to round alike everywhere).
 */
import { exp2NegQ23, EXP2_Q23 } from '../codec/logitsToFrequencies.js';

export const PROB_BITS = 16;
export const PROB_ONE = 1 << PROB_BITS;
/** Largest |stretch|: 16 bits of odds. */
export const STRETCH_MAX = 16 * 256 - 1;

/** floor(a / b) for integers 0 <= a < 2^53, 0 < b < 2^53, exact (corrects the float quotient). */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** SQUASH[x + STRETCH_MAX] = floor(65536 / (1 + 2^(-x/256))), clamped to 1..65535. */
const SQUASH = new Int32Array(2 * STRETCH_MAX + 1);
for (let x = 0; x <= STRETCH_MAX; x++) {
  const e = exp2NegQ23(x); // 2^23 * 2^(-x/256)
  const p = floorDiv(PROB_ONE * 2 ** 23, 2 ** 23 + e);
  SQUASH[STRETCH_MAX + x] = Math.min(PROB_ONE - 1, Math.max(1, p));
  SQUASH[STRETCH_MAX - x] = Math.min(PROB_ONE - 1, Math.max(1, PROB_ONE - p));
}

/** STRETCH[p] = the smallest x with squash(x) >= p (STRETCH_MAX where none): squash's inverse. */
const STRETCH = new Int16Array(PROB_ONE);
{
  let x = -STRETCH_MAX;
  for (let p = 0; p < PROB_ONE; p++) {
    while (x < STRETCH_MAX && SQUASH[x + STRETCH_MAX]! < p) x++;
    STRETCH[p] = x;
  }
}

export function clampStretch(x: number): number {
  return x > STRETCH_MAX ? STRETCH_MAX : x < -STRETCH_MAX ? -STRETCH_MAX : x;
}

/** Probability (1..65535) of log-odds x (1/256 bit; clamped). */
export function squash(x: number): number {
  return SQUASH[clampStretch(x) + STRETCH_MAX]!;
}

/** Log-odds (1/256 bit) of probability p (0..65535). */
export function stretch(p: number): number {
  return STRETCH[p]!;
}

/**
 * LOG2_FRAC[m] = the smallest t in 0..256 with 2^(t/256) >= 1 + m/256, i.e.
 * EXP2_Q23[t] * (256 + m) <= 2^31: log2 of the mantissa, from EXP2_Q23.
 */
const LOG2_FRAC = new Int16Array(256);
for (let m = 0; m < 256; m++) {
  let t = 0;
  while (t < 256 && EXP2_Q23[t]! * (256 + m) > 2 ** 31) t++;
  LOG2_FRAC[m] = t;
}

/** log2(n) in 1/256 bit for an integer 1 <= n < 2^31, from its top 9 bits. */
export function log2Fixed(n: number): number {
  const whole = 31 - Math.clz32(n);
  const mantissa = whole >= 8 ? (n >>> (whole - 8)) & 255 : (n << (8 - whole)) & 255;
  return whole * 256 + LOG2_FRAC[mantissa]!;
}

/** Log-odds (1/256 bit, clamped) of an event of weight `f` against `rest`, both >= 1. */
export function oddsStretch(f: number, rest: number): number {
  return clampStretch(log2Fixed(f) - log2Fixed(rest));
}
