/**
 * The exact engine for real work: the forward pass of docs/numerics.md over
 * many rows at once (all positions of a chunk in prefill, one position of
 * many streams in step), with the matrix and attention loops in a Kernels
 * implementation (wasm SIMD or TS) and KV caches in the kernels' memory.
 * Each row's arithmetic is exactly the reference engine's.
 */
import type { Engine, ModelIdentity, StreamHandle } from '../types.js';
import { clamp, INT32_MAX, INT32_MIN, requant, RESIDUAL_MAX, RESIDUAL_MIN, ropeToInt8, siluQ8 } from './intmath.js';
import { uploadExp2, type Kernels } from './kernels.js';
import { rmsNorm } from './reference.js';
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

export class FastEngine implements Engine {
  private nextId = 1;
  private readonly ptr = new Map<Int8Array | Int32Array, number>();
  private readonly exp2: number;
  readonly backend: string;

  constructor(
    readonly identity: ModelIdentity,
    private readonly W: ExactWeights,
    private readonly K: Kernels,
  ) {
    this.backend = K.name;
    const upload = (a: Int8Array | Int32Array) => {
      const p = K.alloc(a.byteLength);
      new Uint8Array(K.buffer(), p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      this.ptr.set(a, p);
    };
    for (const a of [W.embed, W.headM, W.headS]) upload(a);
    for (const L of W.layers) for (const lin of [L.wq, L.wk, L.wv, L.wo, L.wgate, L.wup, L.wdown]) for (const a of [lin.w, lin.m, lin.s]) upload(a);
    this.exp2 = uploadExp2(K);
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
    const out = await this.forward(rows);
    for (const s of streams) (s as Stream).pos++;
    return out;
  }

  async prefill(seqs: Int32Array[]): Promise<Int32Array[]> {
    const V = this.W.config.vocab;
    const results: Int32Array[] = [];
    for (const seq of seqs) {
      const s = this.newStream(seq.length);
      try {
        const rows = Array.from(seq, (token, pos) => ({ stream: s, token, pos }));
        const logits = await this.forward(rows);
        const out = new Int32Array(seq.length * V);
        logits.forEach((l, p) => out.set(l, p * V));
        results.push(out);
      } finally {
        this.freeStream(s);
      }
    }
    return results;
  }

  /** Requantised matmul of `rows` int8 vectors at `x`; returns a view of the int32 results. */
  private async linear(L: Linear, x: number, rows: number, acc: number, lo: number, hi: number): Promise<Int32Array> {
    await this.K.matmul(this.ptr.get(L.w)!, L.out, L.in, x, rows, acc);
    this.K.requantRows(acc, rows, L.out, this.ptr.get(L.m)!, this.ptr.get(L.s)!, lo, hi, acc);
    return new Int32Array(this.K.buffer(), acc, rows * L.out);
  }

  private async forward(rows: Row[]): Promise<Int32Array[]> {
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
    const aoPtr = K.alloc(R * d);
    const scratchPtr = K.alloc((maxCtx + hd) * 4);
    try {
      const h = new Int32Array(R * d);
      const gate = new Int32Array(R * c.ffn);
      const cos = W.ropeCos;
      const sin = W.ropeSin;

      rows.forEach((r, i) => {
        for (let j = 0; j < d; j++) h[i * d + j] = requant(W.embed[r.token * d + j]!, W.embedM[r.token]!, W.embedS[r.token]!);
      });

      const normInto = (norm: typeof W.finalNorm) => {
        const x = new Int8Array(K.buffer(), xPtr, R * d);
        for (let i = 0; i < R; i++) rmsNorm(h.subarray(i * d, (i + 1) * d), norm, x.subarray(i * d, (i + 1) * d));
      };
      const ropeInt8 = (z: Int32Array, base: number, pos: number, dst: Int8Array, dstBase: number) =>
        ropeToInt8(z, base, pos, half, cos, sin, dst, dstBase);
      const addResidual = (delta: Int32Array) => {
        for (let i = 0; i < R * d; i++) h[i] = clamp(h[i]! + delta[i]!, RESIDUAL_MIN, RESIDUAL_MAX);
      };

      for (let li = 0; li < W.layers.length; li++) {
        const L = W.layers[li]!;
        normInto(L.attnNorm);
        // q: rotary, then int8 at qPtr; k, v: into each row's cache
        let y = await this.linear(L.wq, xPtr, R, accPtr, -32767, 32767);
        const q8 = new Int8Array(K.buffer(), qPtr, R * d);
        rows.forEach((r, i) => {
          for (let hh = 0; hh < c.heads; hh++) ropeInt8(y, i * d + hh * hd, r.pos, q8, i * d + hh * hd);
        });
        y = await this.linear(L.wk, xPtr, R, accPtr, -32767, 32767);
        const mem = new Int8Array(K.buffer());
        rows.forEach((r, i) => {
          const kBase = r.stream.k[li]! + r.pos * kvDim;
          for (let kh = 0; kh < c.kvHeads; kh++) ropeInt8(y, i * kvDim + kh * hd, r.pos, mem, kBase + kh * hd);
        });
        y = await this.linear(L.wv, xPtr, R, accPtr, -127, 127);
        rows.forEach((r, i) => {
          const vBase = r.stream.v[li]! + r.pos * kvDim;
          for (let j = 0; j < kvDim; j++) mem[vBase + j] = y[i * kvDim + j]!;
        });
        // attention: each row sees its own stream's cache up to its position
        rows.forEach((r, i) => {
          for (let hh = 0; hh < c.heads; hh++) {
            const kvOff = Math.floor(hh / group) * hd;
            K.attend(qPtr + i * d + hh * hd, r.stream.k[li]! + kvOff, r.stream.v[li]! + kvOff, r.pos + 1, hd, kvDim,
              L.attM, L.attS, L.aoM, L.aoS, this.exp2, scratchPtr, aoPtr + i * d + hh * hd);
          }
        });
        addResidual(await this.linear(L.wo, aoPtr, R, accPtr, INT32_MIN, INT32_MAX));

        normInto(L.mlpNorm);
        gate.set(await this.linear(L.wgate, xPtr, R, accPtr, -32767, 32767));
        const up = await this.linear(L.wup, xPtr, R, accPtr, -32767, 32767);
        const act = new Int8Array(K.buffer(), xPtr, R * c.ffn);
        for (let i = 0; i < R * c.ffn; i++) {
          act[i] = clamp(requant(siluQ8(gate[i]!, W.silu) * up[i]!, L.aM, L.aS), -127, 127);
        }
        addResidual(await this.linear(L.wdown, xPtr, R, accPtr, INT32_MIN, INT32_MAX));
      }

      normInto(W.finalNorm);
      await K.matmul(this.ptr.get(W.embed)!, c.vocab, d, xPtr, R, accPtr);
      K.requantRows(accPtr, R, c.vocab, this.ptr.get(W.headM)!, this.ptr.get(W.headS)!, INT32_MIN, INT32_MAX, accPtr);
      const acc = new Int32Array(K.buffer(), accPtr, R * c.vocab);
      return rows.map((_, i) => acc.slice(i * c.vocab, (i + 1) * c.vocab));
    } finally {
      for (const p of [xPtr, accPtr, qPtr, aoPtr, scratchPtr]) K.free(p);
    }
  }
}
