/**
 * The bits view's numbers (issue #19): per-token costs as the coder paid
 * them, over the original bytes, the same from the encoder and the decoder,
 * adding up to the archive's payload, and bounded in memory.
 */
import { BYTES_MIXING_V2 } from '../../src/format/codingBlock.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineFeedFolder, LineFeedUnfolder } from '../../src/mixing/lineEndings.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { BitsRecorder, OriginalLengths, PREDICTED_BY, type BitsMap } from '../../src/pipeline/bitsMap.js';
import { MemorySink, bufferSource } from '../../src/pipeline/byteStreams.js';
import { compressStream } from '../../src/pipeline/compressor.js';
import { decompressStream } from '../../src/pipeline/decompressor.js';
import { readArchive } from '../../src/format/container.js';
import type { CodingOptions } from '../../src/pipeline/options.js';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';
import { createNodePool, type NodePool } from '../../src/platform/node/nodePool.js';

const DEV = join(process.cwd(), '../shared/corpus/dev');
const CODE = new Uint8Array(readFileSync(join(DEV, 'code.txt'))).subarray(0, 2400);
const MESSAGE = new Uint8Array(readFileSync(join(DEV, 'messages/wiki_4_2048.txt'))).subarray(0, 400);

let model: LoadedModel;
let pool: NodePool;
beforeAll(async () => {
  model = await loadModelFromDisk(undefined, 'wasm');
  pool = await createNodePool({ threads: 2, batch: 2 });
});
afterAll(() => pool.close());

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0);

async function compressWithBits(input: Uint8Array, opts: CodingOptions = {}) {
  const sink = new MemorySink();
  const r = await compressStream(bufferSource(input), model, sink, { ...opts, recordBits: true });
  return { archive: sink.bytes(), bits: r.bits! };
}

async function decodeWithBits(archive: Uint8Array, opts: CodingOptions = {}) {
  const sink = new MemorySink();
  const r = await decompressStream(bufferSource(archive), model, sink, { ...opts, recordBits: true });
  return { data: sink.bytes(), bits: r.bits! };
}

/** The map adds up: its spans cover the original, and their bits are the payload's less the coder's few bits of overhead per chunk. */
function expectConsistent(bits: BitsMap, archive: Uint8Array, original: Uint8Array) {
  const { header, headerLength } = readArchive(archive);
  expect(bits.headerBytes).toBe(headerLength);
  expect(bits.payloadBytes).toBe(archive.length - headerLength);
  expect(sum(bits.lengths)).toBe(original.length);
  const slack = 8 * bits.payloadBytes - sum(bits.bits);
  // Each range-coded chunk's flush adds at most 4 bytes. It may also take some off: the decoder reads zeros past
  // a payload's end, so a chunk ending in a run of the mixer's likely "yes" decisions (the lowest interval) gets
  // that run nearly free. Either way the difference stays within the header's size (the bound).
  expect(slack).toBeLessThanOrEqual(32 * header.chunks.length + 1);
  expect(Math.abs(slack)).toBeLessThanOrEqual(8 * headerLength);
}

describe('BitsRecorder', () => {
  it('merges neighbours in pairs when full, keeping every byte and bit, and says how many tokens a span holds', () => {
    const r = new BitsRecorder(8);
    let bytes = 0;
    let bits = 0;
    for (let i = 0; i < 37; i++) {
      r.add(1 + (i % 3), i / 4, i < 20 ? PREDICTED_BY.lm : PREDICTED_BY.match);
      bytes += 1 + (i % 3);
      bits += i / 4;
    }
    const map = r.finish(5, 7);
    expect(map.lengths.length).toBeLessThanOrEqual(8);
    expect(map.tokensPerSpan).toBe(8); // 37 tokens: 8 spans of 1, then of 2, of 4, of 8
    expect(sum(map.lengths)).toBe(bytes);
    expect(sum(map.bits)).toBeCloseTo(bits, 4);
    expect(map.predictedBy[0]).toBe(PREDICTED_BY.lm);
    expect(Array.from(map.predictedBy)).toContain(PREDICTED_BY.several);
    expect(map.predictedBy[map.predictedBy.length - 1]).toBe(PREDICTED_BY.match);
  });

  it('keeps one span per token below its capacity', () => {
    const r = new BitsRecorder(4096);
    for (let i = 0; i < 3000; i++) r.add(2, 1, PREDICTED_BY.context);
    const map = r.finish(0, 0);
    expect(map.lengths.length).toBe(3000);
    expect(map.tokensPerSpan).toBe(1);
  });
});

describe('OriginalLengths', () => {
  it('gives each piece of the LF-coded text its length in the original, CR LF, lone LF and lone CR mixed, in any pieces', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let trial = 0; trial < 50; trial++) {
      const original = Uint8Array.from({ length: 200 + rand(200) }, () => [13, 10, 97, 98][rand(4)]!);
      const folder = new LineFeedFolder();
      const a = folder.push(original);
      const b = folder.end();
      const coded = new Uint8Array([...a, ...b]);
      const lengths = new OriginalLengths(folder.exceptions);
      const unfolder = new LineFeedUnfolder(folder.exceptions);
      let total = 0;
      for (let at = 0; at < coded.length; ) {
        const piece = coded.subarray(at, at + 1 + rand(5));
        at += piece.length;
        const n = lengths.of(piece);
        expect(n).toBe(unfolder.push(piece).length);
        total += n;
      }
      expect(total).toBe(original.length);
    }
    expect(new OriginalLengths(null).of(Uint8Array.of(10, 10))).toBe(2);
  });
});

describe('bits from the pipeline', () => {
  it('a message: one span per token, adding up to the payload, and the decoder finds the same costs', async () => {
    const { archive, bits } = await compressWithBits(MESSAGE);
    expect(bits.lengths.length).toBe(model.tokenizer.encode(MESSAGE).length);
    expect(bits.tokensPerSpan).toBe(1);
    expectConsistent(bits, archive, MESSAGE);
    const decoded = await decodeWithBits(archive);
    expect(decoded.data).toEqual(MESSAGE);
    expect(decoded.bits).toEqual(bits);
  });

  it('mixed chunks in rounds, CRLF and a stored binary run: the same map from encoder and decoder, on one thread and a pool', async () => {
    const crlf = new TextEncoder().encode(new TextDecoder().decode(CODE).replace(/\n/g, '\r\n'));
    // (invalid UTF-8, a byte token each: whole chunks of it are stored; little enough that the segment still counts as text)
    const binary = Uint8Array.from({ length: 600 }, (_, i) => 0x80 | ((i * 97 + 13) & 0x7f));
    const input = new Uint8Array([...crlf, ...crlf.subarray(0, 800), ...binary, ...crlf.subarray(0, 400)]);
    // (the token mixer's map; the byte model would win on this input: its map is the next test's)
    const opts = { chunkTokens: 64, roundWidth: 2, byteModel: false };
    const { archive, bits } = await compressWithBits(input, opts);
    const { header } = readArchive(archive);
    expect(header.transform?.kind).toBe('lf');
    expect(header.chunks.some((c) => c.mixed)).toBe(true);
    expect(header.chunks.some((c) => c.kind === 'stored')).toBe(true);
    expectConsistent(bits, archive, input);
    const by = Array.from(bits.predictedBy);
    expect(by).toContain(PREDICTED_BY.match); // the repeated part
    expect(by).toContain(PREDICTED_BY.stored);
    expect(by).toContain(PREDICTED_BY.lm);
    // a stored span costs 8 bits a byte of the coded text (a CR LF in it is one byte there, two in the original)
    const s = by.indexOf(PREDICTED_BY.stored);
    expect(bits.bits[s]! % 8).toBe(0);
    expect(bits.bits[s]).toBeLessThanOrEqual(8 * bits.lengths[s]!);
    expect(bits.bits[s]).toBeGreaterThanOrEqual(4 * bits.lengths[s]!);
    expect((await compressWithBits(input, { ...opts, runner: pool.runner })).bits).toEqual(bits);
    const decoded = await decodeWithBits(archive, { batch: 3 });
    expect(decoded.data).toEqual(input);
    expect(decoded.bits).toEqual(bits);
    expect((await decodeWithBits(archive, { runner: pool.runner })).bits).toEqual(bits);
  });

  it("the byte model's archives (mixing id 3): one span per byte, the same map from encoder and decoder, adding up", async () => {
    // (the previous test's input, where the byte model wins)
    const crlf = new TextEncoder().encode(new TextDecoder().decode(CODE).replace(/\n/g, '\r\n'));
    const binary = Uint8Array.from({ length: 600 }, (_, i) => 0x80 | ((i * 97 + 13) & 0x7f));
    const input = new Uint8Array([...crlf, ...crlf.subarray(0, 800), ...binary, ...crlf.subarray(0, 400)]);
    const { archive, bits } = await compressWithBits(input, { chunkTokens: 64 });
    expect(readArchive(archive).header.mixing?.id).toBe(BYTES_MIXING_V2);
    expectConsistent(bits, archive, input);
    expect(new Set(bits.predictedBy)).toEqual(new Set([PREDICTED_BY.bytes]));
    expect(bits.lengths.length).toBe(readArchive(archive).header.transform!.codedLength); // one span per coded byte (a CR LF is one)
    const decoded = await decodeWithBits(archive);
    expect(decoded.data).toEqual(input);
    expect(decoded.bits).toEqual(bits);
  });

  it('LM-only archives (mixing off) add up too; steering max is refused with a typed error', async () => {
    const { archive, bits } = await compressWithBits(CODE, { mixing: false, chunkTokens: 100 });
    expectConsistent(bits, archive, CODE);
    expect(Array.from(bits.predictedBy).every((p) => p === PREDICTED_BY.lm)).toBe(true);
    expect((await decodeWithBits(archive)).bits).toEqual(bits);
    await expect(compressWithBits(MESSAGE, { steering: 'max' })).rejects.toMatchObject({ name: 'UsageError' });
  });
});

describe('llmz bpc --tokens', () => {
  it('prints one row per token whose bits add up to the archive llmz compress makes, within its header', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'llmz-tsv-')), 'code.txt');
    // CRLF text with a tab, a quote and a non-ASCII character: escapes and the transform both show
    const text = new TextEncoder().encode('«quoted»\t"x"\r\n' + new TextDecoder().decode(CODE.subarray(0, 1500)).replace(/\n/g, '\r\n'));
    writeFileSync(file, text);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bpc', file, '--tokens', '--threads', '1', '--chunk', '128'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('offset\tbytes\tbits\tpredicted_by\ttext');
    const rows = lines.slice(1).map((l) => l.split('\t'));
    expect(rows.every((f) => f.length === 5)).toBe(true);
    let at = 0;
    for (const [offset, bytes] of rows) {
      expect(Number(offset)).toBe(at);
      at += Number(bytes);
    }
    expect(at).toBe(text.length);
    expect(rows[0]![4]).not.toContain('\t');
    expect(lines.some((l) => l.endsWith('\\n'))).toBe(true);
    const total = rows.reduce((s, f) => s + Number(f[2]), 0);
    const { archive } = await compressWithBits(text, { chunkTokens: 128 });
    const { headerLength } = readArchive(archive);
    expect(Math.abs(total - 8 * (archive.length - headerLength))).toBeLessThanOrEqual(8 * headerLength);
    expect(r.stderr).toContain(`archive ${archive.length} bytes`);
  });
});
