/**
 * selftest.html: every exact-engine backend this browser has (plain TS,
 * wasm SIMD, WebGPU) against the reference engine, on random models of
 * several shapes and on the default model. Results go to the page and to
 * `window.__selftest` for the browser tests.
 */
import { FastEngine } from '../model/exact/fastEngine.js';
import { TsKernels, type Kernels } from '../model/exact/kernels.js';
import { parseModelFile } from '../model/exact/modelFile.js';
import { randomModel, rng, type RandomModelOptions } from '../model/exact/randomModel.js';
import { ReferenceEngine } from '../model/exact/reference.js';
import { WasmKernels } from '../model/exact/wasmKernels.js';
import { WebGpuKernels } from '../model/exact/webgpuKernels.js';
import { weightsOf } from '../model/exact/weights.js';
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

const same = (a: Int32Array, b: Int32Array) => a.length === b.length && a.every((x, i) => x === b[i]);

async function check(name: string, bytes: Uint8Array, kernels: Record<string, () => Promise<Kernels>>, seqLen: number, withReference: boolean) {
  const file = parseModelFile(bytes);
  const id = { config: file.header.config } as ModelIdentity;
  const V = id.config.vocab;
  const r = rng(bytes.length);
  const seqs = [0, 1, 2].map((k) => Int32Array.from({ length: seqLen - 3 * k }, (_, t) => (t === 0 ? 0 : 1 + Math.floor(r() * (V - 1)))));
  let want: Int32Array[] | null = null;
  if (withReference) want = await new ReferenceEngine(id, weightsOf(file)).prefill(seqs);
  for (const [backend, make] of Object.entries(kernels)) {
    let engine: Engine;
    try {
      engine = new FastEngine(id, weightsOf(file), await make());
    } catch (e) {
      log(`${name}: ${backend} unavailable (${(e as Error).message})`);
      continue;
    }
    const got = await engine.prefill(seqs);
    want ??= got;
    const prefillOk = got.every((g, i) => same(g, want![i]!));
    // lockstep steps with all three streams
    const streams = seqs.map((q) => engine.newStream(q.length));
    let stepOk = true;
    let live = [0, 1, 2];
    for (let t = 0; live.length; t++) {
      const rows = await engine.step(live.map((i) => streams[i]!), Int32Array.from(live, (i) => seqs[i]![t]!));
      live.forEach((i, k) => (stepOk &&= same(rows[k]!, want![i]!.subarray(t * V, (t + 1) * V))));
      live = live.filter((i) => t + 1 < seqs[i]!.length);
    }
    results.push({ model: name, backend, mode: 'prefill', equal: prefillOk }, { model: name, backend, mode: 'step', equal: stepOk });
    log(`${name}: ${backend.padEnd(12)} prefill ${prefillOk ? 'identical' : 'DIFFERENT'}, step ${stepOk ? 'identical' : 'DIFFERENT'}`);
  }
}

async function main() {
  const wasmBytes = await fetchBytes(new URL('../model/exact/wasm/kernels.wasm', import.meta.url).href);
  let packed: boolean | null = null;
  const kernels: Record<string, () => Promise<Kernels>> = {
    ts: async () => new TsKernels(),
    wasm: () => WasmKernels.create(wasmBytes as BufferSource),
    webgpu: async () => {
      const k = await WebGpuKernels.create(await WasmKernels.create(wasmBytes as BufferSource), { allowSoftware: true });
      packed = k.packedDot;
      return k;
    },
    'webgpu-plain': async () => WebGpuKernels.create(await WasmKernels.create(wasmBytes as BufferSource), { plainDot: true, allowSoftware: true }),
  };
  const shapes: RandomModelOptions[] = [
    { seed: 1, dim: 32, heads: 2, kvHeads: 2, layers: 2, ffn: 48 },
    { seed: 2, dim: 64, heads: 4, kvHeads: 2, layers: 1, ffn: 96 },
    { seed: 3, dim: 48, heads: 6, kvHeads: 1, layers: 3, ffn: 40 },
  ];
  for (const s of shapes) await check(`random d${s.dim} h${s.heads}/${s.kvHeads} L${s.layers}`, randomModel(s), kernels, 24, true);
  const def = await fetchBytes(new URL('models/llmz-base/model.bin', document.baseURI).href);
  await check('llmz-base', def, { wasm: kernels.wasm!, webgpu: kernels.webgpu!, 'webgpu-plain': kernels['webgpu-plain']! }, 12, false);
  const webgpu = results.some((r) => r.backend === 'webgpu');
  log(webgpu ? `WebGPU ran (${packed ? 'dot4I8Packed' : 'unpacked int8'} path).` : 'WebGPU is not available in this browser.');
  log(results.every((r) => r.equal) ? 'All backends agree bit for bit.' : 'MISMATCH: this device computes different numbers. Please report it.');
  (window as unknown as { __selftest: unknown }).__selftest = { done: true, webgpu, packed, results };
}

main().catch((e) => {
  log('error: ' + (e as Error).message);
  (window as unknown as { __selftest: unknown }).__selftest = { done: true, error: String(e), results };
});
