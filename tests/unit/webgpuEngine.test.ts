// The whole forward pass in WGSL (issue #18) against the TS and wasm engines,
// in Node on SwiftShader: random models of awkward shapes, the shipped model
// with its soft prompts, and streams that outlive a move of the KV caches.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { FastEngine } from '../../src/model/exact/fastEngine.js';
import { TsKernels } from '../../src/model/exact/kernels.js';
import { parseModelFile } from '../../src/model/exact/modelFile.js';
import { randomModel, type RandomModelOptions } from '../../src/model/exact/randomModel.js';
import { WasmKernels } from '../../src/model/exact/wasmKernels.js';
import { WebGpuEngine } from '../../src/model/exact/webgpu/webgpuEngine.js';
import { weightsOf } from '../../src/model/exact/weights.js';
import type { ModelIdentity } from '../../src/model/types.js';
import { checkEngine, checkSequences } from '../../src/selftest/engineCheck.js';
import { nodeGpu } from '../helpers/nodeGpu.js';

let gpu: GPU;
beforeAll(async () => {
  gpu = await nodeGpu();
});

const modelOf = (bytes: Uint8Array) => {
  const file = parseModelFile(bytes);
  return { id: { config: file.header.config } as ModelIdentity, weights: weightsOf(file) };
};

const SHAPES: RandomModelOptions[] = [
  { seed: 1, dim: 32, heads: 2, kvHeads: 2, layers: 2, ffn: 48 },
  { seed: 2, dim: 64, heads: 4, kvHeads: 2, layers: 1, ffn: 96 },
  { seed: 3, dim: 48, heads: 6, kvHeads: 1, layers: 3, ffn: 40 },
  // head dim 6, K/V rows of 18 bytes: heads and rows straddle the packed words
  { seed: 4, dim: 36, heads: 6, kvHeads: 3, layers: 2, ffn: 42 },
];

describe.each([false, true])('WebGPU engine (unpacking dot product: %s)', (plainDot) => {
  test.each(SHAPES)('equals the TS engine on a random model, prefill and step: %o', async (shape) => {
    const { id, weights } = modelOf(randomModel(shape));
    const seqs = checkSequences(id.config.vocab, 24, shape.seed!);
    const want = await new FastEngine(id, weights, new TsKernels()).prefill(seqs);
    const engine = await WebGpuEngine.create(id, weights, { gpu, allowSoftware: true, plainDot });
    try {
      expect(engine.packedDot).toBe(plainDot ? false : engine.packedDot);
      const r = await checkEngine(engine, seqs, want);
      expect({ prefill: r.prefill, step: r.step }).toEqual({ prefill: true, step: true });
    } finally {
      engine.dispose();
    }
  });
});

describe('WebGPU engine on the shipped model', () => {
  const bytes = new Uint8Array(readFileSync('public/models/llmz-base/model.bin'));

  test('soft prompts, prefill of two sequences at once, steps after feedPrompt: the wasm engine\'s logits', async () => {
    const { id, weights } = modelOf(bytes);
    const V = id.config.vocab;
    const seqs = checkSequences(V, 10, 7).slice(0, 2);
    const prompt = weights.prompts[0]!.vectors;
    const wasm = new FastEngine(id, weights, await WasmKernels.create(readFileSync('src/model/exact/wasm/kernels.wasm')));
    const want = await wasm.prefill(seqs, [prompt, null]);
    const engine = await WebGpuEngine.create(id, weights, { gpu, allowSoftware: true });
    try {
      const got = await engine.prefill(seqs, [prompt, null]);
      expect(got.map((g, i) => g.every((x, k) => x === want[i]![k]))).toEqual([true, true]);
      const a = engine.newStream(seqs[0]!.length + prompt.length / id.config.dim);
      await engine.feedPrompt(a, prompt);
      const b = engine.newStream(seqs[1]!.length);
      for (let t = 0; t < seqs[1]!.length; t++) {
        const [ra, rb] = await engine.step([a, b], Int32Array.from([seqs[0]![t]!, seqs[1]![t]!]));
        expect(ra).toEqual(want[0]!.subarray(t * V, (t + 1) * V));
        expect(rb).toEqual(want[1]!.subarray(t * V, (t + 1) * V));
      }
    } finally {
      engine.dispose();
    }
  });
});

test('streams keep their caches when the KV pool grows and when others are freed', async () => {
  const { id, weights } = modelOf(randomModel({ seed: 5, dim: 32, heads: 4, kvHeads: 2, layers: 2, ffn: 40, maxPos: 64 }));
  const V = id.config.vocab;
  const [seq] = checkSequences(V, 30, 11);
  const want = (await new FastEngine(id, weights, new TsKernels()).prefill([seq!]))[0]!;
  const engine = await WebGpuEngine.create(id, weights, { gpu, allowSoftware: true });
  try {
    const s = engine.newStream();
    const others = [];
    for (let t = 0; t < seq!.length; t++) {
      const [row] = await engine.step([s], seq!.subarray(t, t + 1));
      expect(row).toEqual(want.subarray(t * V, (t + 1) * V));
      // the pool starts with room for 8 full streams: these force it to grow (a copy) twice, and free some as they go
      if (t % 3 === 0) others.push(engine.newStream(), engine.newStream(), engine.newStream());
      if (t % 5 === 4) engine.freeStream(others.splice(1, 1)[0]!);
    }
  } finally {
    engine.dispose();
  }
});

test("WGSL's 64-bit requant equals docs/numerics.md's at the edges of its range", async () => {
  const { WGSL_INT } = await import('../../src/model/exact/webgpu/shaders.js');
  const { requant, clamp } = await import('../../src/model/exact/intmath.js');
  const device = await (await gpu.requestAdapter())!.requestDevice();
  const as = [0, 1, -1, 127, -127, 65535, -65536, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31), 123456789, -987654321];
  const ms = [0, 1, 16384, 32767, 12345];
  const ss = [1, 2, 8, 14, 15, 16, 17, 31, 32, 33, 40, 46, 52];
  const bounds: [number, number][] = [[-127, 127], [-32767, 32767], [-(2 ** 31), 2 ** 31 - 1], [0, 2 ** 31 - 1]];
  const cases: number[][] = [];
  for (const a of as) for (const m of ms) for (const s of ss) for (const [lo, hi] of bounds) cases.push([a, m, s, lo, hi]);
  const input = Int32Array.from(cases.flat());
  const code = `${WGSL_INT}
@group(0) @binding(0) var<storage, read> c: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = i32(g.x);
  if (i >= ${cases.length}) { return; }
  out[i] = requant(c[5 * i], c[5 * i + 1], c[5 * i + 2], c[5 * i + 3], c[5 * i + 4]);
}`;
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const inBuf = device.createBuffer({ size: input.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(inBuf, 0, input);
  const outBuf = device.createBuffer({ size: cases.length * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: cases.length * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: inBuf } }, { binding: 1, resource: { buffer: outBuf } }] }));
  pass.dispatchWorkgroups(Math.ceil(cases.length / 64));
  pass.end();
  enc.copyBufferToBuffer(outBuf, 0, read, 0, cases.length * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const got = Array.from(new Int32Array(read.getMappedRange()));
  device.destroy();
  const want = cases.map(([a, m, s, lo, hi]) => clamp(requant(a!, m!, s!), lo!, hi!));
  expect(got.length).toBe(cases.length);
  expect(got.filter((g, i) => g !== want[i]).length).toBe(0);
});

test('archives made on WebGPU (many chunks per prefill submission) equal the TS engine\'s and decode on both', async () => {
  const { tinyModel } = await import('../helpers/models.js');
  const { compress } = await import('../../src/pipeline/compressor.js');
  const { decompress } = await import('../../src/pipeline/decompressor.js');
  const { readArchive } = await import('../../src/format/container.js');
  const gpuModel = await tinyModel({ seed: 8 }, { backend: 'webgpu', gpu });
  const cpuModel = await tinyModel({ seed: 8 }, { backend: 'ts' });
  expect(gpuModel.engine.backend).toBe('webgpu');
  const input = new TextEncoder().encode('Seventeen chunks of a tiny model, prefilled together on the GPU. '.repeat(12));
  const opts = { chunkTokens: 48, byteModel: false, storeIncompressible: false };
  const onGpu = await compress(input, gpuModel, opts);
  const onCpu = await compress(input, cpuModel, opts);
  expect(readArchive(onGpu).header.chunks.filter((c) => c.kind === 'model').length).toBeGreaterThan(8);
  expect(Buffer.from(onGpu).equals(Buffer.from(onCpu))).toBe(true);
  expect(await decompress(onCpu, gpuModel)).toEqual(input);
  expect(await decompress(onGpu, cpuModel)).toEqual(input);
  gpuModel.engine.dispose();
});

test('a decoding step of a whole batch is one submission and one readback', async () => {
  const { id, weights } = modelOf(randomModel({ seed: 6, dim: 32, heads: 2, kvHeads: 1, layers: 2, ffn: 40 }));
  const engine = await WebGpuEngine.create(id, weights, { gpu, allowSoftware: true });
  const device = (engine as unknown as { device: GPUDevice }).device;
  const counts = { submit: 0, map: 0 };
  const submit = device.queue.submit.bind(device.queue);
  device.queue.submit = (buffers) => (counts.submit++, submit(buffers));
  const mapAsync = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, ...a: Parameters<GPUBuffer['mapAsync']>) {
    counts.map++;
    return mapAsync.apply(this, a);
  };
  try {
    const streams = Array.from({ length: 12 }, () => engine.newStream(16));
    for (let t = 0; t < 5; t++) {
      const rows = await engine.step(streams, new Int32Array(12).fill(t));
      expect(rows.length).toBe(12);
    }
    expect(counts).toEqual({ submit: 5, map: 5 });
  } finally {
    GPUBuffer.prototype.mapAsync = mapAsync;
    engine.dispose();
  }
});
