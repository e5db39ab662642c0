/**
 * Output gathered into a Blob, which the browser may keep on disk rather
 * than in the page's memory: parts are folded into the Blob every few MB.
 */
import type { ByteSink } from '../../pipeline/byteStreams.js';

const FOLD_BYTES = 8 << 20;

export class BlobSink implements ByteSink {
  private folded = new Blob([]);
  private parts: Uint8Array<ArrayBuffer>[] = [];
  private size = 0;

  /** `onData` sees every write, in order (e.g. to show text as it arrives). */
  constructor(private readonly onData?: (bytes: Uint8Array) => void) {}

  write(bytes: Uint8Array): void {
    if (!bytes.length) return;
    const copy = bytes.slice() as Uint8Array<ArrayBuffer>;
    this.onData?.(copy);
    this.parts.push(copy);
    this.size += copy.length;
    if (this.size >= FOLD_BYTES) this.fold();
  }

  private fold(): void {
    this.folded = new Blob([this.folded, ...this.parts]);
    this.parts = [];
    this.size = 0;
  }

  blob(type = 'application/octet-stream'): Blob {
    this.fold();
    return new Blob([this.folded], { type });
  }
}
