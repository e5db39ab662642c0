/**
 * The inner loops of the exact engine behind one interface, over one linear
 * memory addressed by byte offsets: plain TypeScript, or AssemblyScript SIMD
 * compiled to wasm (wasm/assembly/kernels.ts). All integer, so both give
 * identical results; tests check that they do.
 */

export interface Kernels {
  readonly name: string;
  /** Current memory; re-read after every alloc (wasm memory may grow). */
  buffer(): ArrayBuffer;
  alloc(bytes: number): number;
  free(ptr: number): void;
  /**
   * A weight matrix (outN x inN int8, row-major) copied into kernel memory in
   * the order this kernel's matmul reads it; returns the pointer matmul takes.
   */
  uploadMatrix(w: Int8Array, outN: number, inN: number): number;
  /** acc[r][o] = sum_i w[o][i] * x[r][i] (int8 in, int32 out; w from uploadMatrix). May run elsewhere (a GPU) and resolve later. */
  matmul(w: number, outN: number, inN: number, x: number, rows: number, acc: number): void | Promise<void>;
  /** dst[r][o] = clamp(requant(acc[r][o], m[o], s[o]), lo, hi); all int32, m and s per column. */
  requantRows(acc: number, rows: number, outN: number, m: number, s: number, lo: number, hi: number, dst: number): void;
  /**
   * One head of attention for one query (docs/numerics.md, attention step 4),
   * int8 result at `out`. Key j's channel c at k + j * stride + c; values in
   * pairs of positions interleaved byte by byte: key j's channel c at
   * v + (j >> 1) * 2 * stride + 2 * c + (j & 1) (a pair's bytes are read even
   * when its second position is not a key yet, at weight zero). `exp2` points
   * at EXP2_Q23 (256 int32); `scratch` holds n + hd int32.
   */
  attend(q: number, k: number, v: number, n: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number): void;
  /**
   * `attend` for `rows` consecutive queries of one stream and one head (a
   * prefill): row r's query at q + r * qStride sees n0 + r keys and writes
   * hd int8 at out + r * outStride. The same results as `attend` row by row;
   * `scratch` holds attendRowsScratchBytes(n0 + rows - 1, hd) bytes.
   */
  attendRows(q: number, qStride: number, k: number, v: number, rows: number, n0: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number, outStride: number): void;
  /**
   * `attend` for `heads` query heads of one position that share one K/V head
   * (grouped or multi-query attention): head h's query at q + h * qStride sees
   * the same n keys and writes hd int8 at out + h * outStride. The same
   * results as `attend` head by head; `scratch` holds
   * attendRowsScratchBytes(n, hd) bytes.
   */
  attendHeads(q: number, qStride: number, k: number, v: number, heads: number, n: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number, outStride: number): void;
  /** The spec's RMSNorm of `rows` rows of d int32 at h into int8 at out (gains g: d int32; B = normBits(d)). */
  rmsNormRows(h: number, rows: number, d: number, g: number, gs: number, B: number, out: number): void;
  /** h[i] = clamp(h[i] + delta[i], lo, hi) for n int32. */
  addResidual(h: number, delta: number, n: number, lo: number, hi: number): void;
  /** out[i] = clamp(requant(siluQ8(gate[i]) * up[i], m, s), -127, 127): int32 in, int8 out; silu: 4096 int16. */
  swiglu(gate: number, up: number, n: number, silu: number, m: number, s: number, out: number): void;
  /**
   * Rotary positions of `rows` rows of z (width int32 in heads of hd), then
   * int8 to the address dst[r], head h at dst[r] + h * headStride, at
   * position pos[r] (dst, pos: int32 tables; cos, sin: the model's Q14
   * tables of hd/2 int16 per position). headStride = hd: the row contiguous.
   */
  ropeRows(z: number, rows: number, width: number, hd: number, pos: number, cos: number, sin: number, dst: number, headStride: number): void;
  /** Row r of z (width int32 in heads of hd, already within int8) as int8 at the address dst[r], head h's element c at dst[r] + h * headStride + c * step. */
  storeRowsI8(z: number, rows: number, width: number, dst: number, hd: number, headStride: number, step: number): void;
  /**
   * The coder's cumulative table (n + 1 int32 at cum) from n int32 logits, as
   * src/codec/logitsToFrequencies.ts computes it; `e`: n int32 of scratch.
   * Only kernels that do it faster than the coder's own TS offer it.
   */
  cumulativeFrequencies?(logits: number, n: number, exp2: number, e: number, cum: number): void;
  /** Releases what the kernels hold outside their memory (a GPU device); absent where there is nothing. */
  dispose?(): void;
}

/** Bump allocator whose freed blocks are reused by requests of the same (64-byte rounded) size. */
export class Arena {
  private top: number;
  private readonly sizes = new Map<number, number>();
  private readonly freeBySize = new Map<number, number[]>();

  constructor(
    base: number,
    private readonly ensure: (end: number) => void,
  ) {
    this.top = Math.ceil(base / 64) * 64;
  }

  alloc(bytes: number): number {
    const size = Math.max(64, Math.ceil(bytes / 64) * 64);
    const reuse = this.freeBySize.get(size)?.pop();
    if (reuse !== undefined) {
      this.sizes.set(reuse, size);
      return reuse;
    }
    const ptr = this.top;
    this.ensure(ptr + size);
    this.top = ptr + size;
    this.sizes.set(ptr, size);
    return ptr;
  }

  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`double free at ${ptr}`);
    this.sizes.delete(ptr);
    const list = this.freeBySize.get(size) ?? [];
    list.push(ptr);
    this.freeBySize.set(size, list);
  }
}

import { EXP2_Q23 } from '../../codec/logitsToFrequencies.js';
import { clamp, requant, ropeToInt8, siluQ8 } from './intmath.js';
import { rmsNorm } from './reference.js';

/** The kernels in plain TypeScript, on a growable ArrayBuffer. */
export class TsKernels implements Kernels {
  readonly name = 'ts';
  private buf = new ArrayBuffer(1 << 20);
  private i8 = new Int8Array(this.buf);
  private i32 = new Int32Array(this.buf);
  private readonly arena = new Arena(64, (end) => {
    if (end <= this.buf.byteLength) return;
    let size = this.buf.byteLength;
    while (size < end) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(new Uint8Array(this.buf));
    this.buf = next;
    this.i8 = new Int8Array(next);
    this.i32 = new Int32Array(next);
  });

  buffer(): ArrayBuffer {
    return this.buf;
  }
  alloc(bytes: number): number {
    return this.arena.alloc(bytes);
  }
  free(ptr: number): void {
    this.arena.free(ptr);
  }

  matmul(w: number, outN: number, inN: number, x: number, rows: number, acc: number): void {
    const m = this.i8;
    const a = this.i32;
    for (let r = 0; r < rows; r++) {
      const xr = x + r * inN;
      const ar = (acc >> 2) + r * outN;
      for (let o = 0; o < outN; o++) {
        const wr = w + o * inN;
        let s = 0;
        for (let i = 0; i < inN; i++) s += m[wr + i]! * m[xr + i]!;
        a[ar + o] = s;
      }
    }
  }

  /** out[j] = sum_c q[c] * k[j*stride + c], j < n. */
  private attnDots(q: number, k: number, n: number, hd: number, stride: number, out: number): void {
    const m = this.i8;
    for (let j = 0; j < n; j++) {
      const kr = k + j * stride;
      let s = 0;
      for (let c = 0; c < hd; c++) s += m[q + c]! * m[kr + c]!;
      this.i32[(out >> 2) + j] = s;
    }
  }

  /** out[c] = sum_j w[j] * (key j's value c), c < hd (w int32, v int8 in interleaved pairs: see attend). */
  private attnMix(w: number, v: number, n: number, hd: number, stride: number, out: number): void {
    const m = this.i8;
    const a = this.i32;
    const o = out >> 2;
    for (let c = 0; c < hd; c++) a[o + c] = 0;
    for (let j = 0; j < n; j++) {
      const wj = a[(w >> 2) + j]!;
      if (wj === 0) continue;
      const vr = v + (j >> 1) * 2 * stride + (j & 1);
      for (let c = 0; c < hd; c++) a[o + c] = a[o + c]! + wj * m[vr + 2 * c]!;
    }
  }

  requantRows(acc: number, rows: number, outN: number, m: number, s: number, lo: number, hi: number, dst: number): void {
    const a = this.i32;
    const mm = m >> 2;
    const ss = s >> 2;
    for (let r = 0; r < rows; r++) {
      const base = r * outN;
      for (let o = 0; o < outN; o++) a[(dst >> 2) + base + o] = clamp(requant(a[(acc >> 2) + base + o]!, a[mm + o]!, a[ss + o]!), lo, hi);
    }
  }

  attend(q: number, k: number, v: number, n: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number): void {
    this.attnDots(q, k, n, hd, stride, scratch);
    const a = this.i32;
    const sc = scratch >> 2;
    let M = -Infinity;
    for (let j = 0; j < n; j++) if (a[sc + j]! > M) M = a[sc + j]!;
    let P = 0;
    for (let j = 0; j < n; j++) {
      const t = requant(M - a[sc + j]!, attM, attS);
      const whole = t >> 8;
      const w0 = whole >= 16 ? 0 : (a[(exp2 >> 2) + (t & 255)]! >> 8) >> whole;
      a[sc + j] = w0;
      P += w0;
    }
    for (let j = 0; j < n; j++) a[sc + j] = Math.floor((a[sc + j]! * 32768) / P);
    const o = scratch + n * 4;
    this.attnMix(scratch, v, n, hd, stride, o);
    for (let c = 0; c < hd; c++) this.i8[out + c] = clamp(requant(a[(o >> 2) + c]!, aoM, aoS), -127, 127);
  }

  uploadMatrix(w: Int8Array, outN: number, inN: number): number {
    checkMatrix(w, outN, inN);
    const p = this.alloc(w.length);
    this.i8.set(w, p);
    return p;
  }

  attendRows(q: number, qStride: number, k: number, v: number, rows: number, n0: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number, outStride: number): void {
    for (let r = 0; r < rows; r++) this.attend(q + r * qStride, k, v, n0 + r, hd, stride, attM, attS, aoM, aoS, exp2, scratch, out + r * outStride);
  }

  attendHeads(q: number, qStride: number, k: number, v: number, heads: number, n: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number, outStride: number): void {
    for (let h = 0; h < heads; h++) this.attend(q + h * qStride, k, v, n, hd, stride, attM, attS, aoM, aoS, exp2, scratch, out + h * outStride);
  }

  rmsNormRows(h: number, rows: number, d: number, g: number, gs: number, _B: number, out: number): void {
    const norm = { g: new Int32Array(this.buf, g, d), gs };
    for (let r = 0; r < rows; r++) rmsNorm(new Int32Array(this.buf, h + r * d * 4, d), norm, new Int8Array(this.buf, out + r * d, d));
  }

  addResidual(h: number, delta: number, n: number, lo: number, hi: number): void {
    const a = this.i32;
    for (let i = 0; i < n; i++) a[(h >> 2) + i] = clamp(a[(h >> 2) + i]! + a[(delta >> 2) + i]!, lo, hi);
  }

  ropeRows(z: number, rows: number, width: number, hd: number, pos: number, cos: number, sin: number, dst: number, headStride: number): void {
    const a = this.i32;
    const half = hd / 2;
    for (let r = 0; r < rows; r++) {
      const p = a[(pos >> 2) + r]!;
      const cs = new Int16Array(this.buf, cos + p * half * 2, half);
      const sn = new Int16Array(this.buf, sin + p * half * 2, half);
      for (let base = 0, h = 0; base < width; base += hd, h++) ropeToInt8(a, (z >> 2) + r * width + base, 0, half, cs, sn, this.i8, a[(dst >> 2) + r]! + h * headStride);
    }
  }

  storeRowsI8(z: number, rows: number, width: number, dst: number, hd: number, headStride: number, step: number): void {
    const a = this.i32;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < width; i++) this.i8[a[(dst >> 2) + r]! + Math.floor(i / hd) * headStride + (i % hd) * step] = a[(z >> 2) + r * width + i]!;
    }
  }

  swiglu(gate: number, up: number, n: number, silu: number, m: number, s: number, out: number): void {
    const a = this.i32;
    const table = new Int16Array(this.buf, silu, 4096);
    for (let i = 0; i < n; i++) this.i8[out + i] = clamp(requant(siluQ8(a[(gate >> 2) + i]!, table) * a[(up >> 2) + i]!, m, s), -127, 127);
  }
}

/** Refuses weights that are not an outN x inN matrix (uploadMatrix's argument). */
export function checkMatrix(w: Int8Array, outN: number, inN: number): void {
  if (w.length !== outN * inN) throw new RangeError(`a ${outN} x ${inN} matrix has ${outN * inN} weights, not ${w.length}`);
}

/**
 * Scratch bytes of `attendRows` whose last query sees `keys` keys (and of
 * `attendHeads` over `keys` keys): the wasm
 * kernel's four rows of scores (each rounded up to 8 keys), their weights
 * packed in pairs, four widened queries and four rows of sums; or what
 * `attend` needs for one row.
 */
export function attendRowsScratchBytes(keys: number, hd: number): number {
  const longest = (keys + 7) & ~7;
  return Math.max(4 * longest * 4 + longest * 8 + 4 * hd * 2 + 4 * hd * 4, (keys + hd) * 4);
}

/** Puts EXP2_Q23 into kernel memory (for `attend`). */
export function uploadExp2(K: Kernels): number {
  const p = K.alloc(256 * 4);
  new Int32Array(K.buffer(), p, 256).set(EXP2_Q23);
  return p;
}
