/**
 * Compression and decompression: tokenize, chunk, code the chunks (on this
 * thread or a worker pool, see runner.ts), assemble the container.
 */
import { CancelledError, CorruptArchiveError, UsageError } from '../codec/errors.js';
import { crc32 } from '../codec/crc32.js';
import { checkModel, readArchive, writeArchive, type ChunkEntry } from '../format/container.js';
import type { LoadedModel } from '../model/loadedModel.js';
import { stampOf } from '../model/types.js';
import { looksBinary, planChunks, type ChunkPlan } from './chunking.js';
import type { ProgressListener } from './progress.js';
import { localRunner, type ChunkRunner } from './runner.js';

export interface CodingOptions {
  /** Tokens per chunk (default: the model's training context). */
  chunkTokens?: number;
  /** Chunks run through the engine together (local runner). */
  batch?: number;
  /** Where chunks are coded (default: this thread). */
  runner?: ChunkRunner;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Keep chunks the model cannot shrink as raw bytes (default true). */
  storeIncompressible?: boolean;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Sends coding progress at most every 100 ms. */
class Meter {
  private readonly t0 = performance.now();
  private last = 0;
  tokens = 0;
  constructor(
    private readonly direction: 'compress' | 'decompress',
    private readonly total: number,
    private readonly listener?: ProgressListener,
  ) {}
  report(bytesDone: number, bitsSoFar: number, force = false): void {
    if (!this.listener) return;
    const now = performance.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const secs = Math.max(1e-3, (now - this.t0) / 1000);
    const rate = bytesDone / secs;
    this.listener({
      stage: 'coding',
      direction: this.direction,
      bytesDone,
      bytesTotal: this.total,
      tokensPerSecond: this.tokens / secs,
      etaSeconds: rate > 0 ? (this.total - bytesDone) / rate : Infinity,
      bitsPerByte: bytesDone > 0 ? bitsSoFar / bytesDone : 0,
    });
  }
  get seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }
}

/** Groups of chunks handed to the runner between progress reports. */
const REPORT_GROUP = 16;

export async function compress(input: Uint8Array, model: LoadedModel, opts: CodingOptions = {}): Promise<Uint8Array> {
  const chunkTokens = opts.chunkTokens ?? model.contextTokens;
  if (!Number.isInteger(chunkTokens) || chunkTokens < 1 || chunkTokens > model.identity.config.maxPos - 1) {
    throw new UsageError(`Chunk size must be 1..${model.identity.config.maxPos - 1} tokens for this model.`);
  }
  const runner = opts.runner ?? localRunner(model, opts.batch ?? 8);
  const store = opts.storeIncompressible !== false;
  opts.onProgress?.({ stage: 'tokenizing', bytesDone: 0, bytesTotal: input.length });
  const ids = model.tokenizer.encode(input);
  throwIfAborted(opts.signal);
  const plans = planChunks(ids, model.tokenizer.tokenBytes, chunkTokens);
  const bytesOf = (p: ChunkPlan) => input.subarray(p.byteStart, p.byteEnd);
  const entries: ChunkEntry[] = new Array(plans.length);
  const payloads: Uint8Array[] = new Array(plans.length);
  const meter = new Meter('compress', input.length, opts.onProgress);
  let bytesDone = 0;
  let bits = 0;

  const storeChunk = (i: number) => {
    const raw = bytesOf(plans[i]!);
    entries[i] = { kind: 'stored', count: raw.length, payloadLength: raw.length, crc32: crc32(raw) };
    payloads[i] = raw;
  };
  const modelChunks: number[] = [];
  plans.forEach((p, i) => (store && looksBinary(bytesOf(p)) ? storeChunk(i) : modelChunks.push(i)));

  for (let g = 0; g < modelChunks.length; g += REPORT_GROUP) {
    throwIfAborted(opts.signal);
    const group = modelChunks.slice(g, g + REPORT_GROUP);
    const coded = await runner.encode(
      group.map((i) => ids.subarray(plans[i]!.tokenStart, plans[i]!.tokenEnd)),
      opts.signal,
    );
    group.forEach((i, k) => {
      const p = plans[i]!;
      const raw = bytesOf(p);
      const payload = coded[k]!;
      if (store && payload.length >= raw.length) storeChunk(i);
      else {
        entries[i] = { kind: 'model', count: p.tokenEnd - p.tokenStart, payloadLength: payload.length, crc32: crc32(raw) };
        payloads[i] = payload;
      }
      bytesDone += raw.length;
      bits += payloads[i]!.length * 8;
      meter.tokens += p.tokenEnd - p.tokenStart;
    });
    meter.report(bytesDone, bits);
  }
  meter.report(input.length, bits, true);
  const merged = mergeStoredRuns(plans, entries, payloads, input);
  const archive = writeArchive(
    { model: stampOf(model.identity), chunkTokens, originalLength: input.length, chunks: merged.entries, crc32: crc32(input) },
    merged.payloads,
  );
  opts.onProgress?.({ stage: 'done', bytesIn: input.length, bytesOut: archive.length, seconds: meter.seconds });
  return archive;
}

/** Neighbouring stored chunks become one, so binary data pays one entry, not one per chunk. */
function mergeStoredRuns(plans: ChunkPlan[], entries: ChunkEntry[], payloads: Uint8Array[], input: Uint8Array) {
  const outEntries: ChunkEntry[] = [];
  const outPayloads: Uint8Array[] = [];
  for (let i = 0; i < entries.length; i++) {
    let j = i;
    if (entries[i]!.kind === 'stored') while (j + 1 < entries.length && entries[j + 1]!.kind === 'stored') j++;
    if (j === i) {
      // a model chunk, or a stored one with no stored neighbour: its entry (and CRC) stands
      outEntries.push(entries[i]!);
      outPayloads.push(payloads[i]!);
      continue;
    }
    const raw = input.subarray(plans[i]!.byteStart, plans[j]!.byteEnd);
    outEntries.push({ kind: 'stored', count: raw.length, payloadLength: raw.length, crc32: crc32(raw) });
    outPayloads.push(raw);
    i = j;
  }
  return { entries: outEntries, payloads: outPayloads };
}

export async function decompress(archive: Uint8Array, model: LoadedModel | null, opts: CodingOptions = {}): Promise<Uint8Array> {
  const parsed = readArchive(archive);
  const { header } = parsed;
  const needsModel = header.chunks.some((c) => c.kind === 'model');
  if (needsModel) {
    if (!model) throw new UsageError(`This archive needs model "${header.model.name}"; none is loaded.`);
    checkModel(header, stampOf(model.identity));
    if (header.chunks.some((c) => c.kind === 'model' && c.count > model.identity.config.maxPos - 1)) {
      throw new CorruptArchiveError('The archive asks for chunks longer than the model supports: it is damaged.');
    }
  }
  const parts: Uint8Array[] = new Array(header.chunks.length);
  const meter = new Meter('decompress', header.originalLength, opts.onProgress);
  let bytesDone = 0;

  const finishChunk = (i: number, bytes: Uint8Array) => {
    if (crc32(bytes) !== header.chunks[i]!.crc32) {
      throw new CorruptArchiveError(`Chunk ${i + 1} of ${header.chunks.length} is damaged (checksum mismatch). Get the file or link again.`);
    }
    parts[i] = bytes;
    bytesDone += bytes.length;
  };

  const modelChunks: number[] = [];
  header.chunks.forEach((c, i) => (c.kind === 'stored' ? finishChunk(i, parsed.payload(i).slice()) : modelChunks.push(i)));

  if (model && modelChunks.length) {
    const runner = opts.runner ?? localRunner(model, opts.batch ?? 8);
    for (let g = 0; g < modelChunks.length; g += REPORT_GROUP) {
      throwIfAborted(opts.signal);
      const group = modelChunks.slice(g, g + REPORT_GROUP);
      const ids = await runner.decode(
        group.map((i) => ({ payload: parsed.payload(i), count: header.chunks[i]!.count })),
        opts.signal,
        (n) => {
          meter.tokens += n;
          meter.report(bytesDone, 0);
        },
      );
      group.forEach((i, k) => finishChunk(i, model.tokenizer.decode(ids[k]!)));
    }
  }

  const out = new Uint8Array(bytesDone);
  let o = 0;
  for (const p of parts) (out.set(p!, o), (o += p!.length));
  if (out.length !== header.originalLength || crc32(out) !== header.crc32) {
    throw new CorruptArchiveError('The archive is damaged: the restored data does not match its checksum. Get the file or link again.');
  }
  meter.report(out.length, archive.length * 8, true);
  opts.onProgress?.({ stage: 'done', bytesIn: archive.length, bytesOut: out.length, seconds: meter.seconds });
  return out;
}
