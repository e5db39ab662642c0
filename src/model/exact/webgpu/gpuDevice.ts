/**
 * A WebGPU device for the exact engine: the adapter's largest buffer limits
 * (KV caches of wide batches need more than the default 128 MiB binding),
 * whether WGSL's packed int8 dot product exists, and whether the adapter is
 * software (SwiftShader, llvmpipe), which the wasm kernels beat.
 */

export interface GpuDevice {
  device: GPUDevice;
  /** dot4I8Packed is available (and not turned off). */
  packedDot: boolean;
  /** The adapter's vendor, architecture and description (a backend decision is kept per adapter). */
  adapter: string;
}

export interface GpuDeviceOptions {
  /** Use the unpacking dot product even where dot4I8Packed exists (to test both). */
  plainDot?: boolean;
  /** Accept a software adapter (refused by default: the wasm kernels beat it). */
  allowSoftware?: boolean;
  /** Where navigator.gpu is not the WebGPU entry point (Node's `webgpu` package). */
  gpu?: GPU;
}

export async function requestGpuDevice(opts: GpuDeviceOptions = {}): Promise<GpuDevice> {
  const gpu = opts.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error('WebGPU is not available');
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('No WebGPU adapter');
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const software = !!info?.isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(`${info?.vendor} ${info?.architecture} ${info?.description}`);
  if (software && !opts.allowSoftware) throw new Error('Only a software WebGPU adapter is available');
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const packed = !!(gpu as GPU & { wgslLanguageFeatures?: ReadonlySet<string> }).wgslLanguageFeatures?.has('packed_4x8_integer_dot_product');
  const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  return { device, packedDot: packed && !opts.plainDot, adapter: name };
}
