/** The kernels as wasm SIMD (AssemblyScript source in wasm/assembly/kernels.ts). */
import { Arena, checkMatrix, type Kernels } from './kernels.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  matmul(w: number, outN: number, inN: number, x: number, rows: number, acc: number, xw: number): void;
  rmsNormRows(h: number, rows: number, d: number, g: number, gs: number, B: number, out: number): void;
  addResidual(h: number, delta: number, n: number, lo: number, hi: number): void;
  swiglu(gate: number, up: number, n: number, silu: number, m: number, s: number, out: number): void;
  ropeRows(z: number, rows: number, width: number, hd: number, pos: number, cos: number, sin: number, dst: number, headStride: number): void;
  storeRowsI8(z: number, rows: number, width: number, dst: number, hd: number, headStride: number, step: number): void;
  cumulativeFrequencies(logits: number, n: number, exp2: number, e: number, cum: number): void;
  requantRows(acc: number, rows: number, outN: number, m: number, s: number, lo: number, hi: number, dst: number): void;
  attend(q: number, k: number, v: number, n: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number): void;
  /** (absent from builds before them) */
  packMatrix?(w: number, outN: number, inN: number, dst: number): void;
  packedMatrixBytes?(outN: number, inN: number): number;
  /** (absent from builds before it) */
  attendRows?(q: number, qStride: number, k: number, v: number, rows: number, n0: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number, outStride: number): void;
  attendHeads?(q: number, qStride: number, k: number, v: number, heads: number, n: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number, outStride: number): void;
}

export class WasmKernels implements Kernels {
  readonly name = 'wasm';
  private readonly arena: Arena;
  /** Scratch for matmul's int16-widened activations, grown as needed. */
  private widened = { ptr: 0, bytes: 0 };

  private constructor(private readonly ex: KernelExports) {
    const mem = ex.memory;
    // Leave the module's own first 64 KiB (stack/static data) alone.
    this.arena = new Arena(1 << 16, (end) => {
      const need = end - mem.buffer.byteLength;
      if (need > 0) mem.grow(Math.ceil(need / 65536));
    });
  }

  static async create(wasmBytes: BufferSource): Promise<WasmKernels> {
    const { instance } = await WebAssembly.instantiate(wasmBytes, { env: { abort: () => { throw new Error('wasm kernel abort'); } } });
    return new WasmKernels(instance.exports as unknown as KernelExports);
  }

  buffer(): ArrayBuffer {
    return this.ex.memory.buffer;
  }
  alloc(bytes: number): number {
    return this.arena.alloc(bytes);
  }
  free(ptr: number): void {
    this.arena.free(ptr);
  }
  uploadMatrix(w: Int8Array, outN: number, inN: number): number {
    checkMatrix(w, outN, inN);
    const raw = this.arena.alloc(w.length);
    new Int8Array(this.ex.memory.buffer, raw, w.length).set(w);
    if (!this.ex.packMatrix) return raw; // a build from before packed weights (bench:engine --against)
    const packed = this.arena.alloc(this.ex.packedMatrixBytes!(outN, inN));
    this.ex.packMatrix(raw, outN, inN, packed);
    this.arena.free(raw);
    return packed;
  }
  matmul(w: number, outN: number, inN: number, x: number, rows: number, acc: number): void {
    // rows in whole tiles of four, each padded to a multiple of 8 inputs, in int16
    const need = (Math.ceil(rows / 4) * 4) * (Math.ceil(inN / 8) * 8) * 2;
    if (need > this.widened.bytes) {
      if (this.widened.bytes) this.arena.free(this.widened.ptr);
      const bytes = Math.max(need, 2 * this.widened.bytes);
      this.widened = { ptr: this.arena.alloc(bytes), bytes };
    }
    this.ex.matmul(w, outN, inN, x, rows, acc, this.widened.ptr);
  }
  rmsNormRows(h: number, rows: number, d: number, g: number, gs: number, B: number, out: number): void {
    this.ex.rmsNormRows(h, rows, d, g, gs, B, out);
  }
  addResidual(h: number, delta: number, n: number, lo: number, hi: number): void {
    this.ex.addResidual(h, delta, n, lo, hi);
  }
  swiglu(gate: number, up: number, n: number, silu: number, m: number, s: number, out: number): void {
    this.ex.swiglu(gate, up, n, silu, m, s, out);
  }
  ropeRows(z: number, rows: number, width: number, hd: number, pos: number, cos: number, sin: number, dst: number, headStride: number): void {
    this.ex.ropeRows(z, rows, width, hd, pos, cos, sin, dst, headStride);
  }
  storeRowsI8(z: number, rows: number, width: number, dst: number, hd: number, headStride: number, step: number): void {
    this.ex.storeRowsI8(z, rows, width, dst, hd, headStride, step);
  }
  requantRows(acc: number, rows: number, outN: number, m: number, s: number, lo: number, hi: number, dst: number): void {
    this.ex.requantRows(acc, rows, outN, m, s, lo, hi, dst);
  }
  attend(q: number, k: number, v: number, n: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number): void {
    this.ex.attend(q, k, v, n, hd, stride, attM, attS, aoM, aoS, exp2, scratch, out);
  }
  attendRows(q: number, qStride: number, k: number, v: number, rows: number, n0: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number, outStride: number): void {
    if (!this.ex.attendRows) {
      // a build from before attendRows (bench:engine --against loads old builds): row by row, as it did
      for (let r = 0; r < rows; r++) this.ex.attend(q + r * qStride, k, v, n0 + r, hd, stride, attM, attS, aoM, aoS, exp2, scratch, out + r * outStride);
      return;
    }
    this.ex.attendRows(q, qStride, k, v, rows, n0, hd, stride, attM, attS, aoM, aoS, exp2, scratch, out, outStride);
  }
  attendHeads(q: number, qStride: number, k: number, v: number, heads: number, n: number, hd: number, stride: number, attM: number, attS: number, aoM: number, aoS: number, exp2: number, scratch: number, out: number, outStride: number): void {
    if (!this.ex.attendHeads) {
      // a build from before attendHeads (bench:engine --against): head by head, as it did
      for (let h = 0; h < heads; h++) this.ex.attend(q + h * qStride, k, v, n, hd, stride, attM, attS, aoM, aoS, exp2, scratch, out + h * outStride);
      return;
    }
    this.ex.attendHeads(q, qStride, k, v, heads, n, hd, stride, attM, attS, aoM, aoS, exp2, scratch, out, outStride);
  }
  cumulativeFrequencies(logits: number, n: number, exp2: number, e: number, cum: number): void {
    this.ex.cumulativeFrequencies(logits, n, exp2, e, cum);
  }
}

/** Whether this JS engine runs wasm SIMD (the kernels need it). */
export function wasmSimdSupported(): boolean {
  try {
    // (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)), as wasm-feature-detect probes it
    return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]));
  } catch {
    return false;
  }
}
