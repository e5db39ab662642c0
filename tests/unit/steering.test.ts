/**
 * Domain soft prompts in archives: the encoder's choice per chunk is
 * recorded and honoured by the decoder; 'max' never loses to no prompt;
 * damaged prompt records give typed errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptArchiveError } from '../../src/codec/errors.js';
import { encodeHeader, readArchive, readArchiveHeader } from '../../src/format/container.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { compress } from '../../src/pipeline/compressor.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { tinyModel } from '../helpers/models.js';

let model: LoadedModel;
beforeAll(async () => {
  model = await tinyModel({ seed: 14, prompts: 3, promptVectors: 4, maxPos: 160 });
});

// text the random model can work with: its merges are "the", "in", "er", " a"
const TEXT = new TextEncoder().encode('the winter in the garden, the other tern in a river. '.repeat(30));

describe('domain soft prompts', () => {
  it('the model carries its prompts', () => {
    expect(model.prompts?.map((p) => p.name)).toEqual(['domain-0', 'domain-1', 'domain-2']);
    expect(model.contextTokens).toBeLessThanOrEqual(160 - 1 - 4);
  });

  it('every steering mode round-trips; max is never bigger than no prompts, and uses them', async () => {
    const opts = { chunkTokens: 40, storeIncompressible: false, mixing: false }; // (steering 'max' codes without mixing: compared like with like)
    const sizes: Record<string, number> = {};
    for (const steering of ['off', 'auto', 'max'] as const) {
      const archive = await compress(TEXT, model, { ...opts, steering });
      expect(await decompress(archive, model)).toEqual(TEXT);
      sizes[steering] = archive.length;
      const used = readArchive(archive).header.chunks.filter((c) => (c.prompt ?? 0) > 0).length;
      if (steering === 'off') expect(used).toBe(0);
      if (steering === 'max') expect(used).toBeGreaterThan(0);
    }
    expect(sizes['max']).toBeLessThanOrEqual(sizes['off']!);
  });

  it('the prompt index survives the compact one-chunk form', async () => {
    const one = TEXT.subarray(0, 60);
    const archive = await compress(one, model, { steering: 'max', storeIncompressible: false });
    const { header } = readArchive(archive);
    expect(header.model.name).toBe(''); // compact
    expect(await decompress(archive, model)).toEqual(one);
  });

  it('an archive naming a prompt the model lacks, or a stored chunk with a prompt, is refused', async () => {
    const archive = await compress(TEXT, model, { chunkTokens: 40, storeIncompressible: false, steering: 'max' });
    const parsed = readArchive(archive);
    const payloads = parsed.header.chunks.map((_, i) => parsed.payload(i));
    const withPrompt = (prompt: number, kind: 'model' | 'stored' = 'model') => {
      const chunks = parsed.header.chunks.map((c, i) => (i === 0 ? { ...c, prompt, kind, ...(kind === 'stored' ? { count: c.payloadLength } : {}) } : c));
      const head = encodeHeader({ ...parsed.header, chunks });
      const out = new Uint8Array(head.length + payloads.reduce((n, p) => n + p.length, 0));
      out.set(head);
      let o = head.length;
      for (const p of payloads) (out.set(p, o), (o += p.length));
      return out;
    };
    await expect(decompress(withPrompt(5), model)).rejects.toBeInstanceOf(CorruptArchiveError); // the model has 3
    expect(() => readArchiveHeader(withPrompt(1, 'stored'))).toThrow(CorruptArchiveError);
  });
});
