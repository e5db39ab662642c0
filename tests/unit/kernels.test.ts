/**
 * The wasm SIMD kernels against the plain TS ones on shapes the models may
 * not have: odd output counts, widths off the 16-lane grid, row counts off
 * the 4-row tile, extreme values. Integer results must be identical.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WASM_KERNELS } from '../../src/platform/node/nodeModelSource.js';
import { TsKernels, type Kernels } from '../../src/model/exact/kernels.js';
import { normBits } from '../../src/model/exact/intmath.js';
import { WasmKernels } from '../../src/model/exact/wasmKernels.js';
import { rng } from '../helpers/fixtures.js';
import { FREQ_TOTAL, logitsToFrequencies } from '../../src/codec/logitsToFrequencies.js';
import { attendRowsScratchBytes, uploadExp2 } from '../../src/model/exact/kernels.js';
import { KernelTableMaker } from '../../src/model/exact/kernelTables.js';

type Fill = (i: number) => number;

function put(K: Kernels, ctor: Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor, n: number, f: Fill): number {
  const p = K.alloc(n * ctor.BYTES_PER_ELEMENT);
  const view = new ctor(K.buffer(), p, n);
  for (let i = 0; i < n; i++) view[i] = f(i);
  return p;
}

/** Queries, keys and values (the cache's layout) in kernel memory, with EXP2_Q23, scratch for `keys` keys and `rows` outputs outStride apart. */
function attentionInputs(K: Kernels, q: number[], k: number[], v: number[], keys: number, hd: number, rows: number, outStride: number) {
  return {
    exp2: uploadExp2(K),
    qp: put(K, Int8Array, q.length, (i) => q[i]!),
    kp: put(K, Int8Array, k.length, (i) => k[i]!),
    vp: put(K, Int8Array, v.length, (i) => v[i]!),
    scratch: K.alloc(attendRowsScratchBytes(keys, hd)),
    out: K.alloc(rows * outStride),
  };
}

/** The hd int8 outputs of `rows` rows written outStride apart. */
function outputRows(K: Kernels, out: number, rows: number, outStride: number, hd: number): number[][] {
  const all = new Int8Array(K.buffer(), out, rows * outStride);
  return Array.from({ length: rows }, (_, i) => Array.from(all.subarray(i * outStride, i * outStride + hd)));
}

async function both<T>(run: (K: Kernels) => T): Promise<[T, T]> {
  return [run(new TsKernels()), run(await WasmKernels.create(readFileSync(WASM_KERNELS)))];
}

describe('wasm kernels = TS kernels', () => {
  it('attention of one query: any context length (the SIMD weight division and its tail), peaked and flat scores', async () => {
    const r = rng(22);
    for (const [n, spread] of [[1, 127], [3, 127], [4, 1], [5, 127], [513, 127], [1025, 3], [1027, 127]] as const) {
      const hd = 64;
      const stride = 128;
      const q = Array.from({ length: hd }, () => Math.floor(r() * 2 * spread) - spread);
      const k = Array.from({ length: n * stride }, () => Math.floor(r() * 2 * spread) - spread);
      // values in pairs of positions (the cache's layout): an odd last key's pair is whole too
      const v = Array.from({ length: ((n + 1) & ~1) * stride + 64 }, () => Math.floor(r() * 255) - 127);
      const [a, b] = await both((K) => {
        const exp2 = uploadExp2(K);
        const qp = put(K, Int8Array, hd, (i) => q[i]!);
        const kp = put(K, Int8Array, k.length, (i) => k[i]!);
        const vp = put(K, Int8Array, v.length, (i) => v[i]!);
        const scratch = K.alloc((n + hd) * 4);
        const out = K.alloc(hd);
        K.attend(qp, kp + 64, vp + 64, n, hd, stride, 1 << 21, 30, 1 << 22, 31, exp2, scratch, out);
        return Array.from(new Int8Array(K.buffer(), out, hd));
      });
      expect(b, `n ${n}`).toEqual(a);
      expect(a.some((x) => x !== 0), `n ${n}: something attended`).toBe(true);
    }
  });

  it('attention of consecutive queries (a prefill) = one query at a time: tiles of four, ragged rows, odd key counts, a key holding all the weight', async () => {
    const r = rng(23);
    // [rows, keys the first row sees, head dim, spread of q and k, att_m, att_s]
    const cases = [
      [1, 1, 64, 127, 22258, 18],
      [4, 1, 64, 127, 22258, 18],
      [5, 2, 64, 60, 22258, 18],
      [13, 7, 64, 127, 17045, 17],
      [8, 60, 64, 127, 1 << 21, 20], // peaked: in some rows one key takes all the weight (2^15)
      [9, 3, 32, 127, 29673, 16],
      [6, 5, 24, 127, 22258, 18], // a head dim off the 16-lane grid: row by row
    ] as const;
    let allOnOneKey = 0;
    for (const [rows, n0, hd, spread, attM, attS] of cases) {
      const qStride = 3 * hd + 8;
      const stride = hd;
      const keys = n0 + rows - 1;
      const q = Array.from({ length: rows * qStride }, () => Math.floor(r() * 2 * spread) - spread);
      const k = Array.from({ length: keys * stride }, () => Math.floor(r() * 2 * spread) - spread);
      const v = Array.from({ length: ((keys + 1) & ~1) * stride }, () => Math.floor(r() * 255) - 127);
      const run = (K: Kernels, oneByOne: boolean) => {
        const outStride = hd + 5;
        const { exp2, qp, kp, vp, scratch, out } = attentionInputs(K, q, k, v, keys, hd, rows, outStride);
        if (!oneByOne) K.attendRows(qp, qStride, kp, vp, rows, n0, hd, stride, attM, attS, 1 << 22, 31, exp2, scratch, out, outStride);
        else {
          for (let i = 0; i < rows; i++) {
            K.attend(qp + i * qStride, kp, vp, n0 + i, hd, stride, attM, attS, 1 << 22, 31, exp2, scratch, out + i * outStride);
            if (new Int32Array(K.buffer(), scratch, n0 + i).includes(32768)) allOnOneKey++;
          }
        }
        return outputRows(K, out, rows, outStride, hd);
      };
      const want = run(new TsKernels(), true);
      const wasm = await WasmKernels.create(readFileSync(WASM_KERNELS));
      const label = `rows ${rows}, n0 ${n0}, hd ${hd}`;
      expect(run(wasm, false), label).toEqual(want);
      expect(run(new TsKernels(), false), label).toEqual(want);
      expect(want.flat().some((x) => x !== 0), `${label}: something attended`).toBe(true);
    }
    expect(allOnOneKey, 'the peaked case has rows where one key takes all the weight').toBeGreaterThan(0);
  });

  it('attention of query heads sharing one K/V head (a grouped model decoding) = one head at a time: tiles of four, leftover heads, a key holding all the weight', async () => {
    const r = rng(26);
    // [heads, keys, head dim, spread of q and k, att_m, att_s]
    const cases = [
      [1, 9, 64, 127, 22258, 18],
      [4, 1, 64, 127, 22258, 18],
      [4, 1027, 64, 127, 22258, 18],
      [3, 17, 64, 127, 17045, 17], // fewer heads than a tile: head by head
      [6, 33, 32, 127, 29673, 16], // a tile and two left over
      [8, 60, 64, 127, 1 << 21, 20], // peaked: for some heads one key takes all the weight (2^15)
      [4, 12, 24, 127, 22258, 18], // a head dim off the 16-lane grid: head by head
    ] as const;
    let allOnOneKey = 0;
    for (const [heads, n, hd, spread, attM, attS] of cases) {
      const qStride = hd + 8;
      const stride = hd;
      const q = Array.from({ length: heads * qStride }, () => Math.floor(r() * 2 * spread) - spread);
      const k = Array.from({ length: n * stride }, () => Math.floor(r() * 2 * spread) - spread);
      const v = Array.from({ length: ((n + 1) & ~1) * stride }, () => Math.floor(r() * 255) - 127);
      const run = (K: Kernels, oneByOne: boolean) => {
        const outStride = hd + 3;
        const { exp2, qp, kp, vp, scratch, out } = attentionInputs(K, q, k, v, n, hd, heads, outStride);
        if (!oneByOne) K.attendHeads(qp, qStride, kp, vp, heads, n, hd, stride, attM, attS, 1 << 22, 31, exp2, scratch, out, outStride);
        else {
          for (let h = 0; h < heads; h++) {
            K.attend(qp + h * qStride, kp, vp, n, hd, stride, attM, attS, 1 << 22, 31, exp2, scratch, out + h * outStride);
            if (n > 1 && new Int32Array(K.buffer(), scratch, n).includes(32768)) allOnOneKey++;
          }
        }
        return outputRows(K, out, heads, outStride, hd);
      };
      const want = run(new TsKernels(), true);
      const wasm = await WasmKernels.create(readFileSync(WASM_KERNELS));
      const label = `heads ${heads}, n ${n}, hd ${hd}`;
      expect(run(wasm, false), label).toEqual(want);
      expect(run(new TsKernels(), false), label).toEqual(want);
      expect(want.flat().some((x) => x !== 0), `${label}: something attended`).toBe(true);
      // (with one key every head's output is that key's value)
      if (n > 1 && heads > 1) expect(new Set(want.map((h) => h.join())).size, `${label}: heads differ`).toBeGreaterThan(1);
    }
    expect(allOnOneKey, 'the peaked case has heads where one key takes all the weight').toBeGreaterThan(0);
  });

  it("attention's division as the wasm kernel does it, floor(w0 * fl(2^15 / P) + 2^-33), is floor(w0 * 2^15 / P), whole quotients included", () => {
    // The same IEEE double operations as the kernel's f64x2 lanes. Whole quotients are the hard
    // case (a product rounded just below one would floor one too low): P = u * 2^15 with u odd,
    // so 2^15 / P = 1 / u is inexact, and w0 = q * u makes the quotient q exactly.
    const bias = 2 ** -33;
    const divide = (w0: number, P: number, b: number) => Math.trunc(w0 * (32768 / P) + b);
    let wrongWithoutBias = 0;
    let checked = 0;
    for (let u = 3; u < 2000; u += 2) {
      const P = u * 32768;
      for (let q = 1; q * u <= 32768; q++) {
        expect(divide(q * u, P, bias)).toBe(q);
        if (divide(q * u, P, 0) !== q) wrongWithoutBias++;
        checked++;
      }
    }
    // and quotients that are not whole, next to whole ones, over the whole range of P (up to 2^32)
    const r = rng(24);
    for (let i = 0; i < 20000; i++) {
      const P = 32768 + Math.floor(r() * (2 ** 32 - 32768));
      const w0 = Math.floor(r() * 32769);
      expect(divide(w0, P, bias)).toBe(Number((BigInt(w0) << 15n) / BigInt(P)));
      checked++;
    }
    expect(checked).toBeGreaterThan(60000);
    expect(wrongWithoutBias, 'without the bias some whole quotients come out one too low').toBeGreaterThan(0);
  });

  it("the frequency table's division as the wasm kernel does it, floor(N * fl(1/S) + fl(1/S)/2), is floor(N / S), whole quotients included", () => {
    // N = e * (2^24 - n) with e <= 2^23 one symbol's weight, S >= e the row's sum of them (below 2^40).
    // The same IEEE double operations as the kernel's lanes; whole quotients are the hard case.
    const divide = (N: number, S: number, half: boolean) => {
      const r = 1 / S;
      return Math.trunc(N * r + (half ? r * 0.5 : 0));
    };
    let wrongWithoutHalf = 0;
    let checked = 0;
    const r = rng(25);
    for (let i = 0; i < 40000; i++) {
      const n = 1 + Math.floor(r() * 2 ** 17);
      const spread = 2 ** 24 - n;
      // whole quotients: S a divisor of N (S = spread * e / q for q dividing spread * e) ...
      const e = 1 + Math.floor(r() * 2 ** 23);
      const q = 1 + Math.floor(r() * 64);
      const N = e * spread;
      const S = i % 2 === 0 && N % q === 0 && N / q >= e ? N / q : e + Math.floor(r() * 2 ** (23 + Math.floor(r() * 17)));
      const want = Number(BigInt(N) / BigInt(S));
      expect(divide(N, S, true)).toBe(want);
      if (divide(N, S, false) !== want) wrongWithoutHalf++;
      checked++;
    }
    expect(checked).toBe(40000);
    expect(wrongWithoutHalf, 'without the half some whole quotients come out one too low').toBeGreaterThan(0);
  });

  it("RMSNorm's division as the wasm kernel does it, floor(N * fl(1/D) + fl(1/D)/2), is floor(N / D) for N < 2^31, D < 2^30", () => {
    const divide = (N: number, D: number, half: boolean) => {
      const r = 1 / D;
      return Math.trunc(N * r + (half ? r * 0.5 : 0));
    };
    const r = rng(26);
    let wrongWithoutHalf = 0;
    for (let i = 0; i < 40000; i++) {
      const D = 1 + Math.floor(r() * 2 ** (1 + Math.floor(r() * 29)));
      // every other case a whole quotient (the hard one), else any N
      const N = i % 2 === 0 ? D * Math.floor(r() * Math.floor((2 ** 31 - 1) / D)) : Math.floor(r() * 2 ** 31);
      const want = Math.floor(N / D) === N / D ? N / D : Number(BigInt(N) / BigInt(D));
      expect(divide(N, D, true)).toBe(want);
      if (divide(N, D, false) !== want) wrongWithoutHalf++;
    }
    expect(wrongWithoutHalf, 'without the half some whole quotients come out one too low').toBeGreaterThan(0);
  });

  it("logits -> the coder's cumulative table: the same integers as logitsToFrequencies, odd sizes, ties, extremes", async () => {
    const K = await WasmKernels.create(readFileSync(WASM_KERNELS));
    const exp2 = uploadExp2(K);
    const r = rng(21);
    const cases: [string, number, (i: number) => number][] = [
      ['one symbol', 1, () => 5],
      ['two, tied', 2, () => -7],
      ['odd size, random', 8195, () => Math.floor((r() - 0.5) * 40_000)],
      ['the vocabulary, peaked', 8192, (i) => (i === 4000 ? 90_000 : Math.floor(r() * 3000))],
      ['max ties: the first takes the remainder', 1003, (i) => (i % 250 === 3 ? 1000 : Math.floor(r() * 900))],
      // (max - logit beyond 2^31: wrapped in int32 some of these would look close to the max)
      ['int32 extremes', 4101, (i) => [2 ** 31 - 1, -(2 ** 31), 0, -(2 ** 31) + 8191, -(2 ** 31) + 40][i % 5]!],
      ['a wide flat spread (the most division work)', 8192, (i) => 6000 - (i % 6200)],
    ];
    for (const [name, n, f] of cases) {
      const logits = Int32Array.from({ length: n }, (_, i) => f(i));
      const maker = new KernelTableMaker(K, n, exp2);
      const table = maker.table(logits);
      const want = logitsToFrequencies(logits);
      const got = Array.from({ length: n }, (_, s) => table.get(s));
      expect(got, name).toEqual(Array.from(want));
      expect(table.total).toBe(FREQ_TOTAL);
      // lookups agree with the frequencies: every symbol's interval maps back to it
      for (const s of [0, n >> 1, n - 1]) {
        expect(table.symbolAt(table.low(s))).toBe(s);
        expect(table.symbolAt(table.high(s) - 1)).toBe(s);
      }
      maker.dispose();
    }
  });

  it('matmul on ragged shapes and extreme values', async () => {
    const r = rng(11);
    // odd output counts (a lone last output), inputs off the 8-input step (padding), rows off the 4-row tile
    // (one to three rows after the last whole tile, alone or after tiles: tiles of 3 x 2, 2 x 4, 1 x 4 outputs)
    // (two output pairs at a time, or one for a lone row of a matrix over 1 MiB: 301 x 4,100), odd pairs left
    const cases = [[1, 1, 1], [3, 17, 5], [7, 33, 4], [64, 48, 9], [33, 256, 13], [5, 25, 4], [2, 15, 8], [9, 8, 3], [4, 64, 2],
      [131, 256, 7], [130, 260, 6], [200, 256, 11], [67, 2048, 3], [14, 4100, 2], [11, 4100, 1], [70, 40, 10], [301, 4100, 1]] as const;
    for (const [outN, inN, rows] of cases) {
      const extreme = outN === 2;
      const w = Array.from({ length: outN * inN }, () => (extreme ? -128 : Math.floor(r() * 255) - 127));
      const x = Array.from({ length: rows * inN }, () => (extreme ? -128 : Math.floor(r() * 255) - 127));
      const [a, b] = await both((K) => {
        const wp = K.uploadMatrix(Int8Array.from(w), outN, inN);
        const xp = put(K, Int8Array, x.length, (i) => x[i]!);
        const acc = K.alloc(rows * outN * 4);
        K.matmul(wp, outN, inN, xp, rows, acc);
        return Array.from(new Int32Array(K.buffer(), acc, rows * outN));
      });
      expect(b, `${outN}x${inN}, ${rows} rows`).toEqual(a);
      if (extreme) expect(a[0]).toBe(128 * 128 * inN);
    }
  });

  it('requantisation of rows: odd widths, accumulators at the limits, every shift, clamps', async () => {
    const r = rng(23);
    const edges = [2 ** 31 - 1, -(2 ** 31) + 1, 0, 1, -1, 2 ** 30, -(2 ** 30) - 3];
    // rows below 16 go along blocks of 256 columns (600: two and a partial one), from 16 on in
    // blocks of 64 rows (70: a partial block); widths off the 4-column grid
    for (const [rows, outN] of [[1, 1], [3, 7], [2, 64], [5, 33], [8, 600], [3, 256], [17, 4], [70, 9]] as const) {
      const n = rows * outN;
      const acc = Array.from({ length: n }, (_, i) => (i < edges.length ? edges[i]! : Math.floor((r() - 0.5) * 2 ** 32)));
      // the spec's domain: m in [0, 2^15), s in 1..52 (both ends); small a give exact halves after the shift
      const m = Array.from({ length: outN }, (_, o) => (o === 0 ? 2 ** 15 - 1 : Math.floor(r() * 2 ** 15)));
      const s = Array.from({ length: outN }, (_, o) => (o === outN - 1 ? 52 : 1 + ((o * 7) % 52)));
      for (const [lo, hi] of [[-(2 ** 31), 2 ** 31 - 1], [-32767, 32767], [-127, 127]] as const) {
        const [a, b] = await both((K) => {
          const ap = put(K, Int32Array, n, (i) => acc[i]!);
          const mp = put(K, Int32Array, outN, (o) => m[o]!);
          const sp = put(K, Int32Array, outN, (o) => s[o]!);
          const dst = K.alloc(n * 4);
          K.requantRows(ap, rows, outN, mp, sp, lo, hi, dst);
          return Array.from(new Int32Array(K.buffer(), dst, n));
        });
        expect(b, `${rows}x${outN} clamped to [${lo}, ${hi}]`).toEqual(a);
        if (n > 1) expect(new Set(a).size, 'not all clamped to one value').toBeGreaterThan(1);
      }
    }
  });

  it('RMSNorm, residual update and SwiGLU product', async () => {
    const r = rng(12);
    // d on the 16-lane grid goes four lanes at a time, 40 element by element; the largest gain
    // shift (divisor r * 2^15) as well as a middling one
    for (const [d, gs] of [[16, 12], [40, 12], [48, 12], [256, 12], [16, 17], [256, 19]] as const) {
      const rows = 6;
      // rows of very different magnitude, one all-zero row, one at the residual stream's limits
      const h = Array.from({ length: rows * d }, (_, i) => {
        const row = Math.floor(i / d);
        if (row === 2) return 0;
        if (row === 5) return [2 ** 30 - 1, -(2 ** 30), 1, -1][i % 4]!;
        return Math.round((r() - 0.5) * 2 ** (8 + 5 * row));
      });
      const g = Array.from({ length: d }, () => Math.floor(r() * 65535) - 32767);
      const delta = Array.from({ length: rows * d }, () => Math.floor((r() - 0.5) * 2 ** 32));
      const gate = Array.from({ length: rows * d }, () => Math.floor((r() - 0.5) * 8000));
      const up = Array.from({ length: rows * d }, () => Math.floor((r() - 0.5) * 65534));
      const silu = Array.from({ length: 4096 }, (_, i) => Math.round(((i - 2048) / 256 / (1 + Math.exp(-(i - 2048) / 256))) * 256));
      const [a, b] = await both((K) => {
        const hp = put(K, Int32Array, h.length, (i) => h[i]!);
        const gp = put(K, Int32Array, d, (i) => g[i]!);
        const out = K.alloc(rows * d);
        K.rmsNormRows(hp, rows, d, gp, gs, normBits(d), out);
        const normed = Array.from(new Int8Array(K.buffer(), out, rows * d));
        const dp = put(K, Int32Array, delta.length, (i) => delta[i]!);
        K.addResidual(hp, dp, rows * d, -(2 ** 30), 2 ** 30 - 1);
        const added = Array.from(new Int32Array(K.buffer(), hp, rows * d));
        const gt = put(K, Int32Array, gate.length, (i) => gate[i]!);
        const upp = put(K, Int32Array, up.length, (i) => up[i]!);
        const sp = put(K, Int16Array, 4096, (i) => silu[i]!);
        const act = K.alloc(rows * d);
        K.swiglu(gt, upp, rows * d, sp, 20000, 30, act);
        const acted = Array.from(new Int8Array(K.buffer(), act, rows * d));
        // an up value past the projections' clamp sends the block element by element
        new Int32Array(K.buffer(), upp, up.length)[7] = 50_000;
        K.swiglu(gt, upp, rows * d, sp, 20000, 30, act);
        return { normed, added, act: acted, actWide: Array.from(new Int8Array(K.buffer(), act, rows * d)) };
      });
      expect(b, `d=${d} gs=${gs}`).toEqual(a);
      expect(a.normed.slice(2 * d, 3 * d).every((v) => v === 0)).toBe(true);
      expect(new Set(a.act).size).toBeGreaterThan(10); // the test data reaches many values
    }
  });

  it.each([
    ['rows contiguous', 'row'],
    ['heads apart (the K/V caches: head-major)', 'head'],
  ])('rotary positions to int8 and row stores, to scattered destinations: %s', async (_name, layout) => {
    // head dims of 8 (element by element) and 16 (the value store's lanes)
    for (const hd of [8, 16]) {
      const r = rng(13);
      const width = 3 * hd;
      const rows = 6;
      const maxPos = 50;
      // q/k projections clamp to +-32767 (rows in lanes); row 1 holds values past that (element by element)
      const z = Array.from({ length: rows * width }, (_, i) => (i === width + 3 ? 2 ** 20 : i === width + 5 ? -(2 ** 31) : Math.floor((r() - 0.5) * 65534)));
      const pos = Array.from({ length: rows }, () => Math.floor(r() * maxPos));
      // Q14 tables as models hold them, and every fifth entry at the ends of int16 (which a damaged model could hold)
      const table = (i: number) => (i % 5 === 0 ? [-32768, 32767][i % 2]! : Math.floor((r() - 0.5) * 32768));
      const cos = Array.from({ length: maxPos * (hd / 2) }, (_, i) => table(i));
      const sin = Array.from({ length: maxPos * (hd / 2) }, (_, i) => table(i + 1));
      const [a, b] = await both((K) => {
        const zp = put(K, Int32Array, z.length, (i) => z[i]!);
        const pp = put(K, Int32Array, rows, (i) => pos[i]!);
        const cp = put(K, Int16Array, cos.length, (i) => cos[i]!);
        const sp = put(K, Int16Array, sin.length, (i) => sin[i]!);
        const out = K.alloc(2 * rows * width);
        // rows land in reverse order; a row's heads side by side, or each head in a run of its own (rows x hd)
        const rowStride = layout === 'row' ? width : hd;
        const headStride = layout === 'row' ? hd : rows * hd;
        const dp = put(K, Int32Array, rows, (i) => out + (rows - 1 - i) * rowStride);
        K.ropeRows(zp, rows, width, hd, pp, cp, sp, dp, headStride);
        const roped = Array.from(new Int8Array(K.buffer(), out, rows * width));
        const small = put(K, Int32Array, z.length, (i) => Math.max(-127, Math.min(127, z[i]! >> 8)));
        K.storeRowsI8(small, rows, width, dp, hd, headStride, 1);
        const stored = Array.from(new Int8Array(K.buffer(), out, rows * width));
        // every second byte (the value cache's interleaved pairs): rows land at even offsets, twice as far apart
        const out2 = K.alloc(4 * rows * width);
        new Int8Array(K.buffer(), out2, 4 * rows * width).fill(99);
        const dp2 = put(K, Int32Array, rows, (i) => out2 + 2 * (rows - 1 - i) * rowStride);
        K.storeRowsI8(small, rows, width, dp2, hd, 2 * headStride, 2);
        const interleaved = Array.from(new Int8Array(K.buffer(), out2, 2 * rows * width));
        // and at odd offsets (odd positions): the even bytes already there are kept
        const dp3 = put(K, Int32Array, rows, (i) => out2 + 2 * (rows - 1 - i) * rowStride + 1);
        K.storeRowsI8(small, rows, width, dp3, hd, 2 * headStride, 2);
        return { roped, stored, interleaved, both: Array.from(new Int8Array(K.buffer(), out2, 2 * rows * width)) };
      });
      expect(b).toEqual(a);
      for (let i = 0; i < 2 * rows * width; i++) expect(a.interleaved[i], `byte ${i}`).toBe(i % 2 ? 99 : a.stored[i / 2]);
      for (let i = 0; i < 2 * rows * width; i++) expect(a.both[i], `byte ${i}`).toBe(a.stored[i >> 1]);
      expect(new Set(a.roped).size).toBeGreaterThan(20);
      // the stored rows are where the layout puts them: row i's head h, element c
      const at = (i: number, h: number, c: number) => (layout === 'row' ? (rows - 1 - i) * width + h * hd : h * rows * hd + (rows - 1 - i) * hd) + c;
      for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) expect(a.stored[at(i, Math.floor(j / hd), j % hd)]).toBe(Math.max(-127, Math.min(127, z[i * width + j]! >> 8)));
    }
  });
});
