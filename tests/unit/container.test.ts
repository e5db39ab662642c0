import { describe, expect, it } from 'vitest';
import {
  CorruptArchiveError,
  LlmzError,
  NotAnArchiveError,
  TruncatedArchiveError,
  UnsupportedVersionError,
  WrongModelError,
} from '../../src/codec/errors.js';
import { BYTES_MIXING, BYTES_MIXING_V2 } from '../../src/format/codingBlock.js';
import { checkModel, readArchive, writeArchive, type ModelStamp } from '../../src/format/container.js';

const stamp: ModelStamp = {
  name: 'llmz-test',
  fingerprint: '0102030405060708',
  tokenizerFingerprint: '090a0b0c',
  numericsId: 1,
};

function sample(chunks = 2): Uint8Array {
  const payloads = Array.from({ length: chunks }, (_, i) => Uint8Array.from({ length: 5 + i }, (_, j) => (i * 31 + j) & 255));
  return writeArchive(
    {
      model: stamp,
      chunkTokens: 512,
      originalLength: 1000,
      chunks: payloads.map((p, i) => ({ kind: 'model' as const, count: 100 + i, payloadLength: p.length, crc32: 0xdeadbeef - i })),
      crc32: 0x12345678,
    },
    payloads,
  );
}

describe('.llmz container v1', () => {
  it('round-trips the header and payloads', () => {
    const a = readArchive(sample(3));
    expect(a.header.model.name).toBe('llmz-test');
    expect(a.header.model.fingerprint).toBe('0102030405060708');
    expect(a.header.chunks.map((c) => c.count)).toEqual([100, 101, 102]);
    expect(a.header.crc32).toBe(0x12345678);
    expect(a.header.chunkTokens).toBe(512);
    expect(Array.from(a.payload(1))).toEqual([31, 32, 33, 34, 35, 36]);
  });

  it('keeps a one-chunk header small', () => {
    expect(sample(1).length - 5).toBeLessThanOrEqual(44);
  });

  it('names each kind of damage with its own error', () => {
    const good = sample();
    expect(() => readArchive(new TextEncoder().encode('PK\x03\x04 a zip file'))).toThrow(NotAnArchiveError);
    expect(() => readArchive(new Uint8Array(0))).toThrow(NotAnArchiveError);
    const v2 = good.slice();
    v2[2] = 3;
    expect(() => readArchive(v2)).toThrow(UnsupportedVersionError);
    expect(() => readArchive(good.subarray(0, 12))).toThrow(TruncatedArchiveError);
    expect(() => readArchive(good.subarray(0, good.length - 1))).toThrow(CorruptArchiveError);
    const flipped = good.slice();
    flipped[8] = flipped[8]! ^ 0x10;
    expect(() => readArchive(flipped)).toThrow(CorruptArchiveError);
    const extra = new Uint8Array(good.length + 1);
    extra.set(good);
    expect(() => readArchive(extra)).toThrow(/trailing/);
  });

  it('says which model an archive needs', () => {
    const { header } = readArchive(sample());
    const other = { ...stamp, name: 'other', fingerprint: '0000000000000000' };
    expect(() => checkModel(header, other)).toThrow(WrongModelError);
    expect(() => checkModel(header, other)).toThrow(/llmz-test/);
    expect(() => checkModel(header, stamp)).not.toThrow();
  });

  it('compact form: one chunk in 17 bytes of header, found by fingerprint', () => {
    const payload = Uint8Array.from([7, 7, 7]);
    const header = { model: stamp, chunkTokens: 512, originalLength: 1000, chunks: [{ kind: 'model' as const, count: 300, payloadLength: 3, crc32: 0xcafef00d }], crc32: 0xcafef00d };
    const compact = writeArchive(header, [payload], { compact: true });
    const full = writeArchive(header, [payload]);
    expect(compact.length - payload.length).toBe(17);
    expect(full.length - compact.length).toBe(24);
    const a = readArchive(compact);
    expect(a.header.model.name).toBe('');
    expect(a.header.model.fingerprint).toBe('01020304');
    expect(a.header.chunks).toEqual([{ kind: 'model', count: 300, payloadLength: 3, crc32: 0xcafef00d, prompt: 0 }]);
    expect(a.header.originalLength).toBe(1000);
    expect(Array.from(a.payload(0))).toEqual([7, 7, 7]);
    // the 8-byte fingerprint of the loaded model starts with the archive's 4
    expect(() => checkModel(a.header, stamp)).not.toThrow();
    // a compact archive names no model: the message says what the user can do instead of naming one
    expect(() => checkModel(a.header, { ...stamp, name: 'other', fingerprint: '0000000000000000' })).toThrow(/does not have \(weights 01020304, numerics 1\)/);
    // several chunks, or an extension block, keep the full form
    expect(readArchive(writeArchive({ ...header, chunks: [header.chunks[0]!, header.chunks[0]!] }, [payload, payload], { compact: true })).header.model.name).toBe('llmz-test');
    expect(readArchive(writeArchive({ ...header, extension: Uint8Array.of(1) }, [payload], { compact: true })).header.model.name).toBe('llmz-test');
  });

  it('compact form: damage gives typed errors', () => {
    const stored = writeArchive(
      { model: stamp, chunkTokens: 512, originalLength: 4, chunks: [{ kind: 'stored', count: 4, payloadLength: 4, crc32: 1 }], crc32: 1 },
      [Uint8Array.of(1, 2, 3, 4)],
      { compact: true },
    );
    expect(() => readArchive(stored.subarray(0, stored.length - 1))).toThrow(TruncatedArchiveError);
    expect(() => readArchive(Uint8Array.from([...stored, 0]))).toThrow(CorruptArchiveError);
    expect(() => readArchive(stored.subarray(0, 9))).toThrow(TruncatedArchiveError);
    const both = stored.slice();
    both[3] = 3; // compact + extension is not a form this reader knows
    expect(() => readArchive(both)).toThrow(UnsupportedVersionError);
  });

  it('errors are LlmzErrors with their class name', () => {
    try {
      readArchive(new Uint8Array([1, 2, 3]));
    } catch (e) {
      expect(e).toBeInstanceOf(LlmzError);
      expect((e as Error).name).toBe('NotAnArchiveError');
    }
  });
});

describe('.llmz container v2 with the byte model (mixing id 2)', () => {
  const bytesPayloads = [Uint8Array.of(1, 2, 3), Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)];
  function bytesArchive(o: { tableBits?: number; compact?: boolean; count?: number } = {}): Uint8Array {
    const chunks = o.compact ? [bytesPayloads[1]!] : bytesPayloads;
    return writeArchive(
      {
        model: stamp,
        chunkTokens: 512,
        originalLength: o.compact ? (o.count ?? 40) : 40 + 10,
        chunks: [
          ...(o.compact ? [] : [{ kind: 'bytes' as const, count: 40, payloadLength: 3 }]),
          { kind: o.compact ? ('bytes' as const) : ('stored' as const), count: o.compact ? (o.count ?? 40) : 10, payloadLength: 10 },
        ],
        crc32: 0x12345678,
        mixing: { id: BYTES_MIXING, roundWidth: 0, tableBits: o.tableBits ?? 16 },
      },
      chunks,
      { compact: o.compact },
    );
  }

  it('round-trips byte-model and stored entries, the table size, in the full and the compact form', () => {
    const a = readArchive(bytesArchive());
    expect(a.header.version).toBe(2);
    expect(a.header.mixing).toEqual({ id: BYTES_MIXING, roundWidth: 0, tableBits: 16 });
    expect(a.header.chunks.map((c) => [c.kind, c.count, c.payloadLength])).toEqual([['bytes', 40, 3], ['stored', 10, 10]]);
    expect(Array.from(a.payload(1))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const c = readArchive(bytesArchive({ compact: true }));
    expect(c.header.chunks).toEqual([{ kind: 'bytes', count: 40, payloadLength: 10, prompt: 0 }]);
    // a byte-model archive names no model it needs
    expect(() => checkModel(a.header, { ...stamp, fingerprint: 'ffffffffffffffff' })).not.toThrow();
  });

  it('refuses table sizes out of range, payloads longer than 16 bits a byte allow, and unknown mixing ids', () => {
    expect(() => bytesArchive({ tableBits: 9 })).toThrow(RangeError);
    const good = bytesArchive({ compact: true });
    // the coding block follows magic, version, flags, fingerprint (4), numerics and length: mixing id, then table bits
    const at = good.indexOf(BYTES_MIXING, 8);
    const big = good.slice();
    big[at + 1] = 23;
    expect(() => readArchive(big)).toThrow(CorruptArchiveError);
    const unknown = good.slice();
    unknown[at] = 4;
    expect(() => readArchive(unknown)).toThrow(UnsupportedVersionError);
    // id 3 (the second byte model, 10 x 4 bytes a slot) asks for no more than its encoder writes: 2^20 entries
    const v2 = good.slice();
    v2[at] = BYTES_MIXING_V2;
    v2[at + 1] = 20;
    expect(readArchive(v2).header.mixing).toEqual({ id: BYTES_MIXING_V2, roundWidth: 0, tableBits: 20 });
    v2[at + 1] = 21;
    expect(() => readArchive(v2)).toThrow(CorruptArchiveError);
    expect(() => writeArchive({ ...readArchive(good).header, mixing: { id: BYTES_MIXING_V2, roundWidth: 0, tableBits: 21 } }, [bytesPayloads[1]!])).toThrow(RangeError);
    // a chunk of no bytes; a payload longer than 16 bits a byte plus the flush (1 byte: at most 24)
    expect(() => readArchive(bytesArchive({ compact: true, count: 0 }))).toThrow(CorruptArchiveError);
    expect(readArchive(bytesArchive({ compact: true, count: 1 })).header.chunks[0]!.count).toBe(1);
    const full = writeArchive(
      { model: stamp, chunkTokens: 512, originalLength: 1, chunks: [{ kind: 'bytes', count: 1, payloadLength: 25 }], crc32: 0, mixing: { id: BYTES_MIXING, roundWidth: 0, tableBits: 16 } },
      [new Uint8Array(25)],
    );
    expect(() => readArchive(full)).toThrow(/longer than 1 bytes can be/);
  });

  it('never reads a byte-model chunk as mixed or as naming a prompt', () => {
    expect(() =>
      writeArchive(
        { model: stamp, chunkTokens: 512, originalLength: 40, chunks: [{ kind: 'bytes', count: 40, payloadLength: 3, mixed: true }], crc32: 0, mixing: { id: BYTES_MIXING, roundWidth: 0, tableBits: 16 } },
        [bytesPayloads[0]!],
      ),
    ).toThrow(RangeError);
  });
});
