/**
 * npm run bench:webgpu — tokens/s of the whole forward on the GPU
 * (src/model/exact/webgpu) against the wasm engine on one CPU thread, on the
 * shipped model, in Node through the `webgpu` package (Dawn over Vulkan):
 * prefill of one 1,024-token chunk, of several at once, and decoding steps of
 * wide batches at a mid-chunk context. A benchmark that prints, never a test.
 * On a machine without a GPU, VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
 * runs it on SwiftShader (a software rasterizer: only a check that it runs).
 *
 *   npm run bench:webgpu [-- --quick]
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { FastEngine } from '../src/model/exact/fastEngine.js';
import { parseModelFile } from '../src/model/exact/modelFile.js';
import { WasmKernels } from '../src/model/exact/wasmKernels.js';
import { WebGpuEngine } from '../src/model/exact/webgpu/webgpuEngine.js';
import { weightsOf } from '../src/model/exact/weights.js';
import type { Engine, ModelIdentity } from '../src/model/types.js';
import { resolveModelDir, WASM_KERNELS } from '../src/platform/node/nodeModelSource.js';
import { nodeWebGpu } from '../src/platform/node/nodeWebGpu.js';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean' } } });
const quick = flags.quick ?? false;
const file = parseModelFile(new Uint8Array(readFileSync(resolveModelDir() + '/model.bin')));
const id = { name: file.header.name, config: file.header.config } as ModelIdentity;
const W = weightsOf(file);
const V = id.config.vocab;
const chunk = quick ? 128 : 1024;
const tokens = (n: number, seed: number) => Int32Array.from({ length: n }, (_, i) => (i === 0 ? id.config.bos : 1 + ((i * 7919 + seed * 104729) % (V - 1))));

/** Best seconds of `rounds` runs of `run` (after one untimed). */
async function best(run: () => Promise<unknown>, rounds = quick ? 2 : 5): Promise<number> {
  await run();
  let min = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await run();
    min = Math.min(min, (performance.now() - t0) / 1000);
  }
  return min;
}

async function measure(name: string, engine: Engine): Promise<void> {
  const line = (what: string, tokensPerRun: number, s: number) => console.log(`  ${name.padEnd(7)} ${what.padEnd(44)} ${(tokensPerRun / s).toFixed(0).padStart(8)} tok/s`);
  line(`prefill, one ${chunk}-token chunk`, chunk, await best(() => engine.prefill([tokens(chunk, 1)])));
  const many = [1, 2, 3, 4].map((k) => tokens(chunk / 2, k));
  line(`prefill, 4 chunks of ${chunk / 2} in one call`, 2 * chunk, await best(() => engine.prefill(many)));
  for (const batch of quick ? [16] : [16, 64, 256]) {
    const ctx = chunk / 2;
    const streams = Array.from({ length: batch }, () => engine.newStream(ctx + 16));
    for (const s of streams) await engine.feedPrompt(s, new Int32Array(ctx * id.config.dim)); // fill the caches to a mid-chunk context
    const steps = 8;
    const s = await best(async () => {
      for (let t = 0; t < steps; t++) await engine.step(streams, tokens(batch, t));
    }, 1);
    line(`step, batch ${batch}, context ${ctx}`, batch * steps, s);
    for (const st of streams) engine.freeStream(st);
  }
}

const gpu = await nodeWebGpu();
console.log(`model ${id.name}: d=${id.config.dim} L=${id.config.layers} V=${V}; CPU ${cpus()[0]?.model ?? '?'}; Node ${process.version}`);
const wasm = new FastEngine(id, W, await WasmKernels.create(readFileSync(WASM_KERNELS)));
await measure('wasm', wasm);
const engine = await WebGpuEngine.create(id, W, { gpu, allowSoftware: true });
console.log(`WebGPU adapter: ${engine.adapter} (${engine.packedDot ? 'dot4I8Packed' : 'unpacking dot product'})`);
await measure('webgpu', engine);
engine.dispose();
