/**
 * Compression and decompression on one thread: tokenize, chunk, run the
 * engine, range-code. The worker pool and the CLI both drive these.
 */
import { CancelledError, CorruptArchiveError, UsageError } from '../codec/errors.js';
import { crc32 } from '../codec/crc32.js';
import { logitsToTable } from '../codec/logitsToFrequencies.js';
import { RangeDecoder, RangeEncoder } from '../codec/rangeCoder.js';
import { checkModel, readArchive, writeArchive, type ChunkEntry } from '../format/container.js';
import type { LoadedModel } from '../model/loadedModel.js';
import { stampOf } from '../model/types.js';
import { looksBinary, planChunks, type ChunkPlan } from './chunking.js';
import type { ProgressListener } from './progress.js';

export interface CodingOptions {
  /** Tokens per chunk (default: the model's training context). */
  chunkTokens?: number;
  /** Chunks run through the engine together. */
  batch?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Keep chunks the model cannot shrink as raw bytes (default true). */
  storeIncompressible?: boolean;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

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

export async function compress(input: Uint8Array, model: LoadedModel, opts: CodingOptions = {}): Promise<Uint8Array> {
  const chunkTokens = opts.chunkTokens ?? model.contextTokens;
  if (!Number.isInteger(chunkTokens) || chunkTokens < 1 || chunkTokens > model.identity.config.maxPos - 1) {
    throw new UsageError(`Chunk size must be 1..${model.identity.config.maxPos - 1} tokens for this model.`);
  }
  const batch = Math.max(1, opts.batch ?? 8);
  opts.onProgress?.({ stage: 'tokenizing', bytesDone: 0, bytesTotal: input.length });
  const ids = model.tokenizer.encode(input);
  throwIfAborted(opts.signal);
  const plans = planChunks(ids, model.tokenizer.tokenBytes, chunkTokens);
  const entries: ChunkEntry[] = new Array(plans.length);
  const payloads: Uint8Array[] = new Array(plans.length);
  const meter = new Meter('compress', input.length, opts.onProgress);
  let bytesDone = 0;
  let bits = 0;
  const bos = model.identity.config.bos;
  const V = model.identity.config.vocab;

  const store = (i: number) => {
    const p = plans[i]!;
    const raw = input.subarray(p.byteStart, p.byteEnd);
    entries[i] = { kind: 'stored', count: raw.length, payloadLength: raw.length, crc32: crc32(raw) };
    payloads[i] = raw;
  };

  const modelChunks: number[] = [];
  plans.forEach((p, i) =>
    opts.storeIncompressible !== false && looksBinary(input.subarray(p.byteStart, p.byteEnd)) ? store(i) : modelChunks.push(i),
  );

  for (let b = 0; b < modelChunks.length; b += batch) {
    throwIfAborted(opts.signal);
    const group = modelChunks.slice(b, b + batch);
    const seqs = group.map((i) => {
      const p = plans[i]!;
      const seq = new Int32Array(p.tokenEnd - p.tokenStart);
      seq[0] = bos;
      seq.set(ids.subarray(p.tokenStart, p.tokenEnd - 1), 1);
      return seq;
    });
    const logits = await model.engine.prefill(seqs);
    group.forEach((i, g) => {
      const p = plans[i]!;
      const enc = new RangeEncoder();
      const rows = logits[g]!;
      for (let t = p.tokenStart; t < p.tokenEnd; t++) {
        const row = t - p.tokenStart;
        enc.encode(logitsToTable(rows.subarray(row * V, (row + 1) * V)), ids[t]!);
      }
      const payload = enc.finish();
      const raw = input.subarray(p.byteStart, p.byteEnd);
      if (payload.length >= raw.length && opts.storeIncompressible !== false) store(i);
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
    if (entries[i]!.kind !== 'stored') {
      outEntries.push(entries[i]!);
      outPayloads.push(payloads[i]!);
      continue;
    }
    let j = i;
    while (j + 1 < entries.length && entries[j + 1]!.kind === 'stored') j++;
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
  }
  const batch = Math.max(1, opts.batch ?? 8);
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

  if (model) {
    const { engine, tokenizer } = model;
    const V = model.identity.config.vocab;
    if (header.chunks.some((c) => c.kind === 'model' && c.count > model.identity.config.maxPos - 1)) {
      throw new CorruptArchiveError('The archive asks for chunks longer than the model supports: it is damaged.');
    }
    for (let b = 0; b < modelChunks.length; b += batch) {
      const group = modelChunks.slice(b, b + batch);
      const decoders = group.map((i) => new RangeDecoder(parsed.payload(i)));
      const outIds = group.map((i) => new Int32Array(header.chunks[i]!.count));
      const streams = group.map((i) => engine.newStream(header.chunks[i]!.count));
      let live = group.map((_, g) => g);
      let next = new Int32Array(group.length).fill(model.identity.config.bos);
      try {
        for (let t = 0; live.length > 0; t++) {
          throwIfAborted(opts.signal);
          const logits = await engine.step(
            live.map((g) => streams[g]!),
            Int32Array.from(live, (g) => next[g]!),
          );
          live.forEach((g, k) => {
            const sym = decoders[g]!.decode(logitsToTable(logits[k]!.subarray(0, V)));
            outIds[g]![t] = sym;
            next[g] = sym;
          });
          meter.tokens += live.length;
          live = live.filter((g) => t + 1 < outIds[g]!.length);
          meter.report(bytesDone, 0);
        }
      } finally {
        streams.forEach((s) => engine.freeStream(s));
      }
      group.forEach((i, g) => finishChunk(i, tokenizer.decode(outIds[g]!)));
    }
  }

  const out = new Uint8Array(bytesDone);
  let o = 0;
  for (const p of parts) {
    out.set(p!, o);
    o += p!.length;
  }
  if (out.length !== header.originalLength || crc32(out) !== header.crc32) {
    throw new CorruptArchiveError('The archive is damaged: the restored data does not match its checksum. Get the file or link again.');
  }
  meter.report(out.length, archive.length * 8, true);
  opts.onProgress?.({ stage: 'done', bytesIn: archive.length, bytesOut: out.length, seconds: meter.seconds });
  return out;
}
