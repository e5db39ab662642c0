/**
 * The integer model of docs/numerics.md with its roundings taken away: every
 * requant becomes a multiplication by m / 2^s, the exp2 and SiLU tables their
 * functions, RMSNorm its formula; clamps stay (their gradient is zero outside).
 * It exists for one job: gradients of the code length with respect to a soft
 * prompt, so the encoder can learn a prompt for its input (docs/steering.md).
 * Nothing here feeds the coder: the learned prompt is quantised and then run
 * through the integer engine on both sides, so float differences between
 * devices cannot break an archive (they only change which prompt is learned).
 *
 * Units are the integer engine's: the residual stream in 2^-16, int8
 * activations as their integer values; only the rounding is gone.
 */
import type { ExactWeights, Linear, Norm } from '../model/exact/weights.js';

const LN2 = Math.LN2;

/** A linear layer with its per-row multiplier folded in: out x in, row-major. */
interface FloatLinear {
  w: Float32Array;
  out: number;
  in: number;
}

interface FloatLayer {
  attnGain: Float64Array;
  wq: FloatLinear;
  wk: FloatLinear;
  wv: FloatLinear;
  wo: FloatLinear;
  /** Attention logits' scale, nats per dot-product unit. */
  alpha: number;
  /** Attention output scale (weights in Q15 times ao_m / 2^ao_s). */
  beta: number;
  mlpGain: Float64Array;
  wgate: FloatLinear;
  wup: FloatLinear;
  wdown: FloatLinear;
  /** a_m / 2^a_s. */
  gamma: number;
}

function floatLinear(L: Linear): FloatLinear {
  const w = new Float32Array(L.out * L.in);
  for (let o = 0; o < L.out; o++) {
    const scale = L.m[o]! * 2 ** -L.s[o]!;
    for (let i = 0; i < L.in; i++) w[o * L.in + i] = L.w[o * L.in + i]! * scale;
  }
  return { w, out: L.out, in: L.in };
}

/** RMSNorm's gain: y = h * gain / rms(h), the spec's G / 2^Gs. */
const normGain = (n: Norm) => Float64Array.from(n.g, (g) => g * 2 ** -n.gs);

/** Y[t][o] = sum_i W[o][i] X[t][i]. */
function forwardLinear(L: FloatLinear, X: Float64Array, T: number, Y: Float64Array): void {
  const { w, in: n, out } = L;
  for (let t = 0; t < T; t++) {
    const xo = t * n;
    for (let o = 0; o < out; o++) {
      const wo = o * n;
      let acc = 0;
      for (let i = 0; i < n; i++) acc += w[wo + i]! * X[xo + i]!;
      Y[t * out + o] = acc;
    }
  }
}

/** dX[t][i] += sum_o W[o][i] dY[t][o]. */
function backwardLinear(L: FloatLinear, dY: Float64Array, T: number, dX: Float64Array): void {
  const { w, in: n, out } = L;
  for (let t = 0; t < T; t++) {
    const xo = t * n;
    for (let o = 0; o < out; o++) {
      const g = dY[t * out + o]!;
      if (g === 0) continue;
      const wo = o * n;
      for (let i = 0; i < n; i++) dX[xo + i] = dX[xo + i]! + g * w[wo + i]!;
    }
  }
}

/** Clamps in place; returns the mask (1 inside) through which the backward pass zeroes the clamped gradients. */
function clampInPlace(a: Float64Array, lim: number): Uint8Array {
  const mask = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    mask[i] = x > -lim && x < lim ? 1 : 0;
    a[i] = x < -lim ? -lim : x > lim ? lim : x;
  }
  return mask;
}

/** g *= mask * scale: a gradient through a clamp (and a constant factor). */
function maskInPlace(g: Float64Array, mask: Uint8Array, scale = 1): void {
  for (let i = 0; i < g.length; i++) g[i] = g[i]! * mask[i]! * scale;
}

/** Y = rmsnorm(H) clamped to int8 range; returns the clamp's mask. */
function rmsForward(H: Float64Array, T: number, d: number, gain: Float64Array, Y: Float64Array, rms: Float64Array): Uint8Array {
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += H[t * d + i]! ** 2;
    const r = Math.sqrt(ss / d) || 1;
    rms[t] = r;
    for (let i = 0; i < d; i++) Y[t * d + i] = (H[t * d + i]! * gain[i]!) / r;
  }
  return clampInPlace(Y, 127);
}

/** dH += d(rmsnorm)/dH^T dY (dY already masked). */
function rmsBackward(H: Float64Array, T: number, d: number, gain: Float64Array, rms: Float64Array, dY: Float64Array, dH: Float64Array): void {
  for (let t = 0; t < T; t++) {
    const r = rms[t]!;
    let dot = 0;
    for (let i = 0; i < d; i++) dot += gain[i]! * dY[t * d + i]! * H[t * d + i]!;
    const k = dot / (d * r * r * r);
    for (let i = 0; i < d; i++) dH[t * d + i] = dH[t * d + i]! + (gain[i]! * dY[t * d + i]!) / r - H[t * d + i]! * k;
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** What one layer's forward keeps for the backward pass. */
interface LayerTape {
  hIn: Float64Array;
  xn: Float64Array;
  rms1: Float64Array;
  m1: Uint8Array;
  q16: Float64Array;
  mq16: Uint8Array;
  k16: Float64Array;
  mk16: Uint8Array;
  q8: Float64Array;
  mq8: Uint8Array;
  k8: Float64Array;
  mk8: Uint8Array;
  v8: Float64Array;
  mv8: Uint8Array;
  /** Attention weights per head: heads x T x T (lower triangle). */
  att: Float64Array;
  ao: Float64Array;
  mao: Uint8Array;
  hMid: Float64Array;
  xn2: Float64Array;
  rms2: Float64Array;
  m2: Uint8Array;
  g: Float64Array;
  mg: Uint8Array;
  u: Float64Array;
  mu: Uint8Array;
  a: Float64Array;
  ma: Uint8Array;
}

export interface PromptLoss {
  /** Code length of the targets in bits. */
  bits: number;
  /** d bits / d prompt (P x dim), when asked for. */
  grad?: Float64Array;
}

export class RelaxedModel {
  private readonly layers: FloatLayer[];
  private readonly head: Float32Array;
  private readonly finalGain: Float64Array;
  private readonly ropeCos: Float64Array;
  private readonly ropeSin: Float64Array;
  readonly dim: number;

  constructor(private readonly W: ExactWeights) {
    this.dim = W.config.dim;
    this.layers = W.layers.map((L) => ({
      attnGain: normGain(L.attnNorm),
      wq: floatLinear(L.wq),
      wk: floatLinear(L.wk),
      wv: floatLinear(L.wv),
      wo: floatLinear(L.wo),
      alpha: (L.attM * 2 ** -L.attS * LN2) / 256,
      beta: 32768 * L.aoM * 2 ** -L.aoS,
      mlpGain: normGain(L.mlpNorm),
      wgate: floatLinear(L.wgate),
      wup: floatLinear(L.wup),
      wdown: floatLinear(L.wdown),
      gamma: L.aM * 2 ** -L.aS,
    }));
    const { vocab: V, dim: d } = W.config;
    // the head in nats: logit / 256 bits
    this.head = new Float32Array(V * d);
    for (let v = 0; v < V; v++) {
      const scale = (W.headM[v]! * 2 ** -W.headS[v]! * LN2) / 256;
      for (let i = 0; i < d; i++) this.head[v * d + i] = W.embed[v * d + i]! * scale;
    }
    this.finalGain = normGain(W.finalNorm);
    this.ropeCos = Float64Array.from(W.ropeCos, (c) => c / 16384);
    this.ropeSin = Float64Array.from(W.ropeSin, (s) => s / 16384);
  }

  /** Sizes every layer pass needs. */
  private get shape() {
    const c = this.W.config;
    const hd = c.dim / c.heads;
    return { c, d: c.dim, hd, half: hd / 2, kvDim: c.kvHeads * hd, group: c.heads / c.kvHeads, F: c.ffn };
  }

  /** The embedding of token `x` in residual units. */
  embedding(x: number): Float64Array {
    const d = this.dim;
    const W = this.W;
    const scale = W.embedM[x]! * 2 ** -W.embedS[x]!;
    return Float64Array.from(W.embed.subarray(x * d, (x + 1) * d), (e) => e * scale);
  }

  /**
   * Bits to code `targets` after `prompt` (P x dim residual values, P >= 0)
   * and `inputs` (BOS and the tokens before each target), and with `wantGrad`
   * their gradient with respect to the prompt.
   */
  loss(prompt: Float64Array, inputs: Int32Array, targets: Int32Array, wantGrad: boolean): PromptLoss {
    const c = this.W.config;
    const d = c.dim;
    const P = prompt.length / d;
    const n = inputs.length;
    const T = P + n;
    if (T > c.maxPos) throw new RangeError('sequence longer than the model positions');
    const H = new Float64Array(T * d);
    H.set(prompt);
    for (let t = 0; t < n; t++) H.set(this.embedding(inputs[t]!), (P + t) * d);

    const tapes: LayerTape[] = [];
    let h: Float64Array = H;
    for (const L of this.layers) {
      const tape = this.layerForward(L, h, T);
      tapes.push(tape);
      h = tape.hOut;
    }
    const F = new Float64Array(T * d);
    const rmsF = new Float64Array(T);
    const mF = rmsForward(h, T, d, this.finalGain, F, rmsF);

    // head and cross-entropy on the token positions; dF from softmax - onehot
    const V = c.vocab;
    const dF = wantGrad ? new Float64Array(T * d) : null;
    const z = new Float64Array(V);
    let nats = 0;
    for (let t = P; t < T; t++) {
      const f = F.subarray(t * d, (t + 1) * d);
      let mx = -Infinity;
      for (let v = 0; v < V; v++) {
        let acc = 0;
        const o = v * d;
        for (let i = 0; i < d; i++) acc += this.head[o + i]! * f[i]!;
        z[v] = acc;
        if (acc > mx) mx = acc;
      }
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(z[v]! - mx);
      const target = targets[t - P]!;
      nats += Math.log(sum) + mx - z[target]!;
      if (dF) {
        const df = dF.subarray(t * d, (t + 1) * d);
        for (let v = 0; v < V; v++) {
          const g = Math.exp(z[v]! - mx) / sum - (v === target ? 1 : 0);
          if (Math.abs(g) < 1e-9) continue;
          const o = v * d;
          for (let i = 0; i < d; i++) df[i] = df[i]! + g * this.head[o + i]!;
        }
      }
    }
    const bits = nats / LN2;
    if (!dF) return { bits };

    for (let i = 0; i < dF.length; i++) dF[i] = (dF[i]! * mF[i]!) / LN2;
    let dH: Float64Array = new Float64Array(T * d);
    rmsBackward(h, T, d, this.finalGain, rmsF, dF, dH);
    for (let l = this.layers.length - 1; l >= 0; l--) dH = this.layerBackward(this.layers[l]!, tapes[l]!, T, dH);
    return { bits, grad: dH.slice(0, P * d) };
  }

  private layerForward(L: FloatLayer, hIn: Float64Array, T: number): LayerTape & { hOut: Float64Array } {
    const { c, d, hd, half, kvDim, group, F } = this.shape;

    const xn = new Float64Array(T * d);
    const rms1 = new Float64Array(T);
    const m1 = rmsForward(hIn, T, d, L.attnGain, xn, rms1);
    const q16 = new Float64Array(T * d);
    const k16 = new Float64Array(T * kvDim);
    const v8 = new Float64Array(T * kvDim);
    forwardLinear(L.wq, xn, T, q16);
    forwardLinear(L.wk, xn, T, k16);
    forwardLinear(L.wv, xn, T, v8);
    const mq16 = clampInPlace(q16, 32767);
    const mk16 = clampInPlace(k16, 32767);
    const mv8 = clampInPlace(v8, 127);
    const q8 = new Float64Array(q16.length);
    const k8 = new Float64Array(k16.length);
    this.rope(q16, q8, T, d, hd, half);
    this.rope(k16, k8, T, kvDim, hd, half);
    const mq8 = clampInPlace(q8, 127);
    const mk8 = clampInPlace(k8, 127);

    const att = new Float64Array(c.heads * T * T);
    const ao = new Float64Array(T * d);
    for (let hh = 0; hh < c.heads; hh++) {
      const kvOff = Math.floor(hh / group) * hd;
      for (let t = 0; t < T; t++) {
        const w = att.subarray((hh * T + t) * T, (hh * T + t + 1) * T);
        let mx = -Infinity;
        for (let j = 0; j <= t; j++) {
          let dot = 0;
          for (let cc = 0; cc < hd; cc++) dot += q8[t * d + hh * hd + cc]! * k8[j * kvDim + kvOff + cc]!;
          w[j] = dot * L.alpha;
          if (w[j]! > mx) mx = w[j]!;
        }
        let sum = 0;
        for (let j = 0; j <= t; j++) sum += w[j] = Math.exp(w[j]! - mx);
        for (let j = 0; j <= t; j++) w[j] = w[j]! / sum;
        for (let cc = 0; cc < hd; cc++) {
          let o = 0;
          for (let j = 0; j <= t; j++) o += w[j]! * v8[j * kvDim + kvOff + cc]!;
          ao[t * d + hh * hd + cc] = o * L.beta;
        }
      }
    }
    const mao = clampInPlace(ao, 127);
    const hMid = hIn.slice();
    const delta = new Float64Array(T * d);
    forwardLinear(L.wo, ao, T, delta);
    for (let i = 0; i < hMid.length; i++) hMid[i] = hMid[i]! + delta[i]!;

    const xn2 = new Float64Array(T * d);
    const rms2 = new Float64Array(T);
    const m2 = rmsForward(hMid, T, d, L.mlpGain, xn2, rms2);
    const g = new Float64Array(T * F);
    const u = new Float64Array(T * F);
    forwardLinear(L.wgate, xn2, T, g);
    forwardLinear(L.wup, xn2, T, u);
    const mg = clampInPlace(g, 32767);
    const mu = clampInPlace(u, 32767);
    const a = new Float64Array(T * F);
    for (let i = 0; i < a.length; i++) {
      const x = g[i]! / 256;
      a[i] = 256 * x * sigmoid(x) * u[i]! * L.gamma;
    }
    const ma = clampInPlace(a, 127);
    const hOut = hMid.slice();
    forwardLinear(L.wdown, a, T, delta);
    for (let i = 0; i < hOut.length; i++) hOut[i] = hOut[i]! + delta[i]!;
    return { hIn, xn, rms1, m1, q16, mq16, k16, mk16, q8, mq8, k8, mk8, v8, mv8, att, ao, mao, hMid, xn2, rms2, m2, g, mg, u, mu, a, ma, hOut };
  }

  /** dst = rotary(src) / 256 (the spec's Q14 rotation, then q16 -> q8). */
  private rope(src: Float64Array, dst: Float64Array, T: number, width: number, hd: number, half: number): void {
    for (let t = 0; t < T; t++) {
      for (let base = 0; base < width; base += hd) {
        for (let i = 0; i < half; i++) {
          const cs = this.ropeCos[t * half + i]!;
          const sn = this.ropeSin[t * half + i]!;
          const a = src[t * width + base + i]!;
          const b = src[t * width + base + i + half]!;
          dst[t * width + base + i] = (a * cs - b * sn) / 256;
          dst[t * width + base + i + half] = (b * cs + a * sn) / 256;
        }
      }
    }
  }

  /** The transpose of rope(): from d dst to d src, accumulated. */
  private ropeBack(dDst: Float64Array, dSrc: Float64Array, T: number, width: number, hd: number, half: number): void {
    for (let t = 0; t < T; t++) {
      for (let base = 0; base < width; base += hd) {
        for (let i = 0; i < half; i++) {
          const cs = this.ropeCos[t * half + i]!;
          const sn = this.ropeSin[t * half + i]!;
          const da = dDst[t * width + base + i]! / 256;
          const db = dDst[t * width + base + i + half]! / 256;
          dSrc[t * width + base + i] = dSrc[t * width + base + i]! + da * cs + db * sn;
          dSrc[t * width + base + i + half] = dSrc[t * width + base + i + half]! + db * cs - da * sn;
        }
      }
    }
  }

  /** From d hOut to d hIn. */
  private layerBackward(L: FloatLayer, tp: LayerTape, T: number, dOut: Float64Array): Float64Array {
    const { c, d, hd, half, kvDim, group, F } = this.shape;

    // MLP: hOut = hMid + Wdown a
    const da = new Float64Array(T * F);
    backwardLinear(L.wdown, dOut, T, da);
    const dg = new Float64Array(T * F);
    const du = new Float64Array(T * F);
    for (let i = 0; i < da.length; i++) {
      if (!tp.ma[i]) continue;
      const x = tp.g[i]! / 256;
      const s = sigmoid(x);
      const silu = 256 * x * s;
      const dPre = da[i]! * L.gamma;
      du[i] = dPre * silu * tp.mu[i]!;
      // d(256 silu(g/256))/dg = silu'(x) = s (1 + x (1 - s))
      dg[i] = dPre * tp.u[i]! * s * (1 + x * (1 - s)) * tp.mg[i]!;
    }
    const dxn2 = new Float64Array(T * d);
    backwardLinear(L.wgate, dg, T, dxn2);
    backwardLinear(L.wup, du, T, dxn2);
    maskInPlace(dxn2, tp.m2);
    const dMid = dOut.slice();
    rmsBackward(tp.hMid, T, d, L.mlpGain, tp.rms2, dxn2, dMid);

    // attention: hMid = hIn + Wo ao
    const dao = new Float64Array(T * d);
    backwardLinear(L.wo, dMid, T, dao);
    maskInPlace(dao, tp.mao, L.beta);
    const dq8 = new Float64Array(T * d);
    const dk8 = new Float64Array(T * kvDim);
    const dv8 = new Float64Array(T * kvDim);
    const dw = new Float64Array(T);
    for (let hh = 0; hh < c.heads; hh++) {
      const kvOff = Math.floor(hh / group) * hd;
      for (let t = 0; t < T; t++) {
        const w = tp.att.subarray((hh * T + t) * T, (hh * T + t + 1) * T);
        const doRow = dao.subarray(t * d + hh * hd, t * d + hh * hd + hd);
        let wdw = 0;
        for (let j = 0; j <= t; j++) {
          let acc = 0;
          for (let cc = 0; cc < hd; cc++) {
            acc += doRow[cc]! * tp.v8[j * kvDim + kvOff + cc]!;
            dv8[j * kvDim + kvOff + cc] = dv8[j * kvDim + kvOff + cc]! + w[j]! * doRow[cc]!;
          }
          dw[j] = acc;
          wdw += w[j]! * acc;
        }
        for (let j = 0; j <= t; j++) {
          const ds = w[j]! * (dw[j]! - wdw) * L.alpha;
          if (ds === 0) continue;
          for (let cc = 0; cc < hd; cc++) {
            dq8[t * d + hh * hd + cc] = dq8[t * d + hh * hd + cc]! + ds * tp.k8[j * kvDim + kvOff + cc]!;
            dk8[j * kvDim + kvOff + cc] = dk8[j * kvDim + kvOff + cc]! + ds * tp.q8[t * d + hh * hd + cc]!;
          }
        }
      }
    }
    maskInPlace(dq8, tp.mq8);
    maskInPlace(dk8, tp.mk8);
    const dq16 = new Float64Array(T * d);
    const dk16 = new Float64Array(T * kvDim);
    this.ropeBack(dq8, dq16, T, d, hd, half);
    this.ropeBack(dk8, dk16, T, kvDim, hd, half);
    maskInPlace(dq16, tp.mq16);
    maskInPlace(dk16, tp.mk16);
    maskInPlace(dv8, tp.mv8);
    const dxn = new Float64Array(T * d);
    backwardLinear(L.wq, dq16, T, dxn);
    backwardLinear(L.wk, dk16, T, dxn);
    backwardLinear(L.wv, dv8, T, dxn);
    maskInPlace(dxn, tp.m1);
    const dIn = dMid.slice();
    rmsBackward(tp.hIn, T, d, L.attnGain, tp.rms1, dxn, dIn);
    return dIn;
  }
}
