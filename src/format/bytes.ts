/** Bounds-checked little-endian byte reading/writing with LEB128 varints. */
import { CorruptArchiveError, TruncatedArchiveError } from '../codec/errors.js';

export class ByteWriter {
  private buf = new Uint8Array(64);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    for (let i = 0; i < 4; i++) this.buf[this.length++] = (v >>> (8 * i)) & 0xff;
    return this;
  }
  /** Unsigned LEB128 for integers up to 2^53 - 1. */
  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint out of range: ${v}`);
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) b |= 0x80;
      this.u8(b);
    } while (v > 0);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    private readonly what = 'archive',
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new TruncatedArchiveError(`The ${this.what} is cut short (needed ${n} more byte(s) at offset ${this.pos} of ${this.buf.length}). Get the complete file or link again.`);
    }
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }
  /** LEB128, at most `maxBits` significant bits (<= 53); rejects overlong encodings. */
  varint(maxBits = 53): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (!(b & 0x80)) {
        if (b === 0 && i > 0) throw new CorruptArchiveError(`Damaged ${this.what}: overlong number at offset ${this.pos - 1}.`);
        break;
      }
      scale *= 128;
      if (i >= 7) throw new CorruptArchiveError(`Damaged ${this.what}: number too long at offset ${this.pos}.`);
    }
    if (v >= 2 ** maxBits) throw new CorruptArchiveError(`Damaged ${this.what}: value ${v} out of range at offset ${this.pos}.`);
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
