import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';
import { readArchive } from '../../src/format/container.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { crossEntropy } from '../../src/pipeline/bpc.js';
import { compress } from '../../src/pipeline/compressor.js';

let model: LoadedModel;
beforeAll(async () => {
  model = await loadModelFromDisk();
});

describe('sliding-window cross-entropy (llmz bpc)', () => {
  // (the LM alone: what llmz bpc measures; mixing may code smaller than the LM's cross-entropy)
  it('agrees with a single-chunk archive within 0.5% plus header', async () => {
    const text = readFileSync(join(process.cwd(), '../shared/corpus/dev/messages/prose_1_2048.txt'));
    const ids = model.tokenizer.encode(text);
    const n = ids.length;
    const ce = await crossEntropy(model, ids, n, n);
    expect(ce.windows).toBe(1);
    const archive = await compress(text, model, { chunkTokens: n, mixing: false });
    const { header, headerLength } = readArchive(archive);
    expect(header.chunks).toHaveLength(1);
    const payloadBits = (archive.length - headerLength) * 8;
    expect(payloadBits).toBeGreaterThanOrEqual(ce.bits - 8);
    expect(payloadBits).toBeLessThanOrEqual(ce.bits * 1.005 + 8);
  });

  it('scores every position exactly once, and a longer window never costs more on average', async () => {
    const text = readFileSync(join(process.cwd(), '../shared/corpus/dev/messages/wiki_4_2048.txt'));
    const ids = model.tokenizer.encode(text);
    const a = await crossEntropy(model, ids, 64, 64); // disjoint windows = chunking at 64
    const b = await crossEntropy(model, ids, 128, 32); // more context per position
    expect(a.tokens).toBe(ids.length);
    expect(b.bits).toBeLessThan(a.bits);
    // disjoint windows equal the compressor's chunks at that size
    const archive = await compress(text, model, { chunkTokens: 64, storeIncompressible: false, mixing: false });
    const { headerLength } = readArchive(archive);
    expect(Math.abs((archive.length - headerLength) * 8 - a.bits)).toBeLessThan(a.bits * 0.005 + 8 * Math.ceil(ids.length / 64));
  });
});
