/**
 * The model in the two buffers the WGSL kernels read: every int8 matrix
 * packed four to a u32 word (rows padded to whole words with zeros) and
 * stored word-column-major — word i of every output row together, so that
 * the threads of a workgroup (one output each) read adjacent words — and
 * every int32 table (multipliers, shifts, gains, rotary, SiLU, exp2) in one
 * i32 array. Offsets are in words / elements, as the kernels' uniforms take them.
 */
import { EXP2_Q23 } from '../../../codec/logitsToFrequencies.js';
import type { ExactWeights, Linear, Norm } from '../weights.js';

export interface PackedLinear {
  out: number;
  in: number;
  /** Words per row. */
  inW: number;
  wOff: number;
  mOff: number;
  sOff: number;
}

export interface PackedNorm {
  gOff: number;
  gs: number;
}

export interface PackedLayer {
  attnNorm: PackedNorm;
  mlpNorm: PackedNorm;
  wq: PackedLinear;
  wk: PackedLinear;
  wv: PackedLinear;
  wo: PackedLinear;
  wgate: PackedLinear;
  wup: PackedLinear;
  wdown: PackedLinear;
}

export interface PackedModel {
  words: Uint32Array;
  table: Int32Array;
  embOff: number;
  embMOff: number;
  embSOff: number;
  headMOff: number;
  headSOff: number;
  finalNorm: PackedNorm;
  layers: PackedLayer[];
  cosOff: number;
  sinOff: number;
  siluOff: number;
  exp2Off: number;
}

export const wordsFor = (bytes: number) => Math.ceil(bytes / 4);

export function packModel(W: ExactWeights): PackedModel {
  const c = W.config;
  const matrices: { w: Int8Array; out: number; in: number }[] = [{ w: W.embed, out: c.vocab, in: c.dim }];
  for (const L of W.layers) matrices.push(L.wq, L.wk, L.wv, L.wo, L.wgate, L.wup, L.wdown);
  const words = new Uint32Array(matrices.reduce((n, m) => n + m.out * wordsFor(m.in), 0));
  const bytes = new Uint8Array(words.buffer);
  const wOffs = new Map<Int8Array, number>();
  let at = 0;
  for (const m of matrices) {
    wOffs.set(m.w, at);
    const inW = wordsFor(m.in);
    // byte k of row o: word (k >> 2) of that row, at (at + (k >> 2) * out + o) words
    for (let o = 0; o < m.out; o++) {
      for (let k = 0; k < m.in; k++) bytes[(at + (k >> 2) * m.out + o) * 4 + (k & 3)] = m.w[o * m.in + k]! & 0xff;
    }
    at += m.out * inW;
  }

  const parts: ArrayLike<number>[] = [];
  let size = 0;
  const put = (a: ArrayLike<number>) => {
    parts.push(a);
    size += a.length;
    return size - a.length;
  };
  const linear = (L: Linear): PackedLinear => ({ out: L.out, in: L.in, inW: wordsFor(L.in), wOff: wOffs.get(L.w)!, mOff: put(L.m), sOff: put(L.s) });
  const norm = (n: Norm): PackedNorm => ({ gOff: put(n.g), gs: n.gs });
  const packed = {
    words,
    embOff: 0,
    embMOff: put(W.embedM),
    embSOff: put(W.embedS),
    headMOff: put(W.headM),
    headSOff: put(W.headS),
    finalNorm: norm(W.finalNorm),
    layers: W.layers.map((L) => ({
      attnNorm: norm(L.attnNorm),
      mlpNorm: norm(L.mlpNorm),
      wq: linear(L.wq),
      wk: linear(L.wk),
      wv: linear(L.wv),
      wo: linear(L.wo),
      wgate: linear(L.wgate),
      wup: linear(L.wup),
      wdown: linear(L.wdown),
    })),
    cosOff: put(W.ropeCos),
    sinOff: put(W.ropeSin),
    siluOff: put(W.silu),
    exp2Off: put(EXP2_Q23),
  };
  const table = new Int32Array(size);
  let k = 0;
  for (const p of parts) {
    table.set(p, k);
    k += p.length;
  }
  return { ...packed, table };
}
