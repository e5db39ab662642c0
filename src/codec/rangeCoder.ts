/**
 * A carry-propagating range coder (LZMA's scheme) with a 48-bit range held in
 * ordinary JS numbers: every intermediate value is an integer below 2^53, so
 * the arithmetic is exact and identical on every engine, without BigInt.
 *
 * Precision: the range is renormalised to stay above 2^40, and totals are at
 * most 2^24, so `range / total` truncates away less than 2^-16 of the range:
 * under 2.2e-5 bits per symbol over the ideal -log2(freq/total).
 */
import { CorruptArchiveError } from './errors.js';
import type { FrequencyTable } from './frequencyTable.js';

const TOP = 2 ** 48; // low and code live in [0, TOP); a carry shows as low >= TOP
const BOTTOM = 2 ** 40; // renormalise (shift a byte out) when range falls below this
const BYTE_SHIFT = 2 ** 40; // weight of low's top byte
export const MAX_TOTAL = 2 ** 24;

/** Growable byte buffer; `drain` hands out what is ready, for streaming. */
class ByteSink {
  private buf = new Uint8Array(256);
  private len = 0;
  push(b: number): void {
    if (this.len === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = b;
  }
  drain(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }
}

export class RangeEncoder {
  private low = 0;
  private range = TOP - 1;
  // The byte waiting for a possible carry, and how many bytes (it plus 0xFFs) wait with it.
  private cache = 0;
  private pending = 1;
  // LZMA's first output byte is always 0 (the interval starts inside [0, TOP)): drop it.
  private dropFirst = true;
  private finished = false;
  private readonly sink = new ByteSink();

  encode(table: FrequencyTable, symbol: number): void {
    const total = table.total;
    if (total > MAX_TOTAL) throw new RangeError(`frequency total ${total} exceeds ${MAX_TOTAL}`);
    const lo = table.low(symbol);
    const freq = table.high(symbol) - lo;
    if (freq <= 0) throw new RangeError(`symbol ${symbol} has zero frequency`);
    this.encodeRange(lo, freq, total);
  }

  /** Code the interval [lo, lo + freq) of [0, total). */
  encodeRange(lo: number, freq: number, total: number): void {
    if (this.finished) throw new Error('encoder already finished');
    const r = Math.floor(this.range / total);
    this.low += r * lo;
    this.range = r * freq;
    while (this.range < BOTTOM) {
      this.shiftLow();
      this.range *= 256;
    }
  }

  private emit(b: number): void {
    if (this.dropFirst) {
      this.dropFirst = false;
      return;
    }
    this.sink.push(b);
  }

  private shiftLow(): void {
    const low = this.low;
    if (low < 0xff * BYTE_SHIFT || low >= TOP) {
      const carry = low >= TOP ? 1 : 0;
      let b = this.cache;
      do {
        this.emit((b + carry) & 0xff);
        b = 0xff;
      } while (--this.pending !== 0);
      this.cache = Math.floor((low % TOP) / BYTE_SHIFT);
    }
    this.pending++;
    this.low = (low % BYTE_SHIFT) * 256;
  }

  /** Bytes that can no longer change. */
  drain(): Uint8Array {
    return this.sink.drain();
  }

  /**
   * Flush with the fewest bytes: pick the value in [low, low + range) with the
   * most trailing zero bytes; the decoder reads zeros past the end, so those
   * are not written.
   */
  finish(): Uint8Array {
    if (this.finished) throw new Error('encoder already finished');
    for (let k = 0; k <= 6; k++) {
      const unit = 2 ** (48 - 8 * k);
      const v = Math.ceil(this.low / unit) * unit;
      if (v < this.low + this.range) {
        this.low = v;
        break;
      }
    }
    for (let i = 0; i < 7; i++) this.shiftLow();
    this.finished = true;
    const out = this.sink.drain();
    let end = out.length;
    while (end > 0 && out[end - 1] === 0) end--;
    return out.subarray(0, end);
  }
}

export class RangeDecoder {
  private range = TOP - 1;
  private code = 0;
  private pos = 0;

  /** Decodes `bytes`; reads past their end as zeros (the encoder trims them). */
  constructor(private readonly bytes: Uint8Array) {
    for (let i = 0; i < 6; i++) this.code = this.code * 256 + this.next();
  }

  private next(): number {
    return this.pos < this.bytes.length ? this.bytes[this.pos++]! : (this.pos++, 0);
  }

  decode(table: FrequencyTable): number {
    const total = table.total;
    if (total > MAX_TOTAL) throw new RangeError(`frequency total ${total} exceeds ${MAX_TOTAL}`);
    const r = Math.floor(this.range / total);
    const target = Math.floor(this.code / r);
    if (target >= total) throw new CorruptArchiveError('The compressed data is damaged (decoder left the valid range).');
    const symbol = table.symbolAt(target);
    const lo = table.low(symbol);
    this.code -= r * lo;
    this.range = r * (table.high(symbol) - lo);
    while (this.range < BOTTOM) {
      this.code = this.code * 256 + this.next();
      this.range *= 256;
    }
    return symbol;
  }

  /** How many payload bytes were actually used (excluding the implicit zeros). */
  get bytesRead(): number {
    return Math.min(this.pos, this.bytes.length);
  }

  /**
   * Whether the payload holds bytes no encoder would have written for what was
   * decoded: the encoder emits fewer bytes than the decoder reads (its last
   * pending byte is never written, and trailing zeros are dropped), so a
   * payload longer than what was read carries data from elsewhere (another
   * archive joined to this one, or damage). Checked when a chunk is done.
   */
  get hasTrailingBytes(): boolean {
    return this.bytes.length > this.pos;
  }
}
