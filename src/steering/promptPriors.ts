/**
 * Quantising a learned soft prompt and coding it under a hyper-prior, so the
 * archive pays for the prompt it carries (docs/steering.md, docs/format.md
 * "Archive prompt"). The prompt is coded as a difference from a reference —
 * one of the model's domain prompts, or nothing — because a prompt learned
 * from a domain prompt moves only a little.
 *
 * Three priors, after the seeds' experiment:
 * - gaussian: a uniform step; indices under a discretised Gaussian whose width
 *   is sent (two varints of parameters);
 * - empirical: a uniform step; indices under their own histogram, sent;
 * - lloyd-max: K levels placed by Lloyd's algorithm, sent; level indices
 *   under their histogram.
 * Everything the decoder computes is integer arithmetic, so every device
 * rebuilds the same vectors.
 */
import { CorruptArchiveError } from '../codec/errors.js';
import { CumulativeTable, type FrequencyTable } from '../codec/frequencyTable.js';
import { logitsToTable } from '../codec/logitsToFrequencies.js';
import { RangeDecoder, RangeEncoder } from '../codec/rangeCoder.js';
import { ByteReader, ByteWriter } from '../format/bytes.js';
import { clamp, RESIDUAL_MAX, RESIDUAL_MIN } from '../model/exact/intmath.js';

export type PriorKind = 'gaussian' | 'empirical' | 'lloyd-max';
export const PRIOR_KINDS: readonly PriorKind[] = ['gaussian', 'empirical', 'lloyd-max'];
const KIND_CODE: Record<PriorKind, number> = { gaussian: 1, empirical: 2, 'lloyd-max': 3 };

/** Largest index of the uniform quantiser: indices are -Q..Q. */
const Q = 255;
/** Most vectors an archive prompt may have (without a reference). */
export const MAX_ARCHIVE_PROMPT_VECTORS = 16;
const MAX_LEVELS = 64;
/** log2(e) / 2 * 256 * 256: the Gaussian's exponent in 1/256 bit with sigma in 1/16 step. */
const GAUSS_K = 47276;

/** A prompt ready for an archive: its bytes and the residual vectors both sides run. */
export interface CodedPrompt {
  bytes: Uint8Array;
  /** P x dim int32 residual values. */
  vectors: Int32Array;
  /** Which model prompt it is a difference from (0: none, i: the model's prompt i - 1). */
  reference: number;
  prior: PriorKind;
  /** Root mean square of (what was asked - what is sent), residual units. */
  rmsError: number;
  /** Bits spent per coordinate, all parameters included. */
  bitsPerCoordinate: number;
}

function gaussianTable(sigma16: number): FrequencyTable {
  const logits = new Int32Array(2 * Q + 1);
  for (let s = 0; s <= 2 * Q; s++) {
    const q = s - Q;
    logits[s] = -Math.floor((q * q * GAUSS_K) / (sigma16 * sigma16));
  }
  return logitsToTable(logits);
}

/** A table over counts (symbols never coded may have 0). */
function countTable(counts: ArrayLike<number>): FrequencyTable {
  return new CumulativeTable(counts);
}

const zigzag = (v: number) => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzigzag = (u: number) => (u % 2 ? -(u + 1) / 2 : u / 2);

/** Lloyd's algorithm in one dimension: K levels for `xs`, rounded to integers, ascending, distinct. */
function lloydMax(xs: Float64Array, K: number): number[] {
  const sorted = Float64Array.from(xs).sort();
  let levels = Array.from({ length: K }, (_, k) => sorted[Math.min(sorted.length - 1, Math.floor(((k + 0.5) / K) * sorted.length))]!);
  for (let iter = 0; iter < 30; iter++) {
    const sum = new Float64Array(K);
    const n = new Float64Array(K);
    for (const x of sorted) {
      const k = nearest(levels, x);
      sum[k] = sum[k]! + x;
      n[k] = n[k]! + 1;
    }
    levels = levels.map((l, k) => (n[k] ? sum[k]! / n[k]! : l));
  }
  return [...new Set(levels.map((l) => Math.round(l)))].sort((a, b) => a - b);
}

function nearest(levels: number[], x: number): number {
  let best = 0;
  for (let k = 1; k < levels.length; k++) if (Math.abs(levels[k]! - x) < Math.abs(levels[best]! - x)) best = k;
  return best;
}

/**
 * Quantises `delta` (the wanted prompt minus the reference, P x dim) and
 * codes it. `step`: the uniform quantiser's step, residual units; `levels`:
 * the Lloyd–Max quantiser's level count.
 */
export function encodePrompt(
  delta: Float64Array,
  dim: number,
  reference: Int32Array | null,
  referenceIndex: number,
  prior: PriorKind,
  opts: { step: number; levels?: number },
): CodedPrompt {
  const P = delta.length / dim;
  if (!Number.isInteger(P) || P < 1 || (!reference && P > MAX_ARCHIVE_PROMPT_VECTORS)) throw new RangeError('bad prompt shape');
  const w = new ByteWriter().u8(KIND_CODE[prior]).u8(referenceIndex).u8(P);
  const enc = new RangeEncoder();
  const values = new Float64Array(delta.length); // the quantised delta
  if (prior === 'lloyd-max') {
    const levels = lloydMax(delta, Math.min(MAX_LEVELS, Math.max(2, opts.levels ?? 8)));
    const idx = Array.from(delta, (x) => nearest(levels, x));
    const counts = new Array<number>(levels.length).fill(0);
    for (const k of idx) counts[k] = counts[k]! + 1;
    w.u8(levels.length);
    for (const l of levels) w.varint(zigzag(l));
    for (const n of counts) w.varint(n);
    const table = countTable(counts);
    idx.forEach((k, i) => {
      enc.encode(table, k);
      values[i] = levels[k]!;
    });
  } else {
    const step = Math.max(1, Math.round(opts.step));
    const idx = Array.from(delta, (x) => clamp(Math.round(x / step), -Q, Q));
    w.varint(step);
    let table: FrequencyTable;
    if (prior === 'gaussian') {
      const rms = Math.sqrt(idx.reduce((a, q) => a + q * q, 0) / idx.length);
      const sigma16 = Math.max(1, Math.round(rms * 16));
      w.varint(sigma16);
      table = gaussianTable(sigma16);
    } else {
      const lo = Math.min(...idx);
      const hi = Math.max(...idx);
      const counts = new Array<number>(hi - lo + 1).fill(0);
      for (const q of idx) counts[q - lo] = counts[q - lo]! + 1;
      w.varint(lo + Q).varint(counts.length);
      for (const n of counts) w.varint(n);
      table = countTable(new Array<number>(lo + Q).fill(0).concat(counts));
    }
    idx.forEach((q, i) => {
      enc.encode(table, q + Q);
      values[i] = q * step;
    });
  }
  const coded = enc.finish();
  const bytes = w.varint(coded.length).bytes(coded).finish();
  const vectors = new Int32Array(delta.length);
  let se = 0;
  for (let i = 0; i < delta.length; i++) {
    vectors[i] = clamp((reference?.[i] ?? 0) + values[i]!, RESIDUAL_MIN, RESIDUAL_MAX);
    se += (delta[i]! - values[i]!) ** 2;
  }
  return { bytes, vectors, reference: referenceIndex, prior, rmsError: Math.sqrt(se / delta.length), bitsPerCoordinate: (bytes.length * 8) / delta.length };
}

/**
 * The vectors of a coded prompt. `references[i]` is the model's prompt i + 1.
 * Anything inconsistent is a CorruptArchiveError.
 */
export function decodePrompt(bytes: Uint8Array, dim: number, references: Int32Array[]): Int32Array {
  const bad = (why: string) => new CorruptArchiveError(`The archive's prompt is damaged (${why}). Get the file or link again.`);
  try {
    const r = new ByteReader(bytes);
    const kind = r.u8();
    const refIndex = r.u8();
    const P = r.u8();
    const reference = refIndex ? references[refIndex - 1] : null;
    if (refIndex && !reference) throw bad(`it refers to prompt ${refIndex}, which the model does not have`);
    if (P < 1 || (reference ? P * dim !== reference.length : P > MAX_ARCHIVE_PROMPT_VECTORS)) throw bad('wrong number of vectors');
    const n = P * dim;
    const values = new Float64Array(n);
    let decodeAll: (dec: RangeDecoder) => void;
    if (kind === 3) {
      const K = r.u8();
      if (K < 1 || K > MAX_LEVELS) throw bad('level count');
      const levels = Array.from({ length: K }, () => unzigzag(r.varint(32)));
      const counts = Array.from({ length: K }, () => r.varint(32));
      if (counts.reduce((a, b) => a + b, 0) !== n) throw bad('histogram');
      const table = countTable(counts);
      decodeAll = (dec) => {
        for (let i = 0; i < n; i++) values[i] = levels[dec.decode(table)]!;
      };
    } else if (kind === 1 || kind === 2) {
      const step = r.varint(31);
      if (step < 1) throw bad('step');
      let table: FrequencyTable;
      if (kind === 1) {
        const sigma16 = r.varint(24);
        if (sigma16 < 1) throw bad('width');
        table = gaussianTable(sigma16);
      } else {
        const lo = r.varint(10);
        const len = r.varint(10);
        if (len < 1 || lo + len > 2 * Q + 1) throw bad('histogram range');
        const counts = Array.from({ length: len }, () => r.varint(32));
        if (counts.reduce((a, b) => a + b, 0) !== n) throw bad('histogram');
        table = countTable(new Array<number>(lo).fill(0).concat(counts));
      }
      decodeAll = (dec) => {
        for (let i = 0; i < n; i++) values[i] = (dec.decode(table) - Q) * step;
      };
    } else throw bad(`unknown prior ${kind}`);
    const length = r.varint(24);
    const coded = r.bytes(length);
    if (r.remaining) throw bad('trailing bytes');
    decodeAll(new RangeDecoder(coded));
    return Int32Array.from(values, (v, i) => clamp((reference?.[i] ?? 0) + v, RESIDUAL_MIN, RESIDUAL_MAX));
  } catch (e) {
    if (e instanceof CorruptArchiveError) throw e;
    throw bad(e instanceof Error ? e.message : String(e));
  }
}
