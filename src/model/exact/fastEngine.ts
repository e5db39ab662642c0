/**
 * The exact engine for real work: the forward pass of docs/numerics.md over
 * many rows at once (all positions of a chunk in prefill, one position of
 * many streams in step), with the matrix and attention loops in a Kernels
 * implementation (wasm SIMD or TS) and KV caches in the kernels' memory.
 * Each row's arithmetic is exactly the reference engine's.
 */
import type { Engine, ModelIdentity, StreamHandle } from '../types.js';
import { clamp, requant, roundShift } from './intmath.js';
import type { Kernels } from './kernels.js';
import { exp2Q15, rmsNorm } from './reference.js';
import type { ExactWeights, Linear } from './weights.js';

interface Stream extends StreamHandle {
  pos: number;
  capacity: number;
  k: number[]; // per layer: capacity x kvDim int8
  v: number[];
  freed: boolean;
}

interface Row {
  stream: Stream;
  token: number;
  pos: number;
}

const RES_MIN = -(2 ** 30);
const RES_MAX = 2 ** 30 - 1;

export class FastEngine implements Engine {
  private nextId = 1;
  private readonly ptr = new Map<Int8Array, number>();
  readonly backend: string;

  constructor(
    readonly identity: ModelIdentity,
    private readonly W: ExactWeights,
    private readonly K: Kernels,
  ) {
    this.backend = K.name;
    const upload = (a: Int8Array) => {
      const p = K.alloc(a.length);
      new Int8Array(K.buffer(), p, a.length).set(a);
      this.ptr.set(a, p);
    };
    upload(W.embed);
    for (const L of W.layers) for (const lin of [L.wq, L.wk, L.wv, L.wo, L.wgate, L.wup, L.wdown]) upload(lin.w);
  }

  newStream(maxTokens?: number): Stream {
    const c = this.W.config;
    const capacity = Math.min(c.maxPos, maxTokens ?? c.maxPos);
    const bytes = capacity * c.kvHeads * this.W.headDim;
    return {
      id: this.nextId++,
      pos: 0,
      capacity,
      k: Array.from({ length: c.layers }, () => this.K.alloc(bytes)),
      v: Array.from({ length: c.layers }, () => this.K.alloc(bytes)),
      freed: false,
    };
  }

  freeStream(handle: StreamHandle): void {
    const s = handle as Stream;
    if (s.freed) return;
    s.freed = true;
    for (const p of [...s.k, ...s.v]) this.K.free(p);
  }

  dispose(): void {}

  async step(streams: StreamHandle[], tokens: Int32Array): Promise<Int32Array[]> {
    const rows = streams.map((s, b) => ({ stream: s as Stream, token: tokens[b]!, pos: (s as Stream).pos }));
    const out = this.forward(rows);
    for (const s of streams) (s as Stream).pos++;
    return out;
  }

  async prefill(seqs: Int32Array[]): Promise<Int32Array[]> {
    const V = this.W.config.vocab;
    return seqs.map((seq) => {
      const s = this.newStream(seq.length);
      try {
        const rows = Array.from(seq, (token, pos) => ({ stream: s, token, pos }));
        const logits = this.forward(rows);
        const out = new Int32Array(seq.length * V);
        logits.forEach((l, p) => out.set(l, p * V));
        return out;
      } finally {
        this.freeStream(s);
      }
    });
  }

  /** Requantised matmul of `rows` int8 vectors at `x` into a JS array. */
  private linear(L: Linear, x: number, rows: number, acc: number, out: Int32Array, lo: number, hi: number): void {
    this.K.matmul(this.ptr.get(L.w)!, L.out, L.in, x, rows, acc);
    const a = new Int32Array(this.K.buffer(), acc, rows * L.out);
    const { m, s } = L;
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < L.out; o++) {
        const i = r * L.out + o;
        out[i] = clamp(requant(a[i]!, m[o]!, s[o]!), lo, hi);
      }
    }
  }

  private forward(rows: Row[]): Int32Array[] {
    const W = this.W;
    const K = this.K;
    const c = W.config;
    const R = rows.length;
    const d = c.dim;
    const hd = W.headDim;
    const half = hd / 2;
    const kvDim = c.kvHeads * hd;
    const group = c.heads / c.kvHeads;
    for (const r of rows) {
      if (r.pos >= r.stream.capacity) throw new RangeError(`position ${r.pos} beyond the stream's ${r.stream.capacity}`);
      if (!(r.token >= 0 && r.token < c.vocab)) throw new RangeError(`token ${r.token} outside the vocabulary`);
    }
    const maxCtx = Math.max(...rows.map((r) => r.pos + 1));
    const wide = Math.max(d, c.ffn);
    const xPtr = K.alloc(R * wide);
    const accPtr = K.alloc(R * Math.max(wide, c.vocab) * 4);
    const qPtr = K.alloc(R * d);
    const dotPtr = K.alloc(maxCtx * 4);
    const mixPtr = K.alloc(hd * 4);
    try {
      const h = new Int32Array(R * d);
      const tmp = new Int32Array(R * wide);
      const tmp2 = new Int32Array(R * c.ffn);
      const rowBuf = new Int32Array(d);
      const normOut = new Int8Array(d);
      const cos = W.ropeCos;
      const sin = W.ropeSin;

      rows.forEach((r, i) => {
        for (let j = 0; j < d; j++) h[i * d + j] = requant(W.embed[r.token * d + j]!, W.embedM[r.token]!, W.embedS[r.token]!);
      });

      const normInto = (norm: typeof W.finalNorm) => {
        const x = new Int8Array(K.buffer(), xPtr, R * d);
        for (let i = 0; i < R; i++) {
          rowBuf.set(h.subarray(i * d, (i + 1) * d));
          rmsNorm(rowBuf, norm, normOut);
          x.set(normOut, i * d);
        }
      };
      const ropeInt8 = (z: Int32Array, base: number, pos: number, dst: Int8Array, dstBase: number) => {
        for (let i = 0; i < half; i++) {
          const x1 = z[base + i]!;
          const x2 = z[base + i + half]!;
          const cs = cos[pos * half + i]!;
          const sn = sin[pos * half + i]!;
          dst[dstBase + i] = clamp(roundShift(roundShift(x1 * cs - x2 * sn, 14), 8), -127, 127);
          dst[dstBase + i + half] = clamp(roundShift(roundShift(x2 * cs + x1 * sn, 14), 8), -127, 127);
        }
      };

      for (const L of W.layers) {
        normInto(L.attnNorm);
        // q -> int8 (after rotary) in qPtr; k, v -> each row's cache
        this.linear(L.wq, xPtr, R, accPtr, tmp, -32767, 32767);
        const q8 = new Int8Array(K.buffer(), qPtr, R * d);
        rows.forEach((r, i) => {
          for (let hh = 0; hh < c.heads; hh++) ropeInt8(tmp, i * d + hh * hd, r.pos, q8, i * d + hh * hd);
        });
        this.linear(L.wk, xPtr, R, accPtr, tmp, -32767, 32767);
        this.linear(L.wv, xPtr, R, accPtr, tmp2, -127, 127);
        const li = W.layers.indexOf(L);
        const mem = new Int8Array(K.buffer());
        rows.forEach((r, i) => {
          const kBase = r.stream.k[li]! + r.pos * kvDim;
          const vBase = r.stream.v[li]! + r.pos * kvDim;
          for (let kh = 0; kh < c.kvHeads; kh++) ropeInt8(tmp, i * kvDim + kh * hd, r.pos, mem, kBase + kh * hd);
          for (let j = 0; j < kvDim; j++) mem[vBase + j] = tmp2[i * kvDim + j]!;
        });
        // attention, row by row (each row sees its own stream's cache up to its position)
        const ao = new Int8Array(R * d);
        rows.forEach((r, i) => {
          const n = r.pos + 1;
          for (let hh = 0; hh < c.heads; hh++) {
            const kvOff = Math.floor(hh / group) * hd;
            K.attnDots(qPtr + i * d + hh * hd, r.stream.k[li]! + kvOff, n, hd, kvDim, dotPtr);
            const dots = new Int32Array(K.buffer(), dotPtr, n);
            let M = -Infinity;
            for (let j = 0; j < n; j++) if (dots[j]! > M) M = dots[j]!;
            let P = 0;
            for (let j = 0; j < n; j++) {
              const w0 = exp2Q15(requant(M - dots[j]!, L.attM, L.attS));
              dots[j] = w0;
              P += w0;
            }
            for (let j = 0; j < n; j++) dots[j] = Math.floor((dots[j]! * 32768) / P);
            K.attnMix(dotPtr, r.stream.v[li]! + kvOff, n, hd, kvDim, mixPtr);
            const o = new Int32Array(K.buffer(), mixPtr, hd);
            for (let cc = 0; cc < hd; cc++) ao[i * d + hh * hd + cc] = clamp(requant(o[cc]!, L.aoM, L.aoS), -127, 127);
          }
        });
        new Int8Array(K.buffer(), xPtr, R * d).set(ao);
        this.linear(L.wo, xPtr, R, accPtr, tmp, -Infinity, Infinity);
        for (let i = 0; i < R * d; i++) h[i] = clamp(h[i]! + tmp[i]!, RES_MIN, RES_MAX);

        normInto(L.mlpNorm);
        this.linear(L.wgate, xPtr, R, accPtr, tmp, -32767, 32767);
        this.linear(L.wup, xPtr, R, accPtr, tmp2, -32767, 32767);
        const a = new Int8Array(K.buffer(), xPtr, R * c.ffn);
        for (let i = 0; i < R * c.ffn; i++) {
          const gv = tmp[i]!;
          const sg = gv >= 2048 ? gv : gv < -2048 ? 0 : W.silu[gv + 2048]!;
          a[i] = clamp(requant(sg * tmp2[i]!, L.aM, L.aS), -127, 127);
        }
        this.linear(L.wdown, xPtr, R, accPtr, tmp, -Infinity, Infinity);
        for (let i = 0; i < R * d; i++) h[i] = clamp(h[i]! + tmp[i]!, RES_MIN, RES_MAX);
      }

      normInto(W.finalNorm);
      K.matmul(this.ptr.get(W.embed)!, c.vocab, d, xPtr, R, accPtr);
      const acc = new Int32Array(K.buffer(), accPtr, R * c.vocab);
      return rows.map((_, i) => {
        const out = new Int32Array(c.vocab);
        for (let v = 0; v < c.vocab; v++) out[v] = requant(acc[i * c.vocab + v]!, W.headM[v]!, W.headS[v]!);
        return out;
      });
    } finally {
      for (const p of [xPtr, accPtr, qPtr, dotPtr, mixPtr]) K.free(p);
    }
  }
}
