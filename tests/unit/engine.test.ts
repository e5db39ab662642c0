import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModelFile } from '../../src/model/exact/modelFile.js';
import { readFileSync } from 'node:fs';
import { FastEngine } from '../../src/model/exact/fastEngine.js';
import { TsKernels, type Kernels } from '../../src/model/exact/kernels.js';
import { ReferenceEngine } from '../../src/model/exact/reference.js';
import { WasmKernels } from '../../src/model/exact/wasmKernels.js';
import { WASM_KERNELS } from '../../src/platform/node/nodeModelSource.js';
import { weightsOf } from '../../src/model/exact/weights.js';
import type { ModelIdentity } from '../../src/model/types.js';
import { randomModel, rng, type RandomModelOptions } from '../helpers/fixtures.js';
import { intsimLogits } from '../helpers/intsim.js';

const SHAPES: RandomModelOptions[] = [
  { seed: 1, dim: 32, heads: 2, kvHeads: 2, layers: 2, ffn: 48 },
  { seed: 2, dim: 64, heads: 4, kvHeads: 2, layers: 1, ffn: 96 }, // grouped KV heads
  { seed: 3, dim: 48, heads: 6, kvHeads: 1, layers: 3, ffn: 40 }, // one KV head
  { seed: 4, dim: 32, heads: 4, kvHeads: 2, layers: 2, ffn: 56, weightBits: 4 }, // packed int4 weights
  { seed: 5, dim: 128, heads: 8, kvHeads: 2, layers: 2, ffn: 64 }, // four query heads per KV head on the 16-lane grid: decoding's head tiles
];

function engineFor(bytes: Uint8Array) {
  const file = parseModelFile(bytes);
  return new ReferenceEngine({ config: file.header.config } as ModelIdentity, weightsOf(file));
}

function randomSeqs(n: number, len: number, vocab: number, seed: number): Int32Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) =>
    Int32Array.from({ length: len - (i % 3) * 5 }, (_, t) => (t === 0 ? 0 : 1 + Math.floor(r() * (vocab - 1)))),
  );
}

describe('exact engine', () => {
  for (const shape of SHAPES) {
    const tag = `d${shape.dim} h${shape.heads}/${shape.kvHeads} L${shape.layers}${shape.weightBits === 4 ? ' int4' : ''}`;

    it(`${tag}: prefill equals step-by-step decoding`, async () => {
      const bytes = randomModel(shape);
      const e = engineFor(bytes);
      const V = e.identity.config.vocab;
      const [seq] = randomSeqs(1, 40, V, shape.seed!);
      const [all] = await e.prefill([seq!]);
      const s = e.newStream();
      for (let t = 0; t < seq!.length; t++) {
        const [row] = await e.step([s], Int32Array.of(seq![t]!));
        expect(row).toEqual(all!.subarray(t * V, (t + 1) * V));
      }
    });

    it(`${tag}: a stream's logits do not depend on the other streams in its batch`, async () => {
      const e = engineFor(randomModel(shape));
      const seqs = randomSeqs(4, 30, e.identity.config.vocab, 99);
      const alone = await e.prefill([seqs[2]!]);
      const together = await e.prefill(seqs);
      expect(together[2]).toEqual(alone[0]);
      // and in step mode, streams advancing in lockstep
      const streams = seqs.map(() => e.newStream());
      for (let t = 0; t < 20; t++) {
        const out = await e.step(streams, Int32Array.from(seqs, (q) => q[t]!));
        const V = e.identity.config.vocab;
        expect(out[2]).toEqual(alone[0]!.subarray(t * V, (t + 1) * V));
      }
    });

    it(`${tag}: the training side's integer simulation gives the same logits`, async () => {
      const bytes = randomModel(shape);
      const dir = mkdtempSync(join(tmpdir(), 'llmz-model-'));
      writeFileSync(join(dir, 'model.bin'), bytes);
      const e = engineFor(bytes);
      const seqs = randomSeqs(2, 50, e.identity.config.vocab, 7);
      const ts = await e.prefill(seqs);
      const py = intsimLogits(join(dir, 'model.bin'), seqs.map((s) => Array.from(s)));
      const flat = new Int32Array(ts.reduce((n, x) => n + x.length, 0));
      let o = 0;
      for (const x of ts) (flat.set(x, o), (o += x.length));
      expect(py.length).toBe(flat.length);
      let diff = 0;
      for (let i = 0; i < flat.length; i++) if (py[i] !== flat[i]) diff++;
      expect(diff).toBe(0);
      // the logits are informative, not saturated constants
      expect(new Set(flat).size).toBeGreaterThan(flat.length / 4);
    });
  }

  const backends: [string, () => Promise<Kernels>][] = [
    ['ts kernels', async () => new TsKernels()],
    ['wasm kernels', () => WasmKernels.create(readFileSync(WASM_KERNELS))],
  ];
  for (const [name, make] of backends) {
    for (const shape of SHAPES) {
      const tag = `${name}, d${shape.dim} h${shape.heads}/${shape.kvHeads} L${shape.layers}${shape.weightBits === 4 ? ' int4' : ''}`;
      it(`${tag}: batched prefill and lockstep steps equal the reference engine`, async () => {
        const bytes = randomModel(shape);
        const file = parseModelFile(bytes);
        const id = { config: file.header.config } as ModelIdentity;
        const ref = new ReferenceEngine(id, weightsOf(file));
        const fast = new FastEngine(id, weightsOf(file), await make());
        const V = id.config.vocab;
        const seqs = randomSeqs(5, 33, V, shape.seed! + 10);
        const want = await ref.prefill(seqs);
        // prefill of several sequences at once
        expect(await fast.prefill(seqs)).toEqual(want);
        // all streams in lockstep, some finishing early (batch composition changes)
        const streams = seqs.map((q) => fast.newStream(q.length));
        let live = seqs.map((_, i) => i);
        for (let t = 0; live.length; t++) {
          const out = await fast.step(live.map((i) => streams[i]!), Int32Array.from(live, (i) => seqs[i]![t]!));
          live.forEach((i, k) => expect(out[k]).toEqual(want[i]!.subarray(t * V, (t + 1) * V)));
          live = live.filter((i) => t + 1 < seqs[i]!.length);
        }
        streams.forEach((s) => fast.freeStream(s));
      });
    }
  }

  it('soft prompts: reference = TS and wasm kernels (prefill and steps) = the training side, and they change the logits', async () => {
    const shape = SHAPES[1]!;
    const bytes = randomModel(shape);
    const dir = mkdtempSync(join(tmpdir(), 'llmz-model-'));
    writeFileSync(join(dir, 'model.bin'), bytes);
    const file = parseModelFile(bytes);
    const id = { config: file.header.config } as ModelIdentity;
    const { dim: d, vocab: V } = id.config;
    const r = rng(21);
    // residual values of the size embeddings have (Q16), one far beyond the residual bounds (clamped)
    const prompt = (n: number) => Int32Array.from({ length: n * d }, (_, i) => (i === 3 ? 2 ** 31 - 1 : Math.round((r() - 0.5) * 2 ** 18)));
    // 100 positions: the head's blocks of 64 rows start after the prompt and end on a partial block
    const seqs = randomSeqs(3, 100, V, 31);
    const prompts = [prompt(4), null, prompt(2)];
    const ref = new ReferenceEngine(id, weightsOf(file));
    const want = await ref.prefill(seqs, prompts);
    expect(want[0]).not.toEqual((await ref.prefill([seqs[0]!]))[0]);
    expect(want[1]).toEqual((await ref.prefill([seqs[1]!]))[0]);
    const py = intsimLogits(join(dir, 'model.bin'), seqs.map((q, b) => ({ seq: Array.from(q), prompt: prompts[b] ? Array.from({ length: prompts[b]!.length / d }, (_, i) => Array.from(prompts[b]!.subarray(i * d, (i + 1) * d))) : [] })));
    expect(Array.from(py)).toEqual(want.flatMap((x) => Array.from(x)));
    for (const make of [async () => new TsKernels(), () => WasmKernels.create(readFileSync(WASM_KERNELS))]) {
      const fast = new FastEngine(id, weightsOf(file), await make());
      expect(await fast.prefill(seqs, prompts)).toEqual(want);
      // row by row (the encoder's path): the same logits, every position once and in order, across head blocks
      for (const [b, q] of seqs.entries()) {
        const seen: number[] = [];
        const rows = new Int32Array(q.length * V);
        await fast.prefillRows(q, prompts[b] ?? null, (t, row) => (seen.push(t), rows.set(row, t * V)));
        expect(seen).toEqual(Array.from(q, (_, t) => t));
        expect(Array.from(rows)).toEqual(Array.from(want[b]!));
      }
      const streams = seqs.map((q, b) => fast.newStream(q.length + (prompts[b]?.length ?? 0) / d));
      for (const [b, s] of streams.entries()) if (prompts[b]) await fast.feedPrompt(s, prompts[b]!);
      for (let t = 0; t < seqs[0]!.length - 10; t++) {
        const out = await fast.step(streams, Int32Array.from(seqs, (q) => q[t]!));
        out.forEach((o, b) => expect(o).toEqual(want[b]!.subarray(t * V, (t + 1) * V)));
      }
    }
  });

  it('packs int4 weights to half the bytes and reads them back exactly', () => {
    const a = randomModel({ seed: 9, weightBits: 4 });
    const b = randomModel({ seed: 9 });
    expect(a.length).toBeLessThan(b.length * 0.75);
    const w = weightsOf(parseModelFile(a));
    expect(Math.max(...w.layers[0]!.wq.w.map(Math.abs))).toBe(7);
  });
});
