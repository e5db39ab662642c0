/**
 * Bytes in slices, so big inputs never sit whole in memory: sources (a
 * buffer, a Blob/File, a Node stream — any AsyncIterable of byte slices),
 * sinks (where output goes, in order) and a spool for payloads that must
 * wait until the archive header, which comes first, is known.
 */
import { TruncatedArchiveError } from '../codec/errors.js';
import { GrowableBytes } from '../model/growableBytes.js';

/** Input in slices: a file read piece by piece, a Blob, stdin. */
export type ByteSource = AsyncIterable<Uint8Array>;

/** Where output goes, in order. */
export interface ByteSink {
  write(bytes: Uint8Array): void | Promise<void>;
}

export const SLICE_BYTES = 1 << 20;

export async function* bufferSource(bytes: Uint8Array, slice = SLICE_BYTES): ByteSource {
  if (bytes.length === 0) return;
  for (let i = 0; i < bytes.length; i += slice) yield bytes.subarray(i, Math.min(bytes.length, i + slice));
}

/** A Blob or File read slice by slice (browsers, and Node's Blob). */
export async function* blobSource(blob: Blob, slice = SLICE_BYTES): ByteSource {
  for (let i = 0; i < blob.size; i += slice) yield new Uint8Array(await blob.slice(i, Math.min(blob.size, i + slice)).arrayBuffer());
}

export async function* concatSources(...sources: ByteSource[]): ByteSource {
  for (const s of sources) yield* s;
}

/** Collects output in memory (small results, tests). */
export class MemorySink implements ByteSink {
  private parts: Uint8Array[] = [];
  length = 0;
  write(bytes: Uint8Array): void {
    if (!bytes.length) return;
    this.parts.push(bytes.slice());
    this.length += bytes.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) (out.set(p, o), (o += p.length));
    this.parts = [out];
    return out;
  }
}

/** Payloads kept until the header can be written; the CLI spools to a temporary file instead. */
export interface PayloadSpool {
  append(bytes: Uint8Array): void | Promise<void>;
  readonly length: number;
  /** Everything appended, in order (may be read more than once). */
  replay(): ByteSource;
  dispose(): void | Promise<void>;
}

export class MemorySpool implements PayloadSpool {
  private readonly parts: Uint8Array[] = [];
  length = 0;
  append(bytes: Uint8Array): void {
    if (!bytes.length) return;
    this.parts.push(bytes);
    this.length += bytes.length;
  }
  async *replay(): ByteSource {
    yield* this.parts;
  }
  dispose(): void {
    this.parts.length = 0;
  }
}

/** Pull-style reading of a source: exact lengths, peeking, and a clear end. */
export class SourceReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private readonly buf = new GrowableBytes();
  private done = false;
  /** Bytes handed out so far. */
  consumed = 0;

  constructor(source: ByteSource) {
    this.it = source[Symbol.asyncIterator]();
  }

  get buffered(): number {
    return this.buf.length;
  }

  /** Buffers until at least `n` bytes are ready or the source ends; true when they are. */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf.append(r.value);
    }
    return this.buf.length >= n;
  }

  /** The buffered bytes, without consuming them (valid until the next read or fill). */
  peek(): Uint8Array {
    return this.buf.view();
  }

  /** Exactly `n` bytes (a copy), or TruncatedArchiveError. */
  async read(n: number): Promise<Uint8Array> {
    if (!(await this.fill(n))) {
      throw new TruncatedArchiveError(`The archive is incomplete: it ends ${n - this.buffered} byte(s) early. Get the complete file or link again.`);
    }
    return this.take(n);
  }

  /** Up to `max` bytes (a copy; fewer only at the end); empty at the end. */
  async readSome(max: number): Promise<Uint8Array> {
    if (this.buf.length === 0) await this.fill(1);
    return this.take(Math.min(max, this.buf.length));
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  private take(n: number): Uint8Array {
    const out = this.buf.view().slice(0, n);
    this.buf.drop(n);
    this.consumed += n;
    return out;
  }
}
