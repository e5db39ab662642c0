/**
 * The plain TypeScript reference engine: docs/numerics.md, line by line, one
 * position at a time. It is the specification the fast backends are tested
 * against, so it favours clarity over speed.
 */
import { EXP2_Q23 } from '../../codec/logitsToFrequencies.js';
import type { Engine, ModelIdentity, StreamHandle } from '../types.js';
import { bitlen, clamp, INT32_MAX, INT32_MIN, isqrt, normBits, rdiv, requant, RESIDUAL_MAX, RESIDUAL_MIN, ropeToInt8, roundShift, siluQ8 } from './intmath.js';
import type { ExactWeights, Linear, Norm } from './weights.js';


/** exp2_q15(t) of the spec. */
export function exp2Q15(t: number): number {
  const whole = t >> 8;
  return whole >= 16 ? 0 : (EXP2_Q23[t & 255]! >> 8) >> whole;
}

/** RMSNorm of the spec: int32 `h` -> int8 `out`. */
export function rmsNorm(h: Int32Array, norm: Norm, out: Int8Array): void {
  const d = h.length;
  const B = normBits(d);
  const lim = 2 ** B - 1;
  let mx = 0;
  for (let i = 0; i < d; i++) mx = Math.max(mx, Math.abs(h[i]!));
  const sh = Math.max(0, bitlen(mx) - B);
  const x = new Int32Array(d);
  let ss = 0;
  for (let i = 0; i < d; i++) {
    x[i] = clamp(roundShift(h[i]!, sh), -lim, lim);
    ss += x[i]! * x[i]!;
  }
  if (ss === 0) {
    out.fill(0);
    return;
  }
  const r = Math.max(1, isqrt(Math.floor(ss / d) * 2 ** (30 - 2 * B)));
  const den = r * 2 ** (norm.gs - 15 + B);
  for (let i = 0; i < d; i++) out[i] = clamp(rdiv(x[i]! * norm.g[i]!, den), -127, 127);
}

/** out[o] = clamp(requant(sum_i W[o][i] x[i], m[o], s[o]), lo, hi). */
export function linear(L: Linear, x: Int8Array, out: Int32Array, lo: number, hi: number): void {
  const { w, m, s } = L;
  const n = L.in;
  for (let o = 0; o < L.out; o++) {
    let acc = 0;
    const row = o * n;
    for (let i = 0; i < n; i++) acc += w[row + i]! * x[i]!;
    out[o] = clamp(requant(acc, m[o]!, s[o]!), lo, hi);
  }
}

interface Stream extends StreamHandle {
  pos: number;
  k: Int8Array[]; // per layer [maxPos][kvHeads * hd]
  v: Int8Array[];
}

export class ReferenceEngine implements Engine {
  readonly backend = 'ts';
  private nextId = 1;

  constructor(
    readonly identity: ModelIdentity,
    private readonly W: ExactWeights,
  ) {}

  newStream(_maxTokens?: number): Stream {
    const c = this.W.config;
    const size = c.maxPos * c.kvHeads * this.W.headDim;
    return {
      id: this.nextId++,
      pos: 0,
      k: Array.from({ length: c.layers }, () => new Int8Array(size)),
      v: Array.from({ length: c.layers }, () => new Int8Array(size)),
    };
  }

  freeStream(stream: StreamHandle): void {
    const s = stream as Stream;
    s.k = [];
    s.v = [];
  }

  dispose(): void {}

  async step(streams: StreamHandle[], tokens: Int32Array): Promise<Int32Array[]> {
    return streams.map((s, b) => this.forward(s as Stream, tokens[b]!));
  }

  async feedPrompt(stream: StreamHandle, prompt: Int32Array): Promise<void> {
    const d = this.W.config.dim;
    if (prompt.length % d) throw new RangeError(`a prompt is a whole number of ${d}-wide vectors`);
    for (let i = 0; i < prompt.length; i += d) this.forward(stream as Stream, -1, prompt.subarray(i, i + d));
  }

  async prefill(seqs: Int32Array[], prompts?: (Int32Array | null)[]): Promise<Int32Array[]> {
    const V = this.W.config.vocab;
    return seqs.map((seq, b) => {
      const s = this.newStream();
      const prompt = prompts?.[b];
      if (prompt) void this.feedPrompt(s, prompt);
      const out = new Int32Array(seq.length * V);
      for (let p = 0; p < seq.length; p++) out.set(this.forward(s, seq[p]!), p * V);
      this.freeStream(s);
      return out;
    });
  }

  /** One position of one stream: the spec's forward pass (a prompt vector instead of a token when `vec` is given). */
  forward(st: Stream, token: number, vec?: Int32Array): Int32Array {
    const W = this.W;
    const c = W.config;
    const d = c.dim;
    const hd = W.headDim;
    const half = hd / 2;
    const kvDim = c.kvHeads * hd;
    const group = c.heads / c.kvHeads;
    const p = st.pos;
    if (p >= c.maxPos) throw new RangeError(`position ${p} beyond the model's ${c.maxPos}`);
    if (!vec && !(token >= 0 && token < c.vocab)) throw new RangeError(`token ${token} outside the vocabulary`);

    const h = new Int32Array(d);
    if (vec) for (let i = 0; i < d; i++) h[i] = clamp(vec[i]!, RESIDUAL_MIN, RESIDUAL_MAX);
    else for (let i = 0; i < d; i++) h[i] = requant(W.embed[token * d + i]!, W.embedM[token]!, W.embedS[token]!);

    const xn = new Int8Array(Math.max(d, c.ffn));
    const q16 = new Int32Array(d);
    const k16 = new Int32Array(kvDim);
    const v8 = new Int32Array(kvDim);
    const ao = new Int8Array(d);
    const delta = new Int32Array(d);
    const g = new Int32Array(c.ffn);
    const u = new Int32Array(c.ffn);
    const a = new Int8Array(c.ffn);
    const dots = new Float64Array(p + 1);
    const wts = new Float64Array(p + 1);
    const cos = W.ropeCos;
    const sin = W.ropeSin;

    const rope = (z: Int32Array, base: number) => ropeToInt8(z, base, p, half, cos, sin, z, base);

    for (let l = 0; l < c.layers; l++) {
      const L = W.layers[l]!;
      const xa = xn.subarray(0, d);
      rmsNorm(h, L.attnNorm, xa);
      linear(L.wq, xa, q16, -32767, 32767);
      linear(L.wk, xa, k16, -32767, 32767);
      linear(L.wv, xa, v8, -127, 127);
      for (let hh = 0; hh < c.heads; hh++) rope(q16, hh * hd);
      for (let kh = 0; kh < c.kvHeads; kh++) rope(k16, kh * hd);
      const K = st.k[l]!;
      const Vc = st.v[l]!;
      for (let i = 0; i < kvDim; i++) {
        K[p * kvDim + i] = k16[i]!;
        Vc[p * kvDim + i] = v8[i]!;
      }
      for (let hh = 0; hh < c.heads; hh++) {
        const kvOff = Math.floor(hh / group) * hd;
        let M = -Infinity;
        for (let j = 0; j <= p; j++) {
          let dot = 0;
          for (let cc = 0; cc < hd; cc++) dot += q16[hh * hd + cc]! * K[j * kvDim + kvOff + cc]!;
          dots[j] = dot;
          if (dot > M) M = dot;
        }
        let P = 0;
        for (let j = 0; j <= p; j++) {
          wts[j] = exp2Q15(requant(M - dots[j]!, L.attM, L.attS));
          P += wts[j]!;
        }
        for (let j = 0; j <= p; j++) wts[j] = Math.floor((wts[j]! * 32768) / P);
        for (let cc = 0; cc < hd; cc++) {
          let o = 0;
          for (let j = 0; j <= p; j++) o += wts[j]! * Vc[j * kvDim + kvOff + cc]!;
          ao[hh * hd + cc] = clamp(requant(o, L.aoM, L.aoS), -127, 127);
        }
      }
      linear(L.wo, ao, delta, INT32_MIN, INT32_MAX);
      for (let i = 0; i < d; i++) h[i] = clamp(h[i]! + delta[i]!, RESIDUAL_MIN, RESIDUAL_MAX);

      rmsNorm(h, L.mlpNorm, xa);
      linear(L.wgate, xa, g, -32767, 32767);
      linear(L.wup, xa, u, -32767, 32767);
      for (let k = 0; k < c.ffn; k++) a[k] = clamp(requant(siluQ8(g[k]!, W.silu) * u[k]!, L.aM, L.aS), -127, 127);
      linear(L.wdown, a, delta, INT32_MIN, INT32_MAX);
      for (let i = 0; i < d; i++) h[i] = clamp(h[i]! + delta[i]!, RESIDUAL_MIN, RESIDUAL_MAX);
    }

    const f = xn.subarray(0, d);
    rmsNorm(h, W.finalNorm, f);
    const logits = new Int32Array(c.vocab);
    for (let v = 0; v < c.vocab; v++) {
      let acc = 0;
      for (let i = 0; i < d; i++) acc += W.embed[v * d + i]! * f[i]!;
      logits[v] = requant(acc, W.headM[v]!, W.headS[v]!);
    }
    st.pos = p + 1;
    return logits;
  }
}
