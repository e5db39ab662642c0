/**
 * The byte model (mixing ids 2 and 3, docs/mixing.md): chunk coders that round-trip
 * every kind of byte string with the model's state carried from chunk to
 * chunk, that learn repeats (the match model, also past its ring's end), and
 * the compressor's choice between it and the LM: the smaller archive, which
 * then decodes without any model.
 */
import { describe, expect, it } from 'vitest';
import { BYTES_MIXING_V2, TOKEN_MIXING } from '../../src/format/codingBlock.js';
import { readArchive } from '../../src/format/container.js';
import { ByteChunkDecoder, ByteChunkEncoder } from '../../src/mixing/byteCoder.js';
import { ByteModel, BYTE_MODEL_V1, BYTE_MODEL_V2, byteModelMemory, byteModelParams, tableBitsFor, type ByteModelParams } from '../../src/mixing/byteModel.js';
import { PREDICTED_BY } from '../../src/pipeline/bitsMap.js';
import { BYTE_CHUNK_BYTES, ByteRoute, SURE_WEIGHING, weighCodings } from '../../src/pipeline/byteRoute.js';
import { bufferSource, MemorySink } from '../../src/pipeline/byteStreams.js';
import { compress, compressStream } from '../../src/pipeline/compressor.js';
import { localRunner, type ChunkRunner } from '../../src/pipeline/runner.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';
import { rng } from '../helpers/fixtures.js';
import { tinyModel } from '../helpers/models.js';

const text = (s: string) => new TextEncoder().encode(s);
/** Small tables keep these tests quick; the coding logic is the same at any size. */
const SMALL_V1: ByteModelParams = { ...BYTE_MODEL_V1, tableBits: 16, matchBits: 12 };
const SMALL_V2: ByteModelParams = { ...BYTE_MODEL_V2, tableBits: 16, matchBits: 12 };

function roundTrip(chunks: Uint8Array[], params: ByteModelParams): Uint8Array[] {
  const enc = new ByteChunkEncoder(new ByteModel(params));
  const payloads = chunks.map((c) => enc.encode(c));
  const dec = new ByteChunkDecoder(new ByteModel(params));
  const back = payloads.map((p, i) => dec.decode(p, chunks[i]!.length));
  back.forEach((b, i) => expect(b).toEqual(chunks[i]));
  return payloads;
}

describe.each([
  ['version 1 (mixing id 2)', SMALL_V1],
  ['version 2 (mixing id 3)', SMALL_V2],
])('byte model chunk coders, %s', (_, SMALL) => {
  it('round-trip edge cases: one byte, every byte value, zeros, random bytes, an empty chunk between', () => {
    const r = rng(3);
    roundTrip([Uint8Array.of(0)], SMALL);
    roundTrip([Uint8Array.of(255)], SMALL);
    roundTrip([Uint8Array.from({ length: 256 }, (_, i) => i), Uint8Array.from({ length: 256 }, (_, i) => 255 - i)], SMALL);
    roundTrip([new Uint8Array(3000), Uint8Array.from({ length: 5000 }, () => Math.floor(r() * 256))], SMALL);
    roundTrip([text('a'), new Uint8Array(0), text('ab\r\n\tü€😀')], SMALL);
  });

  it('carry what they learned from chunk to chunk: a repeated chunk costs a fraction of its first coding', () => {
    const r = rng(4);
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
    const chunk = text(Array.from({ length: 600 }, () => words[Math.floor(r() * words.length)]).join(' '));
    const [first, second] = roundTrip([chunk, chunk], SMALL);
    expect(second!.length).toBeLessThan(first!.length / 4);
  });

  it('follow a match past the end of the ring of history, where old positions are gone', () => {
    const r = rng(5);
    const ring: ByteModelParams = { ...SMALL, historyBits: 10 };
    const block = Uint8Array.from({ length: 700 }, () => 97 + Math.floor(r() * 26));
    // the block repeats within the ring (found), then after 3 KB of other bytes (gone from a 1 KB ring)
    const filler = Uint8Array.from({ length: 3000 }, () => 65 + Math.floor(r() * 26));
    const [a, b, , d] = roundTrip([block, block, filler, block], ring);
    expect(b!.length).toBeLessThan(a!.length / 5);
    expect(d!.length).toBeGreaterThan(b!.length * 3);
    // with the whole history kept, the last repeat is found again (version 2's order-6 contexts remember much of it without: 2x, not 3x)
    const [, , , dAll] = roundTrip([block, block, filler, block], SMALL);
    expect(dAll!.length).toBeLessThan(d!.length / 2);
  });

  it("a damaged payload is refused or decodes to other bytes, never more than asked (the archive's CRC-32 then tells)", () => {
    const chunk = text('the quick brown fox jumps over the lazy dog. '.repeat(20));
    const payload = new ByteChunkEncoder(new ByteModel(SMALL)).encode(chunk);
    const longer = Uint8Array.from([...payload, ...new Uint8Array(40).fill(7)]);
    expect(() => new ByteChunkDecoder(new ByteModel(SMALL)).decode(longer, chunk.length)).toThrow(/damaged/);
    for (const at of [0, 5, payload.length - 1]) {
      const flipped = payload.slice();
      flipped[at]! ^= 16;
      try {
        const out = new ByteChunkDecoder(new ByteModel(SMALL)).decode(flipped, chunk.length);
        expect(out.length).toBe(chunk.length);
        expect(out).not.toEqual(chunk);
      } catch (e) {
        expect((e as Error).name).toBe('CorruptArchiveError');
      }
    }
  });
});

describe('byte model version 2', () => {
  // a text of many distinct lines: in tables of 2^12 entries its contexts collide all the time
  const r = rng(8);
  const lines = text(Array.from({ length: 1500 }, (_, i) => `${i}\t${['red', 'green', 'blue'][i % 3]}\t${Math.floor(r() * 1e6)}`).join('\n'));

  it('keeps colliding contexts apart: checked blocks code a crowded table smaller than unchecked ones', () => {
    const tiny: ByteModelParams = { ...BYTE_MODEL_V2, tableBits: 12, matchBits: 12 };
    const [checked] = roundTrip([lines], tiny);
    const [unchecked] = roundTrip([lines], { ...tiny, checkedBlocks: false });
    expect(checked!.length).toBeLessThan(unchecked!.length * 0.97);
  });

  it('learns more than version 1 from the same text (bit histories, more contexts)', () => {
    const [v2] = roundTrip([lines], SMALL_V2);
    const [v1] = roundTrip([lines], SMALL_V1);
    const [noHistories] = roundTrip([lines], { ...SMALL_V2, bitHistories: false });
    expect(v2!.length).toBeLessThan(v1!.length * 0.95);
    expect(v2!.length).toBeLessThan(noHistories!.length);
  });

  it('allocates what byteModelMemory says it does, within 64 MB at its largest', () => {
    expect(byteModelMemory(BYTE_MODEL_V2)).toBeLessThan(64 * 2 ** 20);
    // 10 contexts of 4 bytes a slot, and the rest
    expect(byteModelMemory(BYTE_MODEL_V2)).toBeGreaterThan(10 * 4 * 2 ** 20);
  });
});

describe('the compressor chooses between the LM and the byte model', () => {
  it('drops a coding more than 5/4 as costly per byte as the other, from 256 KB of text on more than 9/8', () => {
    expect(weighCodings(100, 1000, 100, 1000)).toBe('both');
    expect(weighCodings(79, 1000, 100, 1000)).toBe('bytes');
    expect(weighCodings(80, 1000, 100, 1000)).toBe('both'); // exactly 4/5: kept
    expect(weighCodings(126, 1000, 100, 1000)).toBe('lm');
    expect(weighCodings(125, 1000, 100, 1000)).toBe('both'); // exactly 5/4: kept
    // from the fourth comparison (256 KB) on, 9/8 is enough
    expect(weighCodings(120, 1000, 100, 1000, SURE_WEIGHING - 1)).toBe('both');
    expect(weighCodings(120, 1000, 100, 1000, SURE_WEIGHING)).toBe('lm');
    expect(weighCodings(1125, 10_000, 1000, 10_000, SURE_WEIGHING)).toBe('both'); // exactly 9/8: kept
    expect(weighCodings(1126, 10_000, 1000, 10_000, SURE_WEIGHING)).toBe('lm');
    expect(weighCodings(8000, 10_000, 9000, 10_000, SURE_WEIGHING)).toBe('both'); // exactly 8/9: kept
    expect(weighCodings(7999, 10_000, 9000, 10_000, SURE_WEIGHING)).toBe('bytes');
    // per byte: the LM's entries end elsewhere than the byte model's chunks
    expect(weighCodings(131_072, 2 ** 17, 39_000, 65_000)).toBe('lm');
    expect(weighCodings(2 ** 40, 2 ** 41, 3, 7)).toBe('both');
    expect(weighCodings(5, 1000, 0, 0)).toBe('both'); // nothing of the LM's yet
  });

  // a table: the byte model learns its columns; the tiny random model cannot
  const table = text('id,name,score\n' + Array.from({ length: 400 }, (_, i) => `${i},item ${i % 7},${(i * 37) % 101}`).join('\n') + '\n');

  it('keeps the smaller archive; the byte model\'s decodes without any model, the LM\'s needs it', async () => {
    const model = await tinyModel({ seed: 5 });
    const chosen = await compress(table, model, { chunkTokens: 64 });
    const lmOnly = await compress(table, model, { chunkTokens: 64, byteModel: false });
    const { header } = readArchive(chosen);
    expect(header.version).toBe(2);
    expect(header.mixing).toEqual({ id: BYTES_MIXING_V2, roundWidth: 0, tableBits: tableBitsFor(table.length) });
    expect(tableBitsFor(table.length)).toBeLessThan(BYTE_MODEL_V2.tableBits);
    // texts of a chunk or more get the largest tables whether or not their end has come (the archive depends on the input alone)
    expect(tableBitsFor(BYTE_CHUNK_BYTES)).toBe(BYTE_MODEL_V2.tableBits);
    // memory: the largest model's tables within 64 MB, a 2 KB message's within 12 MB (the fixed APMs are most of it)
    // (version 1, decoded only, has 4 bytes a slot since both versions share one layout: 64.5 MB)
    expect(byteModelMemory(BYTE_MODEL_V1)).toBeLessThan(66 * 2 ** 20);
    expect(byteModelMemory(BYTE_MODEL_V2)).toBeLessThan(64 * 2 ** 20);
    expect(byteModelMemory(byteModelParams(tableBitsFor(2048)))).toBeLessThan(12 * 2 ** 20);
    expect(header.chunks.every((c) => c.kind === 'bytes')).toBe(true);
    expect(chosen.length).toBeLessThan(lmOnly.length / 2);
    expect(await decompress(chosen, null)).toEqual(table);
    expect(readArchive(lmOnly).header.mixing?.id).toBe(TOKEN_MIXING);
    await expect(decompress(lmOnly, null)).rejects.toThrow(/needs model/);
    // without mixing there is no byte model either: version 1, as before
    expect(readArchive(await compress(table, model, { chunkTokens: 64, mixing: false })).header.version).toBe(1);
  });

  it("gives up the LM's coding once the byte model is far ahead, decided by the data alone: any group size makes the same archive", async () => {
    const model = await tinyModel({ seed: 8, dim: 16, layers: 1, heads: 2, ffn: 16, maxPos: 64 });
    const big = text('id,name,score\n' + Array.from({ length: 12_000 }, (_, i) => `${i},item ${i % 7},${(i * 37) % 101}`).join('\n') + '\n');
    const counting = (capacity?: number) => {
      const inner = localRunner(model, 3);
      const runner: ChunkRunner = { capacity, decode: inner.decode, encode: (s, request, on) => ((tokens += request.chunks.reduce((n, c) => n + c.length, 0)), inner.encode(s, request, on)) };
      let tokens = 0;
      return { runner, tokens: () => tokens };
    };
    const small = counting();
    const wide = counting(64);
    const a = await compress(big, model, { chunkTokens: 48, runner: small.runner });
    expect(await compress(big, model, { chunkTokens: 48, runner: wide.runner })).toEqual(a);
    expect(readArchive(a).header.mixing?.id).toBe(BYTES_MIXING_V2);
    // the LM stopped after the first comparison (128 KB of text), not at the end
    const allTokens = model.tokenizer.encode(big).length;
    expect(big.length).toBeGreaterThan(2.6 * BYTE_CHUNK_BYTES);
    expect(small.tokens()).toBeLessThan(allTokens * 0.8);
    expect(await decompress(a, null)).toEqual(big);
  }, 300_000);

  it('codes the same chunks however far each pump goes (the compressor pumps no further than the LM has got)', () => {
    const r = rng(31);
    const input = text(Array.from({ length: 24_000 }, (_, i) => `line ${i}: ${Math.floor(r() * 1000)} ${['alpha', 'beta', 'gamma'][i % 3]}\n`).join(''));
    expect(input.length).toBeGreaterThan(4 * BYTE_CHUNK_BYTES);
    const whole = new ByteRoute();
    whole.push(input);
    whole.pump(true);
    const stepped = new ByteRoute();
    for (let at = 0; at < input.length; at += 50_000) stepped.push(input.subarray(at, at + 50_000));
    stepped.pump(false, 2);
    expect(stepped.chunksCoded).toBe(2);
    stepped.pump(false, 2);
    expect(stepped.chunksCoded).toBe(2);
    stepped.pump(false, 3);
    expect(stepped.chunksCoded).toBe(3);
    stepped.pump(true);
    expect(stepped.chunksCoded).toBe(whole.chunksCoded);
    expect(stepped.entries).toEqual(whole.entries);
    expect(stepped.payloads).toEqual(whole.payloads);
  });

  it('codes with the byte model only after the LM request has gone out to the workers (a few promise hops after the call)', async () => {
    const model = await tinyModel({ seed: 9, dim: 16, layers: 1, heads: 2, ffn: 16, maxPos: 64 });
    const input = text('alpha beta gamma delta epsilon; '.repeat(3000));
    const inner = localRunner(model, 3);
    const events: string[] = [];
    // a runner that posts its request as the worker pool does: after awaiting the worker's readiness
    const runner: ChunkRunner = {
      decode: inner.decode,
      encode: async (s, request, on) => {
        await Promise.resolve();
        await Promise.resolve();
        events.push('posted');
        return inner.encode(s, request, on);
      },
    };
    const pump = ByteRoute.prototype.pump;
    ByteRoute.prototype.pump = function (this: ByteRoute, final?: boolean) {
      events.push('pump');
      return pump.call(this, final);
    };
    try {
      const archive = await compress(input, model, { chunkTokens: 48, runner });
      expect(await decompress(archive, model)).toEqual(input);
    } finally {
      ByteRoute.prototype.pump = pump;
    }
    const firstPost = events.indexOf('posted');
    expect(firstPost).toBeGreaterThanOrEqual(0);
    // the byte model waits for the first request to be posted (each later one goes the same way)
    expect(events.slice(0, firstPost)).not.toContain('pump');
    expect(events.filter((e) => e === 'pump').length).toBeGreaterThan(0);
  });

  it('leaves stored data out of the comparison: a binary chunk at a comparison point does not make the LM look better', async () => {
    // (a log, then 64 KB of random bytes exactly on the byte model's second chunk: comparing whole costs there once dropped the
    // byte model, whose archive is a quarter smaller; tests/golden/format2-bytes/multichunk.llmz is what it makes)
    const input = new Uint8Array(readFileSync(join(process.cwd(), 'tests/golden/inputs/bytes-multichunk.bin')));
    const model = await loadModelFromDisk(undefined, 'wasm');
    const a = await compress(input, model);
    expect(readArchive(a).header.mixing?.id).toBe(BYTES_MIXING_V2);
    expect(a.length).toBeLessThan(0.8 * (await compress(input, model, { byteModel: false })).length);
  }, 300_000);

  it('codes CRLF text as LF, in several chunks, binary-looking ones stored and unseen by the model, and the bits view covers every byte', async () => {
    const model = await tinyModel({ seed: 5 });
    const r = rng(6);
    const crlf = new TextDecoder().decode(table).replace(/\n/g, '\r\n');
    const part = text(crlf.repeat(Math.ceil(BYTE_CHUNK_BYTES / crlf.length)));
    const binary = Uint8Array.from({ length: BYTE_CHUNK_BYTES }, () => Math.floor(r() * 256));
    const input = new Uint8Array([...part, ...binary, ...part.subarray(0, 10_000), 13]);
    const a = await compress(input, model, { chunkTokens: 96 });
    const { header } = readArchive(a);
    expect(header.mixing?.id).toBe(BYTES_MIXING_V2);
    expect(header.transform?.kind).toBe('lf');
    expect(header.chunks.map((c) => c.kind)).toEqual(expect.arrayContaining(['bytes', 'stored']));
    expect(a.length).toBeLessThan(binary.length + part.length / 10);
    expect(await decompress(a, null)).toEqual(input);
    // the bits view: the same archive, every original byte in a span
    const sink = new MemorySink();
    const { bits } = await compressStream(bufferSource(input), model, sink, { chunkTokens: 96, recordBits: true });
    expect(sink.bytes()).toEqual(a);
    expect(bits!.lengths.reduce((n, l) => n + l, 0)).toBe(input.length);
    expect(bits!.predictedBy).toContain(PREDICTED_BY.bytes);
    expect(bits!.predictedBy).toContain(PREDICTED_BY.stored);
  });
});
