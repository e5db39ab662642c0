/**
 * Per-archive learned prompts (docs/steering.md): the relaxed model's
 * gradients, the three hyper-priors' round trips, and archives that carry a
 * prompt of their own — kept only when it pays, decoded on every backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptArchiveError } from '../../src/codec/errors.js';
import { TableBuilder } from '../../src/codec/logitsToFrequencies.js';
import { ARCHIVE_PROMPT, readArchive, readArchiveHeader } from '../../src/format/container.js';
import { parseModelFile } from '../../src/model/exact/modelFile.js';
import { weightsOf } from '../../src/model/exact/weights.js';
import { loadExactModel, sha256Hex, type LoadedModel } from '../../src/model/loadedModel.js';
import { compress } from '../../src/pipeline/compressor.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { bosShifted } from '../../src/model/bosShifted.js';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';
import { ArchivePromptLedger } from '../../src/pipeline/archivePromptLedger.js';
import { learnPrompt } from '../../src/steering/learnPrompt.js';
import { decodePrompt, encodePrompt, PRIOR_KINDS } from '../../src/steering/promptPriors.js';
import { RelaxedModel } from '../../src/steering/relaxedModel.js';
import { randomModel, rng, tinyTokenizerJson } from '../helpers/fixtures.js';
import { readFileSync } from 'node:fs';

const SHAPE = { seed: 21, dim: 32, layers: 2, heads: 2, kvHeads: 1, maxPos: 160, prompts: 2, promptVectors: 3 };
const TEXT = new TextEncoder().encode('the winter in the garden, the other tern in a river. '.repeat(30));

let model: LoadedModel;
let wasmModel: LoadedModel;
beforeAll(async () => {
  const tok = tinyTokenizerJson();
  const file = randomModel({ ...SHAPE, tokenizerSha256: await sha256Hex(new TextEncoder().encode(tok)) });
  model = await loadExactModel(file, tok, { backend: 'ts' });
  wasmModel = await loadExactModel(file, tok, { backend: 'wasm', wasmBytes: async () => readFileSync('src/model/exact/wasm/kernels.wasm') });
});

describe('the relaxed model', () => {
  it('its prompt gradient matches finite differences', () => {
    const W = weightsOf(parseModelFile(randomModel({ ...SHAPE, prompts: 0 })));
    const R = new RelaxedModel(W);
    const d = W.config.dim;
    const rand = rng(5);
    const prompt = Float64Array.from({ length: 2 * d }, () => (rand() - 0.5) * 4e5);
    const inputs = Int32Array.from([0, 84, 72, 69, 33, 257, 12, 70]);
    const targets = Int32Array.from([84, 72, 69, 33, 257, 12, 70, 85]);
    const { grad } = R.loss(prompt, inputs, targets, true);
    for (const k of [0, 7, 31, 40, 63]) {
      const h = 50;
      const up = prompt.slice();
      up[k] = up[k]! + h;
      const down = prompt.slice();
      down[k] = down[k]! - h;
      const numeric = (R.loss(up, inputs, targets, false).bits - R.loss(down, inputs, targets, false).bits) / (2 * h);
      expect(Math.abs(grad![k]! - numeric)).toBeLessThan(1e-6 + 1e-3 * Math.abs(numeric));
    }
  });

  it('costs what the integer engine costs, within 1% (the shipped model, after its wiki prompt)', async () => {
    // (random test models round too coarsely for this: their activations are a few units wide)
    const base = await loadModelFromDisk('llmz-base', 'wasm');
    const ids = base.tokenizer.encode(readFileSync('../shared/corpus/dev/wiki.txt').subarray(0, 400)).subarray(0, 48);
    const inputs = bosShifted(ids, base.identity.config.bos);
    const prompt = base.prompts![1]!.vectors;
    const logits = (await base.engine.prefill([inputs], [prompt]))[0]!;
    const V = base.identity.config.vocab;
    const tables = new TableBuilder();
    let exact = 0;
    for (let t = 0; t < ids.length; t++) {
      const table = tables.table(logits.subarray(t * V, (t + 1) * V));
      exact += Math.log2(table.total / table.get(ids[t]!));
    }
    const relaxed = new RelaxedModel(base.weights!).loss(Float64Array.from(prompt), inputs, ids, false).bits;
    expect(Math.abs(relaxed - exact) / exact).toBeLessThan(0.01);
  });
});

describe('hyper-priors', () => {
  const d = 32;
  const rand = rng(9);
  const delta = Float64Array.from({ length: 3 * d }, () => (rand() + rand() + rand() - 1.5) * 3000);
  const reference = Int32Array.from({ length: 3 * d }, () => Math.round((rand() - 0.5) * 1e5));

  for (const prior of PRIOR_KINDS) {
    it(`${prior}: the decoder rebuilds exactly the encoder's vectors, with and without a reference`, () => {
      for (const ref of [null, reference]) {
        const coded = encodePrompt(delta, d, ref, ref ? 1 : 0, prior, { step: 1500, levels: 8 });
        expect(decodePrompt(coded.bytes, d, [reference])).toEqual(coded.vectors);
        expect(coded.rmsError).toBeGreaterThan(0);
        expect(coded.rmsError).toBeLessThan(1500);
        expect(coded.bitsPerCoordinate).toBeLessThan(8);
      }
    });
  }

  it('a finer step costs more bits and errs less', () => {
    const fine = encodePrompt(delta, d, null, 0, 'gaussian', { step: 300 });
    const coarse = encodePrompt(delta, d, null, 0, 'gaussian', { step: 3000 });
    expect(fine.bytes.length).toBeGreaterThan(coarse.bytes.length);
    expect(fine.rmsError).toBeLessThan(coarse.rmsError);
  });

  it('damaged prompts are CorruptArchiveErrors', () => {
    const coded = encodePrompt(delta, d, reference, 1, 'empirical', { step: 1500 });
    expect(() => decodePrompt(coded.bytes.subarray(0, coded.bytes.length - 3), d, [reference])).toThrow(CorruptArchiveError);
    expect(() => decodePrompt(coded.bytes, d, [])).toThrow(CorruptArchiveError); // names a reference the model lacks
    const bad = coded.bytes.slice();
    bad[0] = 9;
    expect(() => decodePrompt(bad, d, [reference])).toThrow(CorruptArchiveError);
    expect(() => decodePrompt(new Uint8Array(0), d, [reference])).toThrow(CorruptArchiveError);
  });
});

describe('archives with a prompt of their own', () => {
  const opts = { chunkTokens: 24, storeIncompressible: false, steering: 'max' as const };

  it('a learned prompt that is kept: chunks use it, and it decodes on ts and wasm', async () => {
    const archive = await compress(TEXT, model, { ...opts, archivePrompt: { steps: 6, sampleChunks: 4, minChunks: 1, keep: 'always' } });
    const { header } = readArchive(archive);
    expect(header.archivePrompt?.length).toBeGreaterThan(0);
    expect(header.chunks.some((c) => c.prompt === ARCHIVE_PROMPT)).toBe(true);
    expect(await decompress(archive, model)).toEqual(TEXT);
    expect(await decompress(archive, wasmModel)).toEqual(TEXT);
    // the same archive whichever engine encodes
    expect(await compress(TEXT, wasmModel, { ...opts, archivePrompt: { coded: await learnedOn(model), keep: 'always' } })).toEqual(
      await compress(TEXT, model, { ...opts, archivePrompt: { coded: await learnedOn(model), keep: 'always' } }),
    );
  });

  it('a prompt that does not pay is dropped: the archive is exactly the one made without it', async () => {
    const coded = await learnedOn(model);
    // nearly the same vectors coded expensively: no reference, the finest step their range allows
    const step = Math.ceil(Math.max(...coded.vectors.map(Math.abs)) / 255);
    const costly = encodePrompt(Float64Array.from(coded.vectors), 32, null, 0, 'gaussian', { step });
    expect(costly.bytes.length).toBeGreaterThan(coded.bytes.length);
    const kept = await compress(TEXT, model, { ...opts, archivePrompt: { coded: costly, keep: 'always' } });
    expect(readArchive(kept).header.chunks.some((c) => c.prompt === ARCHIVE_PROMPT)).toBe(true); // chunks did choose it
    const withPrompt = await compress(TEXT, model, { ...opts, archivePrompt: { coded: costly } });
    const without = await compress(TEXT, model, { ...opts, archivePrompt: false });
    expect(readArchive(withPrompt).header.archivePrompt).toBeUndefined();
    expect(withPrompt).toEqual(without);
    expect(await decompress(withPrompt, model)).toEqual(TEXT);
  });

  it('only under steering max, and not for small inputs', async () => {
    const auto = await compress(TEXT, model, { ...opts, steering: 'auto', archivePrompt: { minChunks: 1 } });
    expect(readArchive(auto).header.archivePrompt).toBeUndefined();
    const small = await compress(TEXT.subarray(0, 300), model, { ...opts });
    expect(readArchive(small).header.archivePrompt).toBeUndefined();
  });

  it('the ledger keeps a prompt exactly when the payload bytes it saves exceed its own', async () => {
    const prompt = { bytes: new Uint8Array(10), vectors: new Int32Array(0), reference: 0, prior: 'empirical' as const, rmsError: 0, bitsPerCoordinate: 0 };
    const entries = () => [
      { kind: 'model' as const, count: 5, payloadLength: 20, crc32: 0, prompt: ARCHIVE_PROMPT },
      { kind: 'model' as const, count: 5, payloadLength: 30, crc32: 0, prompt: 0 },
    ];
    const bits = new Float32Array(5);
    const chunk = (saving: number) => ({ payload: new Uint8Array(20).fill(1), prompt: ARCHIVE_PROMPT, bits, fallback: { payload: new Uint8Array(20 + saving).fill(2), prompt: 1, bits } });
    const pays = new ArchivePromptLedger(prompt);
    pays.note(0, chunk(12)); // 12 saved > 10 + 1 varint byte
    expect(pays.settle(entries())).toBe(true);
    const loses = new ArchivePromptLedger(prompt);
    loses.note(0, chunk(11));
    const e = entries();
    expect(loses.settle(e)).toBe(false);
    expect(e[0]).toMatchObject({ prompt: 1, payloadLength: 31 });
    async function* spooled() {
      yield new Uint8Array(20).fill(1);
      yield new Uint8Array(30).fill(3);
    }
    const parts: Uint8Array[] = [];
    for await (const p of loses.splice(spooled(), [20, 30])) parts.push(p);
    expect(Buffer.concat(parts)).toEqual(Buffer.concat([new Uint8Array(31).fill(2), new Uint8Array(30).fill(3)]));
  });

  it('an archive whose chunks name a missing archive prompt is refused', async () => {
    const archive = await compress(TEXT, model, { ...opts, archivePrompt: { coded: await learnedOn(model), keep: 'always' } });
    const { header, headerLength } = readArchive(archive);
    expect(header.chunks.some((c) => c.prompt === ARCHIVE_PROMPT)).toBe(true);
    // damage the prompt's bytes inside the header: the header checksum catches it
    const damaged = archive.slice();
    damaged[headerLength - 4] = damaged[headerLength - 4]! ^ 0x40;
    expect(() => readArchiveHeader(damaged)).toThrow(CorruptArchiveError);
  });
});

const learned = new WeakMap<LoadedModel, ReturnType<typeof learnPrompt>>();
async function learnedOn(m: LoadedModel) {
  let p = learned.get(m);
  if (!p) {
    const ids = m.tokenizer.encode(TEXT);
    const chunks: Int32Array[] = [];
    for (let i = 0; i < ids.length; i += 24) chunks.push(ids.subarray(i, i + 24));
    learned.set(m, (p = learnPrompt(m.weights!, chunks, { steps: 6, sampleChunks: 4 })));
  }
  return (await p).coded;
}
