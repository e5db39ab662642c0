/**
 * Every stream's K/V cache in one GPU buffer, so that one dispatch serves
 * rows of many streams: a first-fit allocator of word ranges that grows the
 * buffer (copying what it holds) when a stream does not fit. A stream's
 * region is layers x {K, V} x capacity x words per cached row.
 */

export class KvPool {
  private buf: GPUBuffer;
  private words: number;
  /** Free ranges [start, end) in words, sorted, never adjacent. */
  private free: [number, number][];
  private readonly used = new Map<number, number>();
  /** Counts replacements of the buffer (bind groups that name it are then stale). */
  generation = 0;

  constructor(
    private readonly device: GPUDevice,
    initialWords: number,
  ) {
    this.words = Math.max(1024, initialWords);
    this.buf = this.create(this.words);
    this.free = [[0, this.words]];
  }

  get buffer(): GPUBuffer {
    return this.buf;
  }

  alloc(words: number): number {
    let i = this.free.findIndex(([s, e]) => e - s >= words);
    if (i < 0) {
      this.grow(words);
      i = this.free.findIndex(([s, e]) => e - s >= words);
    }
    const range = this.free[i]!;
    const start = range[0];
    if (range[1] - start === words) this.free.splice(i, 1);
    else range[0] += words;
    this.used.set(start, words);
    return start;
  }

  release(start: number): void {
    const words = this.used.get(start);
    if (words === undefined) return;
    this.used.delete(start);
    const end = start + words;
    let i = this.free.findIndex(([s]) => s > start);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, [start, end]);
    // merge with the neighbours
    const next = this.free[i + 1];
    if (next && next[0] === end) {
      this.free[i]![1] = next[1];
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev[1] === start) {
      prev[1] = this.free[i]![1];
      this.free.splice(i, 1);
    }
  }

  dispose(): void {
    this.buf.destroy();
  }

  private create(words: number): GPUBuffer {
    const size = words * 4;
    if (size > this.device.limits.maxStorageBufferBindingSize) {
      throw new RangeError(`the KV caches need ${size} bytes, more than this GPU binds (${this.device.limits.maxStorageBufferBindingSize})`);
    }
    return this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  }

  private grow(atLeast: number): void {
    const old = this.words;
    const words = Math.max(old * 2, old + atLeast);
    const next = this.create(words);
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(this.buf, 0, next, 0, old * 4);
    this.device.queue.submit([enc.finish()]);
    this.buf.destroy(); // (freed once the copy has run)
    this.buf = next;
    this.words = words;
    const last = this.free[this.free.length - 1];
    if (last && last[1] === old) last[1] = words;
    else this.free.push([old, words]);
    this.generation++;
  }
}
