/**
 * Big inputs go through the pipeline in slices: segmentation, compression and
 * decompression must not depend on how the bytes were sliced, and a stream
 * that ends early or runs on gets a typed error.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptArchiveError, TruncatedArchiveError } from '../../src/codec/errors.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { ByteTokenizer, MAX_SEGMENT_BYTES, SEGMENT_BYTES, SegmentSplitter } from '../../src/model/tokenizer.js';
import { bufferSource, MemorySink, type ByteSource } from '../../src/pipeline/byteStreams.js';
import { compress, compressStream } from '../../src/pipeline/compressor.js';
import { decompress, decompressStream } from '../../src/pipeline/decompressor.js';
import { groupSize } from '../../src/pipeline/meter.js';
import { localRunner, type ChunkRunner } from '../../src/pipeline/runner.js';
import { readArchive } from '../../src/format/container.js';
import { rng } from '../helpers/fixtures.js';
import { PYTHON } from '../helpers/intsim.js';
import { tinyModel } from '../helpers/models.js';

/** Slices of irregular sizes, cycling through `sizes`. */
async function* sliced(bytes: Uint8Array, sizes: number[]): ByteSource {
  let k = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = sizes[k++ % sizes.length]!;
    yield bytes.slice(i, i + n);
    i += n;
  }
}

/** Text of `n` bytes: lines of words (some multi-byte), a blank line only every `blankEvery` lines (0: never). */
function textOf(n: number, seed: number, blankEvery: number): Uint8Array {
  const r = rng(seed);
  const words = ['the', 'model', 'predicts', 'naïve', 'größer', '日本語', 'x', '—', 'code();', '\t'];
  const parts: string[] = [];
  let size = 0;
  let line = 0;
  while (size < n) {
    const w = Array.from({ length: 1 + Math.floor(r() * 12) }, () => words[Math.floor(r() * words.length)]).join(' ');
    const end = blankEvery && ++line % blankEvery === 0 ? '\n\n' : '\n';
    parts.push(w + end);
    size += new TextEncoder().encode(w + end).length;
  }
  return new TextEncoder().encode(parts.join('')).slice(0, n);
}

function splitAll(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const s = new SegmentSplitter();
  const out: Uint8Array[] = [];
  let k = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = sizes[k++ % sizes.length]!;
    out.push(...s.push(bytes.subarray(i, i + n)));
    i += n;
  }
  out.push(...s.end());
  return out;
}

describe('segmentation of a stream', () => {
  const cases: [string, Uint8Array][] = [
    ['text with blank lines', textOf(400_000, 1, 7)],
    ['2.5 MB without a blank line (the 1 MB cap)', textOf(2_500_000, 2, 0)],
    ['binary bytes', Uint8Array.from({ length: 2_200_000 }, (_, i) => (i * 2654435761) >>> 24)],
    ['blank lines right at the cap', (() => {
      const b = textOf(MAX_SEGMENT_BYTES + 10, 3, 0);
      b[MAX_SEGMENT_BYTES - 2] = 10;
      b[MAX_SEGMENT_BYTES - 1] = 10;
      return b;
    })()],
  ];

  it.each(cases)('%s: any slicing gives the segments of the whole', (_name, bytes) => {
    const whole = ByteTokenizer.segments(bytes).map(([s, e]) => bytes.subarray(s, e));
    for (const sizes of [[1 << 20], [65_536, 3, 100_000], [7_777, 131_072]]) {
      const parts = splitAll(bytes, sizes);
      expect(parts.map((p) => p.length)).toEqual(whole.map((p) => p.length));
    }
    for (const p of whole.slice(0, -1)) expect(p.length).toBeLessThanOrEqual(MAX_SEGMENT_BYTES + 3);
  });

  it('one-byte slices too', () => {
    const bytes = textOf(150_000, 4, 9);
    expect(splitAll(bytes, [1]).map((p) => p.length)).toEqual(ByteTokenizer.segments(bytes).map(([s, e]) => e - s));
  });

  it('a segment ends at a blank line past 64 KB, or at the cap on a UTF-8 boundary', () => {
    const long = textOf(2_500_000, 2, 0);
    const segs = ByteTokenizer.segments(long);
    expect(segs.length).toBe(3);
    for (const [s, e] of segs.slice(0, -1)) {
      expect(e - s).toBeGreaterThanOrEqual(MAX_SEGMENT_BYTES);
      expect(long[e]! & 0xc0).not.toBe(0x80); // the next segment starts a character
    }
    const blank = textOf(400_000, 1, 7);
    for (const [s, e] of ByteTokenizer.segments(blank).slice(0, -1)) {
      expect(e - s).toBeGreaterThan(SEGMENT_BYTES);
      expect([blank[e - 2], blank[e - 1]]).toEqual([10, 10]);
    }
  });

  it('the training side cuts the same segments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmz-seg-'));
    for (const [name, bytes] of cases) {
      const file = join(dir, 'in.bin');
      writeFileSync(file, bytes);
      const py = execFileSync(PYTHON, ['-c', 'import sys; sys.path.insert(0, "training"); import bpe_tokenizer as t; print(" ".join(f"{a}-{b}" for a, b in t.segments(open(sys.argv[1], "rb").read())))', file])
        .toString()
        .trim();
      expect(py, name).toBe(ByteTokenizer.segments(bytes).map(([a, b]) => `${a}-${b}`).join(' '));
    }
  });
});

describe('streaming compression and decompression', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await tinyModel({ seed: 8 });
  });

  it('the archive does not depend on how the input was sliced', async () => {
    const input = textOf(24_000, 5, 5);
    input.set(Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) & 0xff), 12_000); // a binary stretch: stored chunks
    const cases: [Uint8Array, number[]][] = [
      [input.subarray(0, 8_000), [1]],
      [input, [4096, 17]],
      [input, [65_536]],
    ];
    // the LM's coding, and the byte model's (which the random model's loses to)
    for (const byteModel of [false, true]) {
      const opts = { chunkTokens: 64, batch: 4, byteModel };
      for (const [bytes, sizes] of cases) {
        const sink = new MemorySink();
        const r = await compressStream(sliced(bytes, sizes), model, sink, opts);
        const ref = await compress(bytes, model, opts);
        expect(sink.bytes()).toEqual(ref);
        expect(r.bytesOut).toBe(ref.length);
      }
    }
  });

  it("sends the last slice's chunks with the input's end in one request, not whole groups and then the rest", async () => {
    const input = textOf(30_000, 6, 7);
    const inner = localRunner(model, 4);
    const requests: number[] = [];
    const runner: ChunkRunner = { capacity: 8, decode: inner.decode, encode: (s, request, on) => (requests.push(request.chunks.length), inner.encode(s, request, on)) };
    const opts = { chunkTokens: 64, batch: 4, byteModel: false };
    const archive = await compress(input, model, { ...opts, runner });
    const chunks = readArchive(archive).header.chunks.filter((c) => c.kind === 'model').length;
    expect(chunks % groupSize(8, 4)).not.toBe(0); // (else whole groups would have taken them all anyway)
    expect(requests).toEqual([chunks]);
    expect(await decompress(archive, model)).toEqual(input);
  });

  it('decodes from any slicing, writing output before the end', async () => {
    const input = textOf(20_000, 6, 4);
    // (the random model cannot shrink text: model-coded chunks must not fall back to stored ones here, nor lose to the byte model)
    const archive = await compress(input, model, { chunkTokens: 48, storeIncompressible: false, byteModel: false });
    for (const sizes of [[1], [5, 3000], [1 << 20]]) {
      const writes: number[] = [];
      const sink = new MemorySink();
      await decompressStream(sliced(archive, sizes), model, { write: (b) => (writes.push(b.length), sink.write(b)) }, { batch: 3 });
      expect(sink.bytes()).toEqual(input);
      expect(writes.length).toBeGreaterThan(3); // chunks reached the sink as groups finished
    }
  });

  it('a stream that ends early or runs on is refused with a typed error', async () => {
    const input = textOf(20_000, 7, 4);
    const archives = [
      await compress(input, model, { chunkTokens: 48, storeIncompressible: false, byteModel: false }), // many model chunks
      await compress(input, model, { chunkTokens: 48, byteModel: false }), // the random model stores it: one compact stored chunk
    ];
    for (const archive of archives) {
      for (const cut of [3, 20, archive.length - 200, archive.length - 1]) {
        await expect(decompressStream(sliced(archive.subarray(0, cut), [1000]), model, new MemorySink())).rejects.toBeInstanceOf(TruncatedArchiveError);
      }
      const longer = new Uint8Array(archive.length + 3);
      longer.set(archive);
      await expect(decompressStream(bufferSource(longer), model, new MemorySink())).rejects.toBeInstanceOf(CorruptArchiveError);
      expect(await decompress(archive, model)).toEqual(input);
    }
  });

  it('an all-binary stream is stored as it comes, one entry', async () => {
    const input = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24);
    const sink = new MemorySink();
    await compressStream(sliced(input, [10_000]), model, sink, { chunkTokens: 64 });
    const archive = sink.bytes();
    expect(archive.length).toBeLessThan(input.length + 40);
    expect(await decompress(archive, model)).toEqual(input);
  });
});
