/**
 * Chunks coded by the byte model (mixing ids 2 and 3, docs/mixing.md): one
 * `ByteModel` runs through the archive's chunks in order, each chunk's bits
 * coded with its probabilities by the range coder and flushed at the chunk's
 * end, so chunks keep their own payloads (and the decoder writes each as it
 * is done). Stored chunks are never shown to the model, on either side.
 */
import { CorruptArchiveError } from '../codec/errors.js';
import { RangeDecoder, RangeEncoder } from '../codec/rangeCoder.js';
import { ByteModel } from './byteModel.js';
import { BitTable } from './excludingTable.js';

/** Bits of coding symbol 0 ("yes" = bit 1) or 1 with a BitTable's probability: for people (the bits view), never for the coder. */
function bitCost(p: number, symbol: number): number {
  return -Math.log2((symbol === 0 ? p : 65536 - p) / 65536);
}

export class ByteChunkEncoder {
  private readonly table = new BitTable();

  constructor(private readonly model = new ByteModel()) {}

  /** The payload of the next chunk; with `costs` (one per byte), what each byte cost in bits. */
  encode(bytes: Uint8Array, costs?: Float32Array): Uint8Array {
    const { model, table } = this;
    const enc = new RangeEncoder();
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      let cost = 0;
      for (let j = 7; j >= 0; j--) {
        const bit = (c >> j) & 1;
        table.p = model.predict();
        enc.encode(table, bit ? 0 : 1);
        if (costs) cost += bitCost(table.p, bit ? 0 : 1);
        model.update(bit);
      }
      if (costs) costs[i] = cost;
    }
    return enc.finish();
  }
}

export class ByteChunkDecoder {
  private readonly table = new BitTable();

  constructor(private readonly model = new ByteModel()) {}

  /** The `count` bytes of the next chunk, from its payload; with `costs` (one per byte), what each byte cost in bits. */
  decode(payload: Uint8Array, count: number, costs?: Float32Array): Uint8Array {
    const { model, table } = this;
    const dec = new RangeDecoder(payload);
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      let c = 0;
      let cost = 0;
      for (let j = 0; j < 8; j++) {
        table.p = model.predict();
        const symbol = dec.decode(table);
        if (costs) cost += bitCost(table.p, symbol);
        const bit = symbol === 0 ? 1 : 0;
        model.update(bit);
        c = (c << 1) | bit;
      }
      out[i] = c;
      if (costs) costs[i] = cost;
    }
    if (dec.hasTrailingBytes) throw new CorruptArchiveError('The archive is damaged: a chunk has bytes its data does not use. Get the file or link again.');
    return out;
  }
}
