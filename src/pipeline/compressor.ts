/**
 * Compression and decompression: tokenize, chunk, code the chunks (on this
 * thread or a worker pool, see runner.ts), assemble the container.
 */
import { CancelledError, CorruptArchiveError, DeviceMismatchError, UsageError } from '../codec/errors.js';
import { crc32 } from '../codec/crc32.js';
import { checkModel, readArchive, writeArchive, type ChunkEntry } from '../format/container.js';
import type { LoadedModel } from '../model/loadedModel.js';
import { isLockstep, stampOf } from '../model/types.js';
import { HUB_NUMERICS_ID, readHubStamp, stampDifferences, writeHubStamp, type HubStamp } from '../model/hub/hubStamp.js';
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
  /** Decode the new archive and compare before returning it (default: on for hub models, off for the exact engine). */
  verify?: boolean;
  /** One-chunk archives in the short form (docs/format.md), default true. */
  compact?: boolean;
  /** Told before decoding an archive made on another kind of device. */
  onWarning?: (message: string) => void;
}

/** Lockstep (hub) engines batch this many chunks unless told otherwise. */
const LOCKSTEP_BATCH = 4;

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
  const lockstep = isLockstep(model.engine);
  // A hub model's numbers depend on how chunks are grouped, so its chunks are
  // coded here, in groups the decoder rebuilds from the recorded batch size.
  const batch = opts.batch ?? (lockstep ? LOCKSTEP_BATCH : 8);
  const runner = lockstep ? localRunner(model, batch) : (opts.runner ?? localRunner(model, batch));
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
      // (not for hub models: a chunk stored now would regroup the decoder's batches)
      if (store && !lockstep && payload.length >= raw.length) storeChunk(i);
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
  const extension = isLockstep(model.engine) ? writeHubStamp({ ...model.engine.origin, batch }) : undefined;
  const archive = writeArchive(
    { model: stampOf(model.identity), chunkTokens, originalLength: input.length, chunks: merged.entries, crc32: crc32(input), extension },
    merged.payloads,
    { compact: opts.compact ?? true },
  );
  if (opts.verify ?? lockstep) {
    const back = await decompress(archive, model, { runner: opts.runner, batch: opts.batch, signal: opts.signal }).catch((e: unknown) => {
      if (e instanceof CorruptArchiveError || e instanceof DeviceMismatchError) return null;
      throw e;
    });
    if (!back || back.length !== input.length || !back.every((b, i) => b === input[i])) {
      throw new DeviceMismatchError(
        lockstep
          ? `Model "${model.identity.name}" did not give the same predictions twice on this device (${model.engine.backend}), so its archive would not decode. Try another backend or dtype, or use the default model.`
          : 'Verification failed: the archive does not decode to the input. Please report this.',
      );
    }
  }
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
  let hubStamp: HubStamp | null = null;
  const needsModel = header.chunks.some((c) => c.kind === 'model');
  if (needsModel) {
    if (!model) throw new UsageError(`This archive needs model "${header.model.name}"; none is loaded.`);
    checkModel(header, stampOf(model.identity));
    hubStamp = hubStampFor(header.model.numericsId, header.extension, model, opts.onWarning);
    if (header.chunks.some((c) => c.kind === 'model' && c.count > model.identity.config.maxPos - 1)) {
      throw new CorruptArchiveError('The archive asks for chunks longer than the model supports: it is damaged.');
    }
  }
  const parts: Uint8Array[] = new Array(header.chunks.length);
  const meter = new Meter('decompress', header.originalLength, opts.onProgress);
  let bytesDone = 0;

  const finishChunk = (i: number, bytes: Uint8Array) => {
    if (crc32(bytes) !== header.chunks[i]!.crc32) {
      if (hubStamp && header.chunks[i]!.kind === 'model') {
        throw new DeviceMismatchError(
          `Chunk ${i + 1} of ${header.chunks.length} did not decode to the original. This archive was made with hub model "${header.model.name}" ` +
            `on ${hubStamp.backend} (${hubStamp.device}, ${hubStamp.dtype}); such archives decode only on the same kind of device and backend — open it there. ` +
            `(If it was made there, the file is damaged: get it again.)`,
        );
      }
      throw new CorruptArchiveError(`Chunk ${i + 1} of ${header.chunks.length} is damaged (checksum mismatch). Get the file or link again.`);
    }
    parts[i] = bytes;
    bytesDone += bytes.length;
  };

  const modelChunks: number[] = [];
  header.chunks.forEach((c, i) => (c.kind === 'stored' ? finishChunk(i, parsed.payload(i).slice()) : modelChunks.push(i)));

  if (model && modelChunks.length) {
    const runner = hubStamp ? localRunner(model, hubStamp.batch) : (opts.runner ?? localRunner(model, opts.batch ?? 8));
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

/**
 * For hub-model archives: the recorded origin (whose batch size the decoder
 * must use), with a warning when this device differs from the one that made it.
 */
function hubStampFor(numericsId: number, extension: Uint8Array | undefined, model: LoadedModel, onWarning?: (m: string) => void): HubStamp | null {
  const engine = model.engine;
  if (numericsId !== HUB_NUMERICS_ID) return null;
  if (!isLockstep(engine)) throw new UsageError('This archive was made with a hub model; load that model to open it.');
  const stamp = readHubStamp(extension);
  const diff = stampDifferences(stamp, engine.origin);
  if (diff.length) {
    onWarning?.(
      `This archive was made on another kind of device (${diff.join('; ')}). Hub-model archives decode reliably only where they were made; trying anyway — a checksum will tell.`,
    );
  }
  return stamp;
}
