/** Cutting a token stream into independent chunks, and spotting binary ones. */
import { utf8Runs } from '../model/utf8.js';

/** A chunk ready to code: its token ids and the original bytes they stand for. */
export interface Chunk {
  ids: Int32Array;
  bytes: Uint8Array;
}

/**
 * Cuts a token stream, arriving segment by segment, into chunks of exactly
 * `chunkTokens` tokens (the last one shorter): chunk i is tokens
 * [i * chunkTokens, (i + 1) * chunkTokens) of the whole input, wherever the
 * segments happened to end.
 */
export class ChunkAssembler {
  private ids = new Int32Array(0);
  private bytes = new Uint8Array(0);
  private idStart = 0;
  private byteStart = 0;

  constructor(
    private readonly chunkTokens: number,
    private readonly tokenBytes: Uint8Array[],
  ) {}

  /** Adds a segment: its ids and the bytes they decode to. */
  push(ids: ArrayLike<number>, bytes: Uint8Array): void {
    const restIds = this.ids.subarray(this.idStart);
    const nextIds = new Int32Array(restIds.length + ids.length);
    nextIds.set(restIds);
    nextIds.set(ids, restIds.length);
    const restBytes = this.bytes.subarray(this.byteStart);
    const nextBytes = new Uint8Array(restBytes.length + bytes.length);
    nextBytes.set(restBytes);
    nextBytes.set(bytes, restBytes.length);
    this.ids = nextIds;
    this.bytes = nextBytes;
    this.idStart = 0;
    this.byteStart = 0;
  }

  /** Whole chunks buffered. */
  get ready(): number {
    return Math.floor((this.ids.length - this.idStart) / this.chunkTokens);
  }

  /** Up to `max` chunks; with `final`, the shorter last one too. */
  take(max: number, final = false): Chunk[] {
    const out: Chunk[] = [];
    while (out.length < max && this.idStart < this.ids.length) {
      const n = Math.min(this.chunkTokens, this.ids.length - this.idStart);
      if (n < this.chunkTokens && !final) break;
      const ids = this.ids.slice(this.idStart, this.idStart + n);
      let len = 0;
      for (let i = 0; i < n; i++) len += this.tokenBytes[ids[i]!]!.length;
      out.push({ ids, bytes: this.bytes.slice(this.byteStart, this.byteStart + len) });
      this.idStart += n;
      this.byteStart += len;
    }
    return out;
  }
}

/**
 * Chunks that are mostly not text (over 1/8 of the bytes invalid UTF-8 or
 * NUL) are stored as they are: a text model cannot shrink them, and running
 * it would only cost time.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  let bad = 0;
  for (const r of utf8Runs(bytes)) if (!r.valid) bad++;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) bad++;
  return bad * 8 > bytes.length;
}
