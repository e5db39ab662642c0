/**
 * The exact engine with the whole forward pass on the GPU (issue #18): the
 * weights, every stream's KV cache and all activations live in GPU buffers;
 * a forward of any rows of any streams (a prefill, a decoding step of a wide
 * batch) is one command buffer of ~16 dispatches per layer, and the CPU
 * reads back once: the logits of the rows whose logits are wanted. Its
 * kernels (shaders.ts) compute docs/numerics.md exactly, so its logits equal
 * the wasm and TS engines' bit for bit (src/selftest, tests/unit/webgpuEngine.test.ts).
 * The coder's frequency tables are made on the CPU from those logits, by the
 * wasm kernels when given.
 */
import type { Engine, ModelIdentity, RowVisitor, StreamHandle } from '../../types.js';
import type { TableMaker } from '../../../codec/logitsToFrequencies.js';
import { INT32_MAX, INT32_MIN, normBits } from '../intmath.js';
import { uploadExp2, type Kernels } from '../kernels.js';
import { KernelTableMaker } from '../kernelTables.js';
import type { ExactWeights } from '../weights.js';
import { requestGpuDevice, type GpuDevice, type GpuDeviceOptions } from './gpuDevice.js';
import { packModel, wordsFor, type PackedLinear, type PackedModel, type PackedNorm } from './gpuWeights.js';
import { KvPool } from './kvPool.js';
import { checkRows, promptRows, type ForwardRow } from '../forwardRows.js';
import { kernelSource, ROWS_PER_THREAD, UNIFORMS, USES_ROWS, WG, type KernelName } from './shaders.js';

interface Stream extends StreamHandle {
  pos: number;
  capacity: number;
  /** First word of its region in the KV pool. */
  base: number;
  freed: boolean;
}

type Row = ForwardRow<Stream>;

/**
 * Rows of one prefill submission (several chunks share one when they fit):
 * bounds the logits read back (2,048 x 8,192 int32 = 64 MB) and the score buffer.
 */
const PREFILL_ROWS = 2048;
/** Uniform slots are this far apart (WebGPU's minimum uniform offset alignment). */
const SLOT_BYTES = 256;

const STORAGE = 0x80; // GPUBufferUsage.STORAGE, spelled out: Node has no GPUBufferUsage global without a WebGPU binding
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;
const UNIFORM = 0x40;

interface Slot {
  kernel: KernelName;
  buffers: GPUBuffer[];
  group: GPUBindGroup;
}

export class WebGpuEngine implements Engine {
  readonly backend = 'webgpu';
  readonly prefillRowBudget = PREFILL_ROWS;
  private nextId = 1;
  private readonly device: GPUDevice;
  private readonly pipelines = new Map<KernelName, GPUComputePipeline>();
  private readonly model: PackedModel;
  private readonly weights: GPUBuffer;
  private readonly table: GPUBuffer;
  private readonly kv: KvPool;
  private readonly buffers = new Map<string, GPUBuffer>();
  private uniforms: GPUBuffer;
  private slots: (Slot | undefined)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly exp2: number | null;
  /** The adapter's description (a backend decision is kept per adapter). */
  readonly adapter: string;
  readonly packedDot: boolean;

  private constructor(
    readonly identity: ModelIdentity,
    private readonly W: ExactWeights,
    gpu: GpuDevice,
    private readonly cpu: Kernels | null,
  ) {
    this.device = gpu.device;
    this.adapter = gpu.adapter;
    this.packedDot = gpu.packedDot;
    for (const k of Object.keys(UNIFORMS) as KernelName[]) {
      this.pipelines.set(k, this.device.createComputePipeline({ layout: 'auto', compute: { module: this.device.createShaderModule({ code: kernelSource(k, gpu.packedDot) }), entryPoint: 'main' } }));
    }
    this.model = packModel(W);
    this.weights = this.upload(this.model.words);
    this.table = this.upload(this.model.table);
    const c = W.config;
    this.kv = new KvPool(this.device, 8 * this.streamWords(c.maxPos));
    this.uniforms = this.device.createBuffer({ size: SLOT_BYTES * (16 * c.layers + 8), usage: UNIFORM | COPY_DST });
    this.exp2 = cpu?.cumulativeFrequencies ? uploadExp2(cpu) : null;
  }

  /**
   * `cpu`: kernels that make the coder's frequency tables (the wasm SIMD
   * ones); without them the coder's TS tables are used.
   */
  static async create(identity: ModelIdentity, W: ExactWeights, opts: GpuDeviceOptions & { cpu?: Kernels } = {}): Promise<WebGpuEngine> {
    return new WebGpuEngine(identity, W, await requestGpuDevice(opts), opts.cpu ?? null);
  }

  tableMaker(): TableMaker | null {
    const K = this.cpu;
    if (!K?.cumulativeFrequencies || this.exp2 === null) return null;
    return new KernelTableMaker(K as Kernels & Required<Pick<Kernels, 'cumulativeFrequencies'>>, this.identity.config.vocab, this.exp2);
  }

  newStream(maxTokens?: number): Stream {
    const c = this.W.config;
    const capacity = Math.min(c.maxPos, maxTokens ?? c.maxPos);
    return { id: this.nextId++, pos: 0, capacity, base: this.kv.alloc(this.streamWords(capacity)), freed: false };
  }

  freeStream(handle: StreamHandle): void {
    const s = handle as Stream;
    if (s.freed) return;
    s.freed = true;
    this.kv.release(s.base);
  }

  dispose(): void {
    for (const b of [this.weights, this.table, this.uniforms, ...this.buffers.values()]) b.destroy();
    this.kv.dispose();
    this.buffers.clear();
    if (this.exp2 !== null) this.cpu!.free(this.exp2);
    this.device.destroy();
  }

  async step(streams: StreamHandle[], tokens: Int32Array): Promise<Int32Array[]> {
    const rows = streams.map((s, b) => ({ stream: s as Stream, token: tokens[b]!, pos: (s as Stream).pos }));
    const logits = await this.forward(rows, rows.map((_, i) => i));
    for (const s of streams) (s as Stream).pos++;
    const V = this.W.config.vocab;
    return rows.map((_, i) => logits!.slice(i * V, (i + 1) * V));
  }

  async feedPrompt(handle: StreamHandle, prompt: Int32Array): Promise<void> {
    const s = handle as Stream;
    const rows = promptRows(s, prompt, s.pos, this.W.config.dim);
    await this.forward(rows, []);
    s.pos += rows.length;
  }

  async prefillRows(seq: Int32Array, prompt: Int32Array | null, visit: RowVisitor): Promise<void> {
    const V = this.W.config.vocab;
    const [logits] = await this.prefillMany([seq], [prompt]);
    for (let t = 0; t < seq.length; t++) visit(t, logits!.subarray(t * V, (t + 1) * V));
  }

  /** Several sequences per submission while their rows fit PREFILL_ROWS. */
  prefill(seqs: Int32Array[], prompts?: (Int32Array | null)[]): Promise<Int32Array[]> {
    return this.prefillMany(seqs, seqs.map((_, b) => prompts?.[b] ?? null));
  }

  private async prefillMany(seqs: Int32Array[], prompts: (Int32Array | null)[]): Promise<Int32Array[]> {
    const d = this.W.config.dim;
    const V = this.W.config.vocab;
    const results: Int32Array[] = [];
    for (let b = 0; b < seqs.length; ) {
      const rows: Row[] = [];
      const wanted: number[] = [];
      const streams: Stream[] = [];
      const first = b;
      do {
        const seq = seqs[b]!;
        const prompt = prompts[b] ?? null;
        const P = prompt ? prompt.length / d : 0;
        const s = this.newStream(P + seq.length);
        streams.push(s);
        rows.push(...(prompt ? promptRows(s, prompt, 0, this.W.config.dim) : []));
        for (let t = 0; t < seq.length; t++) {
          wanted.push(rows.length);
          rows.push({ stream: s, token: seq[t]!, pos: P + t });
        }
        b++;
      } while (b < seqs.length && rows.length + seqs[b]!.length + (prompts[b]?.length ?? 0) / d <= PREFILL_ROWS);
      try {
        const logits = await this.forward(rows, wanted);
        let at = 0;
        for (let k = first; k < b; k++) {
          const n = seqs[k]!.length * V;
          results.push(logits ? logits.subarray(at, at + n) : new Int32Array(0));
          at += n;
        }
      } finally {
        for (const s of streams) this.freeStream(s);
      }
    }
    return results;
  }


  private streamWords(capacity: number): number {
    const c = this.W.config;
    return c.layers * 2 * capacity * wordsFor(c.kvHeads * this.W.headDim);
  }

  private upload(a: Uint32Array | Int32Array): GPUBuffer {
    const buf = this.device.createBuffer({ size: Math.max(16, a.byteLength), usage: STORAGE | COPY_DST });
    this.device.queue.writeBuffer(buf, 0, a.buffer, a.byteOffset, a.byteLength);
    return buf;
  }

  /** A scratch buffer of at least `bytes`, replaced (bigger) when it is not. */
  private scratch(name: string, bytes: number, usage = STORAGE | COPY_SRC | COPY_DST): GPUBuffer {
    const have = this.buffers.get(name);
    if (have && have.size >= bytes) return have;
    have?.destroy();
    const buf = this.device.createBuffer({ size: Math.max(256, Math.ceil(Math.max(bytes, (have?.size ?? 0) * 1.5) / 256) * 256), usage });
    this.buffers.set(name, buf);
    return buf;
  }

  /** Forwards run one at a time: they share the scratch buffers and the uniform slots. */
  private forward(rows: Row[], wanted: number[]): Promise<Int32Array | null> {
    const run = this.queue.then(() => this.forwardNow(rows, wanted));
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Runs `rows` through the model in one submission; returns the logits of
   * rows wanted[0], wanted[1], … (vocab int32 each, in that order), or null
   * when none are wanted.
   */
  private async forwardNow(rows: Row[], wanted: number[]): Promise<Int32Array | null> {
    const W = this.W;
    const M = this.model;
    const c = W.config;
    const R = rows.length;
    const d = c.dim;
    const hd = W.headDim;
    const kvDim = c.kvHeads * hd;
    const dW = wordsFor(d);
    const FW = wordsFor(c.ffn);
    const rowW = wordsFor(kvDim);
    const N = wanted.length;
    if (!R) return N ? new Int32Array(0) : null;
    if (rows.some((r) => r.stream.freed)) throw new Error('stream already freed');
    checkRows(rows, c.vocab);
    const ctx = Math.max(...rows.map((r) => r.pos + 1));

    // the rows' table and prompt vectors
    const table = new Int32Array(R * 4);
    const vecs: Int32Array[] = [];
    rows.forEach((r, i) => {
      table.set([r.pos, r.stream.base, r.stream.capacity, r.vec ? -1 - vecs.push(r.vec) + 1 : r.token], i * 4);
    });
    const vecData = new Int32Array(Math.max(1, vecs.length) * d);
    vecs.forEach((v, i) => vecData.set(v, i * d));
    const q = this.device.queue;
    const rowsBuf = this.scratch('rows', table.byteLength);
    q.writeBuffer(rowsBuf, 0, table);
    const vecBuf = this.scratch('vecs', vecData.byteLength);
    q.writeBuffer(vecBuf, 0, vecData);
    const selBuf = this.scratch('sel', Math.max(1, N) * 4);
    if (N) q.writeBuffer(selBuf, 0, Int32Array.from(wanted));

    const h = this.scratch('h', R * d * 4);
    const x8 = this.scratch('x8', R * Math.max(dW, FW) * 4);
    const q8 = this.scratch('q8', R * dW * 4);
    const acc = this.scratch('acc', R * Math.max(d, c.ffn, kvDim) * 4);
    const gate = this.scratch('gate', R * c.ffn * 4);
    const ao = this.scratch('ao', R * d * 4);
    const sc = this.scratch('sc', R * c.heads * ctx * 4);
    const logits = N ? this.scratch('logits', N * c.vocab * 4) : null;
    const kv = this.kv.buffer;

    const uniformData = new Int32Array((this.uniforms.size / 4) | 0);
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    let slot = 0;
    const dispatch = (k: KernelName, u: Record<string, number>, buffers: GPUBuffer[], x: number, y: number) => {
      const fields = UNIFORMS[k];
      fields.forEach((f, i) => (uniformData[(slot * SLOT_BYTES) / 4 + i] = u[f]!));
      const bound = USES_ROWS.has(k) ? [rowsBuf, ...buffers] : buffers;
      let s = this.slots[slot];
      if (!s || s.kernel !== k || s.buffers.length !== bound.length || s.buffers.some((b, i) => b !== bound[i])) {
        const firstBinding = USES_ROWS.has(k) ? 1 : 2;
        s = {
          kernel: k,
          buffers: bound,
          group: this.device.createBindGroup({
            layout: this.pipelines.get(k)!.getBindGroupLayout(0),
            entries: [
              { binding: 0, resource: { buffer: this.uniforms, offset: slot * SLOT_BYTES, size: 64 } },
              ...bound.map((buffer, i) => ({ binding: firstBinding + i, resource: { buffer } })),
            ],
          }),
        };
        this.slots[slot] = s;
      }
      pass.setPipeline(this.pipelines.get(k)!);
      pass.setBindGroup(0, s.group);
      pass.dispatchWorkgroups(x, y);
      slot++;
    };
    const groups = (n: number) => Math.ceil(n / WG);
    const norm = (n: PackedNorm, rowsIn: number, selected: boolean) =>
      dispatch('rmsNorm', { d, B: normBits(d), gOff: n.gOff, gs: n.gs, dW, inRows: selected ? 1 : 0 }, [this.table, h, x8, selBuf], rowsIn, 1);
    const matmul = (L: PackedLinear, x: GPUBuffer, xStride: number, out: GPUBuffer, lo: number, hi: number, residual = 0) =>
      dispatch('matmul', { outN: L.out, inW: L.inW, rows: R, wOff: L.wOff, mOff: L.mOff, sOff: L.sOff, lo, hi, xStride, xOff: 0, residual }, [this.weights, this.table, x, out], groups(L.out), Math.ceil(R / ROWS_PER_THREAD));

    dispatch('embed', { d, embOff: M.embOff, embMOff: M.embMOff, embSOff: M.embSOff, V: c.vocab }, [this.weights, this.table, vecBuf, h], groups(d), R);
    M.layers.forEach((L, l) => {
      const Wl = W.layers[l]!;
      norm(L.attnNorm, R, false);
      matmul(L.wq, x8, dW, acc, -32767, 32767);
      dispatch('rope', { width: d, hd, cosOff: M.cosOff, sinOff: M.sinOff, outW: dW, cacheSlot: 0, toCache: 0, dstStride: dW }, [this.table, acc, q8], groups(dW), R);
      matmul(L.wk, x8, dW, acc, -32767, 32767);
      dispatch('rope', { width: kvDim, hd, cosOff: M.cosOff, sinOff: M.sinOff, outW: rowW, cacheSlot: 2 * l, toCache: 1, dstStride: 0 }, [this.table, acc, kv], groups(rowW), R);
      matmul(L.wv, x8, dW, acc, -127, 127);
      dispatch('pack', { width: kvDim, outW: rowW, cacheSlot: 2 * l + 1, toCache: 1 }, [acc, kv], groups(rowW), R);
      dispatch(
        'attend',
        { heads: c.heads, group: c.heads / c.kvHeads, hd, rowW, attM: Wl.attM, attS: Wl.attS, aoM: Wl.aoM, aoS: Wl.aoS, exp2Off: M.exp2Off, ctxStride: ctx, layer: l, d },
        [this.table, q8, kv, sc, ao],
        c.heads,
        R,
      );
      dispatch('pack', { width: d, outW: dW, cacheSlot: 0, toCache: 0 }, [ao, x8], groups(dW), R);
      matmul(L.wo, x8, dW, h, 0, 0, 1);
      norm(L.mlpNorm, R, false);
      matmul(L.wgate, x8, dW, gate, -32767, 32767);
      matmul(L.wup, x8, dW, acc, -32767, 32767);
      dispatch('swiglu', { F: c.ffn, FW, siluOff: M.siluOff, aM: Wl.aM, aS: Wl.aS }, [this.table, gate, acc, x8], groups(FW), R);
      matmul(L.wdown, x8, FW, h, 0, 0, 1);
    });
    if (logits) {
      // the final norm of the wanted rows only, compacted, then the head on them
      norm(M.finalNorm, N, true);
      dispatch(
        'matmul',
        { outN: c.vocab, inW: dW, rows: N, wOff: M.embOff, mOff: M.headMOff, sOff: M.headSOff, lo: INT32_MIN, hi: INT32_MAX, xStride: dW, xOff: 0, residual: 0 },
        [this.weights, this.table, x8, logits],
        groups(c.vocab),
        Math.ceil(N / ROWS_PER_THREAD),
      );
    }
    pass.end();
    if (slot * SLOT_BYTES > this.uniforms.size) throw new Error('uniform slots overrun');
    q.writeBuffer(this.uniforms, 0, uniformData.buffer, 0, slot * SLOT_BYTES);
    const bytes = N * c.vocab * 4;
    const read = logits ? this.scratch('read', bytes, MAP_READ | COPY_DST) : null;
    if (logits && read) enc.copyBufferToBuffer(logits, 0, read, 0, bytes);
    q.submit([enc.finish()]);
    if (!read) return null;
    await read.mapAsync(1 /* GPUMapMode.READ */, 0, bytes);
    const out = new Int32Array(read.getMappedRange(0, bytes).slice(0));
    read.unmap();
    return out;
  }
}
