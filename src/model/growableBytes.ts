/**
 * A byte queue: append at the end (amortised O(1), capacity doubles), drop
 * from the front. Streams arrive in slices of any size, down to one byte;
 * copying the whole buffer on every slice would make them quadratic.
 */
export class GrowableBytes {
  private buf = new Uint8Array(1 << 12);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** The bytes held (a view, valid until the next append). */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  append(bytes: Uint8Array): void {
    if (this.end + bytes.length > this.buf.length) {
      const live = this.length;
      let size = this.buf.length;
      while (size < live + bytes.length) size *= 2;
      // Reuse the same buffer when dropping the consumed front makes enough room.
      const next = size === this.buf.length ? this.buf : new Uint8Array(size);
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** Removes `n` bytes from the front. */
  drop(n: number): void {
    this.start += Math.min(n, this.length);
    if (this.start === this.end) this.start = this.end = 0;
  }
}
