/**
 * Random integer models of any shape whose scales keep activations in their
 * working ranges, so equality checks exercise real arithmetic rather than
 * saturated clamps. Used by the tests and by the in-browser self-test
 * (selftest.html) that proves a device computes the same bits.
 */
import { writeModelFile } from './modelFile.js';
import type { ModelConfig } from '../types.js';

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const TINY_VOCAB = 1 + 256 + 6;

export interface RandomModelOptions extends Partial<ModelConfig> {
  seed?: number;
  name?: string;
  tokenizerSha256?: string;
  /** 4: int4 weights, stored packed (the engine widens them to int8 on load). */
  weightBits?: 4 | 8;
  /** Domain soft prompts to include (random residual values), `promptVectors` each (default 4). */
  prompts?: number;
  promptVectors?: number;
}

export function randomModel(o: RandomModelOptions = {}): Uint8Array {
  const c: ModelConfig = {
    vocab: o.vocab ?? TINY_VOCAB,
    dim: o.dim ?? 32,
    layers: o.layers ?? 2,
    heads: o.heads ?? 2,
    kvHeads: o.kvHeads ?? o.heads ?? 2,
    ffn: o.ffn ?? 48,
    maxPos: o.maxPos ?? 128,
    bos: 0,
  };
  const r = rng(o.seed ?? 1);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  // int4 models: weights in [-7, 7] (stored packed), multipliers 18x larger to keep the ranges
  const wmax = o.weightBits === 4 ? 7 : 127;
  const i8 = (n: number) => Int8Array.from({ length: n }, () => int(-wmax, wmax));
  const wscale = 127 / wmax;
  const hd = c.dim / c.heads;
  // m in [2^14, 2^15); s chosen so m / 2^s is about `scale`.
  const mult = (n: number, scale: number) => {
    const m = Int32Array.from({ length: n }, () => int(1 << 14, (1 << 15) - 1));
    const base = Math.round(14.5 - Math.log2(scale));
    const s = Int32Array.from({ length: n }, () => base + int(-1, 1));
    return { m, s };
  };
  const tensors: Record<string, { dtype: 'i4' | 'i8' | 'i16' | 'i32'; shape: number[]; data: Int8Array | Int16Array | Int32Array }> = {};
  const put = (name: string, data: Int8Array | Int16Array | Int32Array, shape: number[]) => {
    const narrow = data instanceof Int8Array && o.weightBits === 4;
    tensors[name] = { dtype: narrow ? 'i4' : data instanceof Int8Array ? 'i8' : data instanceof Int16Array ? 'i16' : 'i32', shape, data };
  };
  const linear = (name: string, out: number, inn: number, target: number) => {
    put(name, i8(out * inn), [out, inn]);
    // acc std is about 127/sqrt(3) * 40 * sqrt(in)
    const { m, s } = mult(out, (wscale * target) / (2900 * Math.sqrt(inn)));
    put(`${name}.m`, m, [out]);
    put(`${name}.s`, s, [out]);
  };
  const scalars: Record<string, number> = {};
  const norm = (name: string) => {
    put(`${name}.g`, Int32Array.from({ length: c.dim }, () => int(1 << 12, 1 << 14)), [c.dim]);
    scalars[`${name}.gs`] = 8;
  };
  put('embed', i8(c.vocab * c.dim), [c.vocab, c.dim]);
  const em = mult(c.vocab, 64 * wscale);
  put('embed.m', em.m, [c.vocab]);
  put('embed.s', em.s, [c.vocab]);
  const hm = mult(c.vocab, (wscale * 2000) / (2900 * Math.sqrt(c.dim)));
  put('head.m', hm.m, [c.vocab]);
  put('head.s', hm.s, [c.vocab]);
  norm('final_norm');
  const kv = c.kvHeads * hd;
  for (let l = 0; l < c.layers; l++) {
    const p = `layers.${l}`;
    norm(`${p}.attn_norm`);
    linear(`${p}.wq`, c.dim, c.dim, 8000);
    linear(`${p}.wk`, kv, c.dim, 8000);
    linear(`${p}.wv`, kv, c.dim, 50);
    linear(`${p}.wo`, c.dim, c.dim, 3000);
    norm(`${p}.mlp_norm`);
    linear(`${p}.wgate`, c.ffn, c.dim, 500);
    linear(`${p}.wup`, c.ffn, c.dim, 500);
    linear(`${p}.wdown`, c.dim, c.ffn, 3000);
    const att = mult(1, 1000 / (2500 * Math.sqrt(hd)));
    scalars[`${p}.att_m`] = att.m[0]!;
    scalars[`${p}.att_s`] = att.s[0]!;
    const ao = mult(1, 2 ** -15);
    scalars[`${p}.ao_m`] = ao.m[0]!;
    scalars[`${p}.ao_s`] = ao.s[0]!;
    const a = mult(1, 50 / 130000);
    scalars[`${p}.a_m`] = a.m[0]!;
    scalars[`${p}.a_s`] = a.s[0]!;
  }
  const half = hd / 2;
  const cos = new Int16Array(c.maxPos * half);
  const sin = new Int16Array(c.maxPos * half);
  for (let p = 0; p < c.maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const ang = p / 10000 ** ((2 * i) / hd);
      cos[p * half + i] = Math.round(Math.cos(ang) * 16384);
      sin[p * half + i] = Math.round(Math.sin(ang) * 16384);
    }
  }
  put('rope.cos', cos, [c.maxPos, half]);
  put('rope.sin', sin, [c.maxPos, half]);
  put('silu', Int16Array.from({ length: 4096 }, (_, j) => {
    const x = (j - 2048) / 256;
    return Math.round((x / (1 + Math.exp(-x))) * 256);
  }), [4096]);
  const names = Array.from({ length: o.prompts ?? 0 }, (_, i) => `domain-${i}`);
  if (names.length) {
    const P = o.promptVectors ?? 4;
    // residual values of the size embeddings give (about 127 * 64)
    put('prompts', Int32Array.from({ length: names.length * P * c.dim }, () => int(-9000, 9000)), [names.length, P, c.dim]);
  }
  return writeModelFile(
    { numerics: 1, name: o.name ?? `random-${o.seed ?? 1}`, config: c, tokenizer_sha256: o.tokenizerSha256 ?? '', scalars, ...(names.length ? { prompt_names: names } : {}) },
    tensors,
  );
}
