/**
 * WebGPU kernels: the int8 matrix products run as WGSL compute shaders on
 * i32 (dot4I8Packed when the adapter offers packed_4x8_integer_dot_product,
 * a plain unpacking path otherwise); the rest stays on the CPU kernels it
 * wraps. Integer sums are exact in any order, so results equal the wasm and
 * TS kernels bit for bit; tests/browser/engine.spec.ts checks it on
 * Chromium's SwiftShader adapter.
 */
import type { Kernels } from './kernels.js';

const shader = (packed: boolean) => /* wgsl */ `
${packed ? '' : `
fn dot4I8(a: u32, b: u32) -> i32 {
  let x = bitcast<i32>(a);
  let y = bitcast<i32>(b);
  let va = vec4<i32>(extractBits(x, 0u, 8u), extractBits(x, 8u, 8u), extractBits(x, 16u, 8u), extractBits(x, 24u, 8u));
  let vb = vec4<i32>(extractBits(y, 0u, 8u), extractBits(y, 8u, 8u), extractBits(y, 16u, 8u), extractBits(y, 24u, 8u));
  return dot(va, vb);
}`}
struct Dims { outN: u32, inWords: u32, rows: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> W: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> ACC: array<i32>;
@group(0) @binding(3) var<uniform> dims: Dims;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x;
  let r = gid.y;
  if (o >= dims.outN || r >= dims.rows) { return; }
  let wb = o * dims.inWords;
  let xb = r * dims.inWords;
  var acc: i32 = 0;
  for (var i: u32 = 0u; i < dims.inWords; i = i + 1u) {
    acc = acc + ${packed ? 'dot4I8Packed' : 'dot4I8'}(W[wb + i], X[xb + i]);
  }
  ACC[r * dims.outN + o] = acc;
}`;

export class WebGpuKernels implements Kernels {
  readonly name = 'webgpu';
  private readonly weights = new Map<number, GPUBuffer>();
  private readonly pipeline: GPUComputePipeline;
  private xBuf: GPUBuffer | null = null;
  private accBuf: GPUBuffer | null = null;
  private readBuf: GPUBuffer | null = null;
  private readonly dims: GPUBuffer;

  private constructor(
    private readonly cpu: Kernels,
    private readonly device: GPUDevice,
    readonly packedDot: boolean,
    /** The adapter's vendor, architecture and description (a backend decision is kept per adapter). */
    readonly adapter: string,
  ) {
    this.pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: shader(packedDot) }), entryPoint: 'main' },
    });
    this.dims = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    // the coder's tables are CPU work: the wasm kernels' SIMD version when this wraps them
    if (cpu.cumulativeFrequencies) this.cumulativeFrequencies = cpu.cumulativeFrequencies.bind(cpu);
  }

  cumulativeFrequencies?: Kernels['cumulativeFrequencies'];

  /**
   * `plainDot` forces the unpacking path even where dot4I8Packed exists (to
   * test both); software adapters (SwiftShader) are refused unless
   * `allowSoftware`, since the wasm kernels beat them.
   */
  static async create(cpu: Kernels, opts: { plainDot?: boolean; allowSoftware?: boolean } = {}): Promise<WebGpuKernels> {
    const plainDot = opts.plainDot ?? false;
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    if (!gpu) throw new Error('WebGPU is not available');
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('No WebGPU adapter');
    const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
    const software = !!info?.isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(`${info?.vendor} ${info?.architecture} ${info?.description}`);
    if (software && !opts.allowSoftware) throw new Error('Only a software WebGPU adapter is available');
    const device = await adapter.requestDevice();
    const packed = !!(gpu as GPU & { wgslLanguageFeatures?: Set<string> }).wgslLanguageFeatures?.has('packed_4x8_integer_dot_product');
    const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
    return new WebGpuKernels(cpu, device, packed && !plainDot, name);
  }

  buffer(): ArrayBuffer {
    return this.cpu.buffer();
  }
  alloc(bytes: number): number {
    return this.cpu.alloc(bytes);
  }
  free(ptr: number): void {
    this.cpu.free(ptr);
  }
  requantRows(...a: Parameters<Kernels['requantRows']>): void {
    this.cpu.requantRows(...a);
  }
  rmsNormRows(...a: Parameters<Kernels['rmsNormRows']>): void {
    this.cpu.rmsNormRows(...a);
  }
  addResidual(...a: Parameters<Kernels['addResidual']>): void {
    this.cpu.addResidual(...a);
  }
  swiglu(...a: Parameters<Kernels['swiglu']>): void {
    this.cpu.swiglu(...a);
  }
  ropeRows(...a: Parameters<Kernels['ropeRows']>): void {
    this.cpu.ropeRows(...a);
  }
  storeRowsI8(...a: Parameters<Kernels['storeRowsI8']>): void {
    this.cpu.storeRowsI8(...a);
  }
  attend(...a: Parameters<Kernels['attend']>): void {
    this.cpu.attend(...a);
  }

  /** Releases the GPU side (buffers, device); the CPU kernels it wraps are not its own. */
  dispose(): void {
    for (const b of [...this.weights.values(), this.xBuf, this.accBuf, this.readBuf, this.dims]) b?.destroy();
    this.weights.clear();
    this.device.destroy();
  }

  private ensure(buf: GPUBuffer | null, size: number, usage: number): GPUBuffer {
    if (buf && buf.size >= size) return buf;
    buf?.destroy();
    return this.device.createBuffer({ size: Math.max(256, Math.ceil(size / 256) * 256), usage });
  }

  async matmul(w: number, outN: number, inN: number, x: number, rows: number, acc: number): Promise<void> {
    if (inN % 4 !== 0) return this.cpu.matmul(w, outN, inN, x, rows, acc);
    const dev = this.device;
    let wb = this.weights.get(w); // weights never move or change once uploaded
    if (!wb) {
      wb = dev.createBuffer({ size: Math.ceil((outN * inN) / 4) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      dev.queue.writeBuffer(wb, 0, this.cpu.buffer(), w, outN * inN);
      this.weights.set(w, wb);
    }
    const xBytes = rows * inN;
    const accBytes = rows * outN * 4;
    this.xBuf = this.ensure(this.xBuf, xBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    this.accBuf = this.ensure(this.accBuf, accBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    this.readBuf = this.ensure(this.readBuf, accBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    dev.queue.writeBuffer(this.xBuf, 0, this.cpu.buffer(), x, xBytes);
    dev.queue.writeBuffer(this.dims, 0, new Uint32Array([outN, inN / 4, rows, 0]));
    const bind = dev.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: wb } },
        { binding: 1, resource: { buffer: this.xBuf } },
        { binding: 2, resource: { buffer: this.accBuf } },
        { binding: 3, resource: { buffer: this.dims } },
      ],
    });
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(outN / 64), rows);
    pass.end();
    enc.copyBufferToBuffer(this.accBuf, 0, this.readBuf, 0, accBytes);
    dev.queue.submit([enc.finish()]);
    await this.readBuf.mapAsync(GPUMapMode.READ, 0, accBytes);
    new Int32Array(this.cpu.buffer(), acc, rows * outN).set(new Int32Array(this.readBuf.getMappedRange(0, accBytes)));
    this.readBuf.unmap();
  }
}
