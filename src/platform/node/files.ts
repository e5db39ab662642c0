/**
 * Files for the streaming pipeline in Node: inputs read in slices, outputs
 * written beside their destination and renamed into place only when the
 * whole job succeeded (a failed decompression leaves no half-written file),
 * and a payload spool on disk so memory stays flat however big the input.
 */
import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { open, rename, rm, mkdtemp, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../../codec/errors.js';
import { SLICE_BYTES, type ByteSink, type ByteSource, type PayloadSpool } from '../../pipeline/byteStreams.js';

/**
 * Temporary files and folders of unfinished work (.partial outputs, spools),
 * removed by `removeUnfinished` when the process is interrupted (Ctrl-C).
 */
const unfinished = new Set<string>();

/** Removes every unfinished output and spool at once (synchronous: for signal handlers). */
export function removeUnfinished(): void {
  for (const path of unfinished) rmSync(path, { recursive: true, force: true });
  unfinished.clear();
}

/** A file ("-": stdin) in slices, with its size when known. */
export function fileSource(path: string): { source: ByteSource; size?: number } {
  if (path === '-') return { source: process.stdin as AsyncIterable<Uint8Array> };
  if (!existsSync(path)) throw new UsageError(`${path}: no such file.`);
  const st = statSync(path);
  if (st.isDirectory()) throw new UsageError(`${path} is a directory; llmz takes one file.`);
  return { source: createReadStream(path, { highWaterMark: SLICE_BYTES }) as AsyncIterable<Uint8Array>, size: st.isFile() ? st.size : undefined };
}

/** Collects small writes into large ones. */
class Batched {
  private parts: Uint8Array[] = [];
  private size = 0;
  constructor(private readonly flushTo: (bytes: Uint8Array) => Promise<void>) {}
  async write(bytes: Uint8Array): Promise<void> {
    this.parts.push(bytes.slice());
    this.size += bytes.length;
    if (this.size >= SLICE_BYTES) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.size) return;
    const all = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) (all.set(p, o), (o += p.length));
    this.parts = [];
    this.size = 0;
    await this.flushTo(all);
  }
}

export interface OutputFile extends ByteSink {
  /** Moves the finished output into place. */
  commit(): Promise<void>;
  /** Removes the unfinished output. */
  abandon(): Promise<void>;
}

/**
 * Output to `path` ("-": stdout). Like gzip: never compressed bytes to a
 * terminal, never over an existing file without `force`.
 */
export async function outputFile(path: string, opts: { binary: boolean; force: boolean }): Promise<OutputFile> {
  if (path === '-') {
    if (opts.binary && process.stdout.isTTY) throw new UsageError('Refusing to write compressed data to a terminal. Use -o FILE or redirect the output.');
    const out = new Batched((b) => new Promise<void>((resolve, reject) => process.stdout.write(b, (e) => (e ? reject(e) : resolve()))));
    return { write: (b) => out.write(b), commit: () => out.flush(), abandon: async () => {} };
  }
  if (!opts.force && existsSync(path)) throw new UsageError(`${path} already exists. Use --force to overwrite it, or -o to pick another name.`);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir}: no such folder for the output. Create it first, or pick another -o.`);
  const partial = join(dir, `.${basename(path)}.${process.pid}.partial`);
  unfinished.add(partial);
  const fh = await open(partial, 'w');
  const out = new Batched(async (b) => void (await fh.write(b)));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await out.flush();
    await fh.close();
  };
  return {
    write: (b) => out.write(b),
    commit: async () => {
      await close();
      await rename(partial, path);
      unfinished.delete(partial);
    },
    abandon: async () => {
      await close().catch(() => {});
      await rm(partial, { force: true });
      unfinished.delete(partial);
    },
  };
}

/** Payloads on disk until the header is written. */
export class FileSpool implements PayloadSpool {
  length = 0;
  private fh: FileHandle | null = null;
  private dir = '';
  private readonly pending = new Batched(async (b) => void (await (await this.handle()).write(b)));

  private async handle(): Promise<FileHandle> {
    if (!this.fh) {
      this.dir = await mkdtemp(join(tmpdir(), 'llmz-'));
      unfinished.add(this.dir);
      this.fh = await open(join(this.dir, 'payloads'), 'w+');
    }
    return this.fh;
  }

  async append(bytes: Uint8Array): Promise<void> {
    this.length += bytes.length;
    await this.pending.write(bytes);
  }

  async *replay(): ByteSource {
    await this.pending.flush();
    if (!this.fh) return;
    const buf = new Uint8Array(SLICE_BYTES);
    for (let pos = 0; pos < this.length; ) {
      const { bytesRead } = await this.fh.read(buf, 0, Math.min(buf.length, this.length - pos), pos);
      if (bytesRead === 0) throw new Error('spool file ended early');
      yield buf.slice(0, bytesRead);
      pos += bytesRead;
    }
  }

  async dispose(): Promise<void> {
    await this.fh?.close().catch(() => {});
    this.fh = null;
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    unfinished.delete(this.dir);
  }
}
