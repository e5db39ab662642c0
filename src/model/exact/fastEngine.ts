/**
 * The exact engine for real work: the forward pass of docs/numerics.md over
 * many rows at once (all positions of a chunk in prefill, one position of
 * many streams in step), with the matrix and attention loops in a Kernels
 * implementation (wasm SIMD or TS) and KV caches in the kernels' memory.
 * Each row's arithmetic is exactly the reference engine's.
 */
import type { Engine, ModelIdentity, RowVisitor, StreamHandle } from '../types.js';
import { clamp, INT32_MAX, INT32_MIN, normBits, requant, RESIDUAL_MAX, RESIDUAL_MIN } from './intmath.js';
import { attendRowsScratchBytes, uploadExp2, type Kernels } from './kernels.js';
import type { ExactWeights, Linear } from './weights.js';
import { KernelTableMaker } from './kernelTables.js';
import { checkRows, positionRuns, promptRows, type ForwardRow } from './forwardRows.js';

interface Stream extends StreamHandle {
  pos: number;
  capacity: number;
  /** Positions a head's run holds: capacity rounded up to even (values are stored in pairs). */
  slots: number;
  // per layer, head-major: kvHeads x slots x headDim int8, so that one head's
  // keys (and values) are one contiguous run, read front to back; values in
  // pairs of positions, interleaved byte by byte (Kernels.attend's layout)
  k: number[];
  v: number[];
  freed: boolean;
}

/**
 * Positions whose logits the head computes at once: 64 x 8,192 int32 = 2 MB
 * of kernel memory instead of a whole chunk's (32 MB at 1,024 tokens), which
 * wasm memory would keep for good. The matmul is compute-bound at 64 rows.
 */
const HEAD_ROWS = 64;

type Row = ForwardRow<Stream>;

export class FastEngine implements Engine {
  private nextId = 1;
  private readonly ptr = new Map<Int8Array | Int16Array | Int32Array, number>();
  private readonly exp2: number;
  readonly backend: string;

  constructor(
    readonly identity: ModelIdentity,
    private readonly W: ExactWeights,
    private readonly K: Kernels,
  ) {
    this.backend = K.name;
    const upload = (a: Int8Array | Int16Array | Int32Array) => {
      const p = K.alloc(a.byteLength);
      new Uint8Array(K.buffer(), p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      this.ptr.set(a, p);
    };
    // matrices in the order the kernels' matmul reads them
    this.ptr.set(W.embed, K.uploadMatrix(W.embed, W.config.vocab, W.config.dim));
    for (const a of [W.headM, W.headS]) upload(a);
    for (const L of W.layers) {
      for (const lin of [L.wq, L.wk, L.wv, L.wo, L.wgate, L.wup, L.wdown]) {
        this.ptr.set(lin.w, K.uploadMatrix(lin.w, lin.out, lin.in));
        for (const a of [lin.m, lin.s]) upload(a);
      }
    }
    for (const n of [W.finalNorm, ...W.layers.flatMap((L) => [L.attnNorm, L.mlpNorm])]) upload(n.g);
    upload(W.silu);
    upload(W.ropeCos);
    upload(W.ropeSin);
    this.exp2 = uploadExp2(K);
  }

  /** Frequency tables in the kernels when they make them (wasm); null: the coder's TS TableBuilder. */
  tableMaker(): KernelTableMaker | null {
    const K = this.K;
    if (!K.cumulativeFrequencies) return null;
    return new KernelTableMaker(K as Kernels & Required<Pick<Kernels, 'cumulativeFrequencies'>>, this.identity.config.vocab, this.exp2);
  }

  newStream(maxTokens?: number): Stream {
    const c = this.W.config;
    const capacity = Math.min(c.maxPos, maxTokens ?? c.maxPos);
    const slots = (capacity + 1) & ~1;
    const bytes = slots * c.kvHeads * this.W.headDim;
    return {
      id: this.nextId++,
      pos: 0,
      capacity,
      slots,
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

  /** Frees the weights' copies in kernel memory (shared kernels live on: the wasm instance serves other engines). */
  dispose(): void {
    for (const p of this.ptr.values()) this.K.free(p);
    this.ptr.clear();
    this.K.free(this.exp2);
    this.K.dispose?.();
  }

  async step(streams: StreamHandle[], tokens: Int32Array): Promise<Int32Array[]> {
    const logits: Int32Array[] = [];
    await this.stepRows(streams, tokens, (_t, row) => logits.push(row.slice()));
    return logits;
  }

  async stepRows(streams: StreamHandle[], tokens: Int32Array, visit: RowVisitor): Promise<void> {
    const rows = streams.map((s, b) => ({ stream: s as Stream, token: tokens[b]!, pos: (s as Stream).pos }));
    await this.forward(rows, 0, visit);
    for (const s of streams) (s as Stream).pos++;
  }

  async feedPrompt(handle: StreamHandle, prompt: Int32Array): Promise<void> {
    const s = handle as Stream;
    const rows = promptRows(s, prompt, s.pos, this.W.config.dim);
    await this.forward(rows, rows.length, () => {}); // no logits wanted: the head is skipped
    s.pos += rows.length;
  }


  /**
   * prefill of one sequence whose logits are handed to `visit` a position at a
   * time, each a view of kernel memory valid only during that call. The head
   * runs HEAD_ROWS positions at a time, so a chunk's logits (32 MB at 1,024
   * tokens) never exist at once: the encoder reads each row once, in order.
   */
  prefillRows(seq: Int32Array, prompt: Int32Array | null, visit: RowVisitor): Promise<void> {
    return this.prefillOne(seq, prompt, visit);
  }

  async prefill(seqs: Int32Array[], prompts?: (Int32Array | null)[]): Promise<Int32Array[]> {
    const V = this.W.config.vocab;
    const results: Int32Array[] = [];
    for (const [b, seq] of seqs.entries()) {
      const logits = new Int32Array(seq.length * V);
      await this.prefillOne(seq, prompts?.[b] ?? null, (t, row) => logits.set(row, t * V));
      results.push(logits);
    }
    return results;
  }

  /** One sequence (after its soft prompt, if any) on a stream of its own, its logits to `visit`. */
  private async prefillOne(seq: Int32Array, prompt: Int32Array | null, visit: RowVisitor): Promise<void> {
    const P = prompt ? prompt.length / this.W.config.dim : 0;
    const s = this.newStream(P + seq.length);
    try {
      const rows = [...(prompt ? promptRows(s, prompt, 0, this.W.config.dim) : []), ...Array.from(seq, (token, pos) => ({ stream: s, token, pos: P + pos }))];
      await this.forward(rows, P, visit);
    } finally {
      this.freeStream(s);
    }
  }

  /** Runs of consecutive rows whose streams have the same slots, so the same distance between K/V heads (a prefill: one run): `run(first, count, slots)`. */
  private perStream(rows: Row[], run: (first: number, count: number, slots: number) => void): void {
    for (let i = 0; i < rows.length; ) {
      const slots = rows[i]!.stream.slots;
      let j = i + 1;
      while (j < rows.length && rows[j]!.stream.slots === slots) j++;
      run(i, j - i, slots);
      i = j;
    }
  }

  /** Requantised matmul of `rows` int8 vectors at `x`; returns a view of the int32 results. */
  private async linear(L: Linear, x: number, rows: number, acc: number, lo: number, hi: number): Promise<Int32Array> {
    await this.K.matmul(this.ptr.get(L.w)!, L.out, L.in, x, rows, acc);
    this.K.requantRows(acc, rows, L.out, this.ptr.get(L.m)!, this.ptr.get(L.s)!, lo, hi, acc);
    return new Int32Array(this.K.buffer(), acc, rows * L.out);
  }

  /**
   * Runs `rows` through the model; the logits of rows[logitsFrom..] go to `visit` in order (its t counts
   * from logitsFrom), each a view of kernel memory that the next head block overwrites.
   */
  private async forward(rows: Row[], logitsFrom: number, visit: RowVisitor): Promise<void> {
    const W = this.W;
    const K = this.K;
    const c = W.config;
    const R = rows.length;
    const d = c.dim;
    const hd = W.headDim;
    const kvDim = c.kvHeads * hd;
    const group = c.heads / c.kvHeads;
    checkRows(rows, c.vocab);
    const maxCtx = Math.max(...rows.map((r) => r.pos + 1));
    const wide = Math.max(d, c.ffn);
    const xPtr = K.alloc(R * wide);
    const accPtr = K.alloc(R * wide * 4);
    const headRows = Math.min(HEAD_ROWS, Math.max(1, R - logitsFrom));
    const logitsPtr = K.alloc(headRows * c.vocab * 4);
    const qPtr = K.alloc(R * d);
    const aoPtr = K.alloc(R * d);
    const scratchPtr = K.alloc(attendRowsScratchBytes(maxCtx, hd));
    // The residual stream and the gate live in kernel memory: norms, residual
    // updates and the SwiGLU product run there, row after row, without JS loops.
    const hPtr = K.alloc(R * d * 4);
    const gatePtr = K.alloc(R * c.ffn * 4);
    // per row: position, and where its q / k / v go (q: qPtr; k, v: its stream's cache)
    const posPtr = K.alloc(R * 4);
    const dstPtr = K.alloc(R * 4);
    try {
      const B = normBits(d);
      const cos = this.ptr.get(W.ropeCos)!;
      const sin = this.ptr.get(W.ropeSin)!;
      new Int32Array(K.buffer(), posPtr, R).set(rows.map((r) => r.pos));
      const destinations = (at: (r: Row, i: number) => number) => new Int32Array(K.buffer(), dstPtr, R).set(rows.map(at));

      const h0 = new Int32Array(K.buffer(), hPtr, R * d);
      rows.forEach((r, i) => {
        if (r.vec) for (let j = 0; j < d; j++) h0[i * d + j] = clamp(r.vec[j]!, RESIDUAL_MIN, RESIDUAL_MAX);
        else for (let j = 0; j < d; j++) h0[i * d + j] = requant(W.embed[r.token * d + j]!, W.embedM[r.token]!, W.embedS[r.token]!);
      });

      const normInto = (norm: typeof W.finalNorm) => K.rmsNormRows(hPtr, R, d, this.ptr.get(norm.g)!, norm.gs, B, xPtr);
      const addResidual = () => K.addResidual(hPtr, accPtr, R * d, RESIDUAL_MIN, RESIDUAL_MAX);

      for (let li = 0; li < W.layers.length; li++) {
        const L = W.layers[li]!;
        normInto(L.attnNorm);
        // q: rotary, then int8 at qPtr; k, v: into each row's cache
        await this.linear(L.wq, xPtr, R, accPtr, -32767, 32767);
        destinations((_r, i) => qPtr + i * d);
        K.ropeRows(accPtr, R, d, hd, posPtr, cos, sin, dstPtr, hd);
        // k and v: head h of a row at its position in head h's run of the stream's cache
        await this.linear(L.wk, xPtr, R, accPtr, -32767, 32767);
        destinations((r) => r.stream.k[li]! + r.pos * hd);
        this.perStream(rows, (at, n, slots) => K.ropeRows(accPtr + at * kvDim * 4, n, kvDim, hd, posPtr + at * 4, cos, sin, dstPtr + at * 4, slots * hd));
        await this.linear(L.wv, xPtr, R, accPtr, -127, 127);
        // values: position p's channel c at the pair p & ~1, byte 2c + (p & 1)
        destinations((r) => r.stream.v[li]! + (r.pos & ~1) * hd + (r.pos & 1));
        this.perStream(rows, (at, n, slots) => K.storeRowsI8(accPtr + at * kvDim * 4, n, kvDim, dstPtr + at * 4, hd, slots * hd, 2));
        // attention: each row sees its own stream's cache up to its position; a run of
        // consecutive positions of one stream (a prefill) goes to the kernel in one call,
        // and a lone position (a decoding step) of a grouped model hands each K/V head its
        // query heads together, so that the cache is read once for all of them
        for (const [i, count] of positionRuns(rows)) {
          const r = rows[i]!;
          const run = r.stream.slots * hd;
          if (count === 1 && group > 1) {
            for (let g = 0; g < c.kvHeads; g++) {
              const at = i * d + g * group * hd;
              K.attendHeads(qPtr + at, hd, r.stream.k[li]! + g * run, r.stream.v[li]! + g * run, group, r.pos + 1, hd, hd,
                L.attM, L.attS, L.aoM, L.aoS, this.exp2, scratchPtr, aoPtr + at, hd);
            }
            continue;
          }
          for (let hh = 0; hh < c.heads; hh++) {
            const kvOff = Math.floor(hh / group) * run;
            K.attendRows(qPtr + i * d + hh * hd, d, r.stream.k[li]! + kvOff, r.stream.v[li]! + kvOff, count, r.pos + 1, hd, hd,
              L.attM, L.attS, L.aoM, L.aoS, this.exp2, scratchPtr, aoPtr + i * d + hh * hd, d);
          }
        }
        await this.linear(L.wo, aoPtr, R, accPtr, INT32_MIN, INT32_MAX);
        addResidual();

        normInto(L.mlpNorm);
        await this.linear(L.wgate, xPtr, R, gatePtr, -32767, 32767);
        await this.linear(L.wup, xPtr, R, accPtr, -32767, 32767);
        K.swiglu(gatePtr, accPtr, R * c.ffn, this.ptr.get(W.silu)!, L.aM, L.aS, xPtr);
        await this.linear(L.wdown, xPtr, R, accPtr, INT32_MIN, INT32_MAX);
        addResidual();
      }

      if (logitsFrom >= R) return;
      normInto(W.finalNorm);
      // the head only for the rows whose logits are wanted, a block of rows at a time
      for (let r0 = logitsFrom; r0 < R; r0 += headRows) {
        const n = Math.min(headRows, R - r0);
        await K.matmul(this.ptr.get(W.embed)!, c.vocab, d, xPtr + r0 * d, n, logitsPtr);
        K.requantRows(logitsPtr, n, c.vocab, this.ptr.get(W.headM)!, this.ptr.get(W.headS)!, INT32_MIN, INT32_MAX, logitsPtr);
        const logits = new Int32Array(K.buffer(), logitsPtr, n * c.vocab);
        for (let i = 0; i < n; i++) visit(r0 - logitsFrom + i, logits.subarray(i * c.vocab, (i + 1) * c.vocab));
      }
    } finally {
      for (const p of [xPtr, accPtr, logitsPtr, qPtr, aoPtr, scratchPtr, hPtr, gatePtr, posPtr, dstPtr]) K.free(p);
    }
  }
}
