/**
 * WebGPU in Node (`--backend webgpu`): Dawn through the `webgpu` package, a
 * development dependency, on whatever Vulkan driver the machine has. Loaded
 * only when asked for.
 */
import { ModelLoadError } from '../../codec/errors.js';

let gpu: GPU | null = null;

export async function nodeWebGpu(): Promise<GPU> {
  if (gpu) return gpu;
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch {
    throw new ModelLoadError('WebGPU in Node needs the "webgpu" package: run "npm install webgpu" in the llmz folder (and have a Vulkan driver), or use --backend wasm.');
  }
  Object.assign(globalThis, mod.globals);
  gpu = mod.create([]);
  return gpu;
}
