/**
 * selftest.html: every exact-engine backend this browser has (plain TS,
 * wasm SIMD, WebGPU) against the reference engine, on random models of
 * several shapes and on the default model. Results go to the page and to
 * `window.__selftest` for the browser tests.
 */
import { FastEngine } from '../model/exact/fastEngine.js';
import { TsKernels } from '../model/exact/kernels.js';
import { parseModelFile } from '../model/exact/modelFile.js';
import { randomModel, type RandomModelOptions } from '../model/exact/randomModel.js';
import { ReferenceEngine } from '../model/exact/reference.js';
import { WasmKernels } from '../model/exact/wasmKernels.js';
import { WebGpuEngine } from '../model/exact/webgpu/webgpuEngine.js';
import { weightsOf, type ExactWeights } from '../model/exact/weights.js';
import { checkEngine, checkSequences } from './engineCheck.js';
import type { Engine, ModelIdentity } from '../model/types.js';
import { fetchBytes } from '../platform/browser/fetchBytes.js';

interface Result {
  model: string;
  backend: string;
  mode: string;
  equal: boolean;
}
const out = document.getElementById('out')!;
const results: Result[] = [];
const log = (s: string) => (out.textContent = (out.textContent === 'running…' ? '' : out.textContent) + s + '\n');

type EngineMaker = (id: ModelIdentity, weights: ExactWeights) => Promise<Engine>;

async function check(name: string, bytes: Uint8Array, makers: Record<string, EngineMaker>, seqLen: number, withReference: boolean) {
  const file = parseModelFile(bytes);
  const id = { config: file.header.config } as ModelIdentity;
  const seqs = checkSequences(id.config.vocab, seqLen, bytes.length);
  let want: Int32Array[] | null = null;
  if (withReference) want = await new ReferenceEngine(id, weightsOf(file)).prefill(seqs);
  for (const [backend, make] of Object.entries(makers)) {
    let engine: Engine;
    try {
      engine = await make(id, weightsOf(file));
    } catch (e) {
      log(`${name}: ${backend} unavailable (${(e as Error).message})`);
      continue;
    }
    const r = await checkEngine(engine, seqs, want);
    want ??= r.logits;
    engine.dispose();
    results.push({ model: name, backend, mode: 'prefill', equal: r.prefill }, { model: name, backend, mode: 'step', equal: r.step });
    log(`${name}: ${backend.padEnd(12)} prefill ${r.prefill ? 'identical' : 'DIFFERENT'}, step ${r.step ? 'identical' : 'DIFFERENT'}`);
  }
}

async function main() {
  const wasmBytes = await fetchBytes(new URL('../model/exact/wasm/kernels.wasm', import.meta.url).href);
  let packed: boolean | null = null;
  const makers: Record<string, EngineMaker> = {
    ts: async (id, w) => new FastEngine(id, w, new TsKernels()),
    wasm: async (id, w) => new FastEngine(id, w, await WasmKernels.create(wasmBytes as BufferSource)),
    // the whole forward on the GPU, with its packed and its unpacking int8 dot product
    webgpu: async (id, w) => {
      const e = await WebGpuEngine.create(id, w, { allowSoftware: true });
      packed = e.packedDot;
      return e;
    },
    'webgpu-plain': (id, w) => WebGpuEngine.create(id, w, { plainDot: true, allowSoftware: true }),
  };
  const shapes: RandomModelOptions[] = [
    { seed: 1, dim: 32, heads: 2, kvHeads: 2, layers: 2, ffn: 48 },
    { seed: 2, dim: 64, heads: 4, kvHeads: 2, layers: 1, ffn: 96 },
    { seed: 3, dim: 48, heads: 6, kvHeads: 1, layers: 3, ffn: 40 },
  ];
  for (const s of shapes) await check(`random d${s.dim} h${s.heads}/${s.kvHeads} L${s.layers}`, randomModel(s), makers, 24, true);
  const def = await fetchBytes(new URL('models/llmz-base/model.bin', document.baseURI).href);
  await check('llmz-base', def, { wasm: makers.wasm!, webgpu: makers.webgpu!, 'webgpu-plain': makers['webgpu-plain']! }, 12, false);
  const webgpu = results.some((r) => r.backend === 'webgpu');
  log(webgpu ? `WebGPU ran (${packed ? 'dot4I8Packed' : 'unpacked int8'} path).` : 'WebGPU is not available in this browser.');
  log(results.every((r) => r.equal) ? 'All backends agree bit for bit.' : 'MISMATCH: this device computes different numbers. Please report it.');
  (window as unknown as { __selftest: unknown }).__selftest = { done: true, webgpu, packed, results };
}

main().catch((e) => {
  log('error: ' + (e as Error).message);
  (window as unknown as { __selftest: unknown }).__selftest = { done: true, error: String(e), results };
});
