/**
 * Compression: bytes in slices -> segments -> token ids -> chunks -> coded
 * on this thread or a worker pool (runner.ts) -> payloads spooled until the
 * header, which comes first, can be written. Memory stays bounded by a
 * segment, a group of chunks and the spool (a temporary file in the CLI).
 */
import { DeviceMismatchError, CorruptArchiveError, UsageError } from '../codec/errors.js';
import { crc32 } from '../codec/crc32.js';
import { encodeHeader, type ChunkEntry } from '../format/container.js';
import type { LoadedModel } from '../model/loadedModel.js';
import { SegmentSplitter } from '../model/tokenizer.js';
import { isLockstep, stampOf } from '../model/types.js';
import { writeHubStamp } from '../model/hub/hubStamp.js';
import { bufferSource, concatSources, MemorySink, MemorySpool, type ByteSink, type ByteSource, type PayloadSpool } from './byteStreams.js';
import { ChunkAssembler, looksBinary, type Chunk } from './chunking.js';
import type { CodedChunk, Steering } from './chunkCoder.js';
import { decompressStream } from './decompressor.js';
import { groupSize, Meter, throwIfAborted } from './meter.js';
import type { ProgressListener } from './progress.js';
import { localRunner, type ChunkRunner } from './runner.js';
import { ArchivePromptLedger, type ArchivePromptOptions } from '../steering/archivePromptPlan.js';
import { learnPrompt } from '../steering/learnPrompt.js';

export { decompress, decompressStream, openArchive, decodeArchive } from './decompressor.js';

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
  /** Decode the new archive and check it before returning (default: on for hub models, off for the exact engine). */
  verify?: boolean;
  /** One-chunk archives in the short form (docs/format.md), default true. */
  compact?: boolean;
  /** Told before decoding an archive made on another kind of device. */
  onWarning?: (message: string) => void;
  /** Whether chunks may be coded after one of the model's domain soft prompts (default 'off'; docs/steering.md). */
  steering?: Steering;
  /** Under steering 'max': the prompt learned on the input (default: learned for big inputs, kept only when it pays); false: never. */
  archivePrompt?: ArchivePromptOptions | false;
}

export interface StreamOptions extends CodingOptions {
  /** Size of the input when known: progress percentages and ETA. */
  totalBytes?: number;
  /** Where payloads wait for the header (default: memory). */
  spool?: PayloadSpool;
}

export interface StreamResult {
  bytesIn: number;
  bytesOut: number;
}

/** Lockstep (hub) engines batch this many chunks unless told otherwise. */
const LOCKSTEP_BATCH = 4;

/** A chunk on its way into the archive, in input order. */
interface Pending {
  chunk: Chunk;
  /** Stored as raw bytes without coding (binary-looking). */
  binary: boolean;
  coded?: CodedChunk;
}

export async function compressStream(source: ByteSource, model: LoadedModel, sink: ByteSink, opts: StreamOptions = {}): Promise<StreamResult> {
  const chunkTokens = opts.chunkTokens ?? model.contextTokens;
  if (!Number.isInteger(chunkTokens) || chunkTokens < 1 || chunkTokens > model.identity.config.maxPos - 1) {
    throw new UsageError(`Chunk size must be 1..${model.identity.config.maxPos - 1} tokens for this model.`);
  }
  const lockstep = isLockstep(model.engine);
  // A hub model's numbers depend on how chunks are grouped, so its chunks are
  // coded here, in batches the decoder rebuilds from the recorded batch size:
  // consecutive runs of `batch` model-coded chunks.
  const batch = opts.batch ?? (lockstep ? LOCKSTEP_BATCH : 8);
  const runner = lockstep ? localRunner(model, batch) : (opts.runner ?? localRunner(model, batch));
  const group = groupSize(runner.capacity, batch);
  const store = opts.storeIncompressible !== false;
  const spool = opts.spool ?? new MemorySpool();
  const entries: ChunkEntry[] = [];
  const meter = new Meter('compress', opts.totalBytes ?? 0, opts.onProgress);
  let bytesIn = 0;
  let crcAll = 0;
  let bytesDone = 0;
  let bits = 0;
  // steering 'max' on the exact engine: a prompt of the archive's own, learned once enough chunks are waiting
  const promptOpts = opts.archivePrompt === false ? null : (opts.archivePrompt ?? {});
  let promptTried = !(opts.steering === 'max' && !lockstep && model.weights && promptOpts);
  let ledger = null as ArchivePromptLedger | null;

  try {
    /** Appends in input order; neighbouring stored chunks become one entry, so binary data pays one entry, not one per chunk. */
    const append = async (kind: 'model' | 'stored', count: number, raw: Uint8Array, payload: Uint8Array, prompt = 0) => {
      const last = entries[entries.length - 1];
      if (kind === 'stored' && last?.kind === 'stored') {
        last.count += raw.length;
        last.payloadLength += raw.length;
        last.crc32 = crc32(raw, last.crc32);
      } else {
        entries.push({ kind, count, payloadLength: payload.length, crc32: crc32(raw), prompt });
      }
      await spool.append(payload);
      bytesDone += raw.length;
      bits += payload.length * 8;
    };

    let queue: Pending[] = [];
    /** Appends the queue's head up to the first chunk still waiting to be coded. */
    const drain = async () => {
      let i = 0;
      for (; i < queue.length; i++) {
        const p = queue[i]!;
        if (!p.binary && !p.coded) break;
        const raw = p.chunk.bytes;
        // (not for hub models: a chunk stored now would regroup the decoder's batches)
        if (p.binary || (store && !lockstep && p.coded!.payload.length >= raw.length)) await append('stored', raw.length, raw, raw);
        else {
          await append('model', p.chunk.ids.length, raw, p.coded!.payload, p.coded!.prompt);
          ledger?.note(entries.length - 1, p.coded!);
        }
        meter.tokens += p.chunk.ids.length;
      }
      queue = queue.slice(i);
      meter.report(bytesDone, bits);
    };
    /** Codes whole groups of waiting model chunks (all of them when `final`), then drains. */
    const codeQueue = async (final: boolean) => {
      const waiting = queue.filter((p) => !p.binary && !p.coded);
      const n = final ? waiting.length : waiting.length - (waiting.length % group);
      if (n > 0) {
        throwIfAborted(opts.signal);
        if (!promptTried) {
          promptTried = true;
          ledger = await archivePromptFor(model, waiting.map((p) => p.chunk), chunkTokens, promptOpts!, opts);
        }
        const coded = await runner.encode(waiting.slice(0, n).map((p) => p.chunk.ids), opts.signal, opts.steering, ledger?.prompt.vectors);
        coded.forEach((c, k) => (waiting[k]!.coded = c));
      }
      await drain();
    };

    const splitter = new SegmentSplitter();
    const chunker = new ChunkAssembler(chunkTokens, model.tokenizer.tokenBytes);
    const take = async (final: boolean) => {
      for (const chunk of chunker.take(Infinity, final)) queue.push({ chunk, binary: store && looksBinary(chunk.bytes) });
      await codeQueue(final);
    };
    const feed = async (segments: Uint8Array[]) => {
      for (const seg of segments) {
        if (store && looksBinary(seg)) {
          // Not worth tokenizing what will be stored: the chunk so far ends here and the segment goes in whole.
          for (const chunk of chunker.take(Infinity, true)) queue.push({ chunk, binary: looksBinary(chunk.bytes) });
          queue.push({ chunk: { ids: new Int32Array(0), bytes: seg }, binary: true });
        } else chunker.push(model.tokenizer.encodeSegment(seg), seg);
      }
      await take(false);
    };

    opts.onProgress?.({ stage: 'tokenizing', bytesDone: 0, bytesTotal: opts.totalBytes ?? 0 });
    for await (const slice of source) {
      throwIfAborted(opts.signal);
      crcAll = crc32(slice, crcAll);
      bytesIn += slice.length;
      await feed(splitter.push(slice));
    }
    await feed(splitter.end());
    await take(true);
    meter.report(bytesIn, bits, true);

    const extension = lockstep && isLockstep(model.engine) ? writeHubStamp({ ...model.engine.origin, batch }) : undefined;
    // the archive's prompt stays only if it saved more than it costs
    const spooledLengths = entries.map((e) => e.payloadLength);
    const keepPrompt = ledger?.settle(entries) ?? false;
    const payloads = () => (ledger && !keepPrompt ? ledger.splice(spool.replay(), spooledLengths) : spool.replay());
    const header = encodeHeader(
      {
        model: stampOf(model.identity),
        chunkTokens,
        originalLength: bytesIn,
        chunks: entries,
        crc32: crcAll,
        extension,
        archivePrompt: keepPrompt ? ledger!.prompt.bytes : undefined,
      },
      { compact: opts.compact ?? true },
    );
    if (opts.verify ?? lockstep) await verify(header, payloads, model, opts);
    await sink.write(header);
    for await (const part of payloads()) await sink.write(part);
    const bytesOut = header.length + entries.reduce((n, e) => n + e.payloadLength, 0);
    opts.onProgress?.({ stage: 'done', bytesIn, bytesOut, seconds: meter.seconds });
    return { bytesIn, bytesOut };
  } finally {
    await spool.dispose();
  }
}

/** Decodes the new archive (checking every chunk's and the whole CRC-32) before anyone gets it. */
async function verify(header: Uint8Array, payloads: () => ByteSource, model: LoadedModel, opts: CodingOptions): Promise<void> {
  const lockstep = isLockstep(model.engine);
  const ok = await decompressStream(concatSources(bufferSource(header), payloads()), model, { write() {} }, {
    runner: opts.runner,
    batch: opts.batch,
    signal: opts.signal,
  }).then(
    () => true,
    (e: unknown) => {
      if (e instanceof CorruptArchiveError || e instanceof DeviceMismatchError) return false;
      throw e;
    },
  );
  if (!ok) {
    throw new DeviceMismatchError(
      lockstep
        ? `Model "${model.identity.name}" did not give the same predictions twice on this device (${model.engine.backend}), so its archive would not decode. Try another backend or dtype, or use the default model.`
        : 'Verification failed: the archive does not decode to the input. Please report this.',
    );
  }
}

/**
 * Learns the archive's prompt on the chunks waiting to be coded (or takes the
 * one given), when the input looks big enough for it to pay; null otherwise.
 */
async function archivePromptFor(model: LoadedModel, waiting: Chunk[], chunkTokens: number, o: ArchivePromptOptions, opts: StreamOptions): Promise<ArchivePromptLedger | null> {
  if (o.coded) return new ArchivePromptLedger(o.coded, o.keep);
  const bytes = waiting.reduce((n, c) => n + c.bytes.length, 0);
  const expectedChunks = opts.totalBytes && bytes ? (opts.totalBytes * waiting.length) / bytes : waiting.length;
  if (expectedChunks < (o.minChunks ?? 32) || !waiting.length) return null;
  const learned = await learnPrompt(
    model.weights!,
    waiting.map((c) => c.ids),
    {
      prior: o.prior,
      steps: o.steps,
      sampleChunks: o.sampleChunks,
      totalTokens: Math.round(expectedChunks * chunkTokens),
      signal: opts.signal,
      onStep: (step, steps) => opts.onProgress?.({ stage: 'learning-prompt', step, steps }),
    },
  );
  throwIfAborted(opts.signal);
  return learned.expectedNetBits > 0 || o.keep === 'always' ? new ArchivePromptLedger(learned.coded, o.keep) : null;
}

/** The whole archive of an in-memory input. */
export async function compress(input: Uint8Array, model: LoadedModel, opts: CodingOptions = {}): Promise<Uint8Array> {
  const sink = new MemorySink();
  await compressStream(bufferSource(input), model, sink, { ...opts, totalBytes: input.length });
  return sink.bytes();
}

