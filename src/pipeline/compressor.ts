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
import { learnPrompt } from '../steering/learnPrompt.js';
import { ArchivePromptLedger, type ArchivePromptOptions } from './archivePromptLedger.js';
import { bufferSource, concatSources, MemorySink, MemorySpool, type ByteSink, type ByteSource, type PayloadSpool } from './byteStreams.js';
import { ChunkAssembler, looksBinary, type Chunk } from './chunking.js';
import type { CodedChunk } from './chunkCoder.js';
import { DEFAULT_ROUND_WIDTH, exactBatch, LOCKSTEP_BATCH } from './defaults.js';
import { EncoderMixing } from '../mixing/encoderMixing.js';
import { LineFeedFolder, usesCrlf } from '../mixing/lineEndings.js';
import { BYTES_MIXING_V2, MAX_ROUND_WIDTH, TOKEN_MIXING, type MixingInfo } from '../format/codingBlock.js';
import { BYTE_CHUNK_BYTES, ByteRoute, FIRST_WEIGHING, weighCodings } from './byteRoute.js';
import { decompressStream } from './decompressor.js';
import { groupSize, Meter, throwIfAborted } from './meter.js';
import type { CodingOptions, StreamOptions } from './options.js';
import { localRunner, type ChunkRunner } from './runner.js';
import { nextTask } from './yieldToHost.js';
import { BitsLedger, predictorOfMask, type BitsMap, type ChunkBits } from './bitsMap.js';

export interface StreamResult {
  bytesIn: number;
  bytesOut: number;
  /** With `recordBits`: where the archive's bits went. */
  bits?: BitsMap;
}

/** A chunk on its way into the archive, in input order. */
interface Pending {
  chunk: Chunk;
  /** Stored as raw bytes without coding (binary-looking). */
  binary: boolean;
  coded?: CodedChunk;
  /** Text chunks: its place among the archive's model chunks (mixing rounds count these). */
  ordinal?: number;
}

/**
 * One compression, as named steps: `feed` segments of input, `codeQueue`
 * whole groups of chunks, `drain` finished ones into the chunk table and
 * the spool, then `finish` writes the header and the payloads.
 */
class Compression {
  private readonly lockstep: boolean;
  private readonly batch: number;
  private readonly runner: ChunkRunner;
  private readonly group: number;
  /** Keep chunks the model cannot shrink as raw bytes. */
  private readonly store: boolean;
  private readonly spool: PayloadSpool;
  private readonly meter: Meter;
  private readonly splitter = new SegmentSplitter();
  private readonly chunker: ChunkAssembler;
  private readonly entries: ChunkEntry[] = [];
  private queue: Pending[] = [];
  private bytesIn = 0;
  private crcAll = 0;
  private bytesDone = 0;
  private bits = 0;
  /** Steering 'max' on the exact engine: a prompt of the archive's own, learned once enough chunks are waiting. */
  private readonly promptOptions: ArchivePromptOptions | null;
  private promptTried: boolean;
  private ledger: ArchivePromptLedger | null = null;
  /** Mixing (exact engines, steering other than 'max'): the round width; null when off. */
  private readonly mixingInfo: MixingInfo | null;
  /** The encoder's mixing pass and rounds (null when mixing is off). */
  private readonly mixing: EncoderMixing | null;
  /** The line-ending transform, decided on the first bytes (null: none). */
  private folder: LineFeedFolder | null = null;
  private decidedLineEndings = false;
  private codedBytes = 0;
  /** Version 2 (mixing's chunk table) or not, decided when the first text chunk is appended. */
  private version2: boolean | null = null;
  /** The input has ended (feedLast): everything left is coded, not only whole groups. */
  private final = false;
  private textChunks = 0;
  /** With `recordBits`: each appended chunk's costs (made at the first append, once the transform is known). */
  private bitsLedger: BitsLedger | null = null;
  /** The byte model's coding of the same text (with mixing and `byteModel` on), made once the transform is known; the smaller archive wins. */
  private byteRoute: ByteRoute | null = null;
  /** After each appended entry: where it ends in the coded text, and the text and payload bytes of the LM-coded entries so far (what `weighRoutes` compares). */
  private readonly lmAfter: { end: number; text: number; payload: number }[] = [];
  /** The next byte-model chunk boundary where the two codings are compared, and how far the LM's entries were searched. */
  private nextCheck = FIRST_WEIGHING;
  private lmSeen = 0;
  /** The LM's coding was given up (the byte model is far ahead): the rest of the input goes to the byte model only. */
  private lmDropped = false;
  /** The byte model's coding was given up (the LM is far ahead). */
  private bytesDropped = false;

  constructor(
    private readonly model: LoadedModel,
    private readonly chunkTokens: number,
    private readonly opts: StreamOptions,
  ) {
    this.lockstep = isLockstep(model.engine);
    // A hub model's numbers depend on how chunks are grouped, so its chunks are
    // coded here, in batches the decoder rebuilds from the recorded batch size:
    // consecutive runs of `batch` model-coded chunks.
    this.batch = opts.batch ?? (this.lockstep ? LOCKSTEP_BATCH : exactBatch(model.engine.backend));
    this.runner = this.lockstep ? localRunner(model, this.batch) : (opts.runner ?? localRunner(model, this.batch));
    this.group = groupSize(this.runner.capacity, this.batch);
    this.store = opts.storeIncompressible !== false;
    this.spool = opts.spool ?? new MemorySpool();
    this.meter = new Meter('compress', opts.totalBytes ?? 0, opts.onProgress);
    this.chunker = new ChunkAssembler(chunkTokens, model.tokenizer.tokenBytes);
    this.promptOptions = opts.archivePrompt === false ? null : (opts.archivePrompt ?? {});
    this.promptTried = !(opts.steering === 'max' && !this.lockstep && model.weights && this.promptOptions);
    const width = opts.roundWidth ?? DEFAULT_ROUND_WIDTH;
    if (!Number.isInteger(width) || width < 1 || width > MAX_ROUND_WIDTH) throw new UsageError(`Round width must be 1..${MAX_ROUND_WIDTH} chunks.`);
    this.mixingInfo = opts.mixing !== false && !this.lockstep && opts.steering !== 'max' ? { id: TOKEN_MIXING, roundWidth: width } : null;
    this.mixing = this.mixingInfo ? new EncoderMixing(width, model.identity.config.vocab) : null;
    this.decidedLineEndings = opts.lineEndings === false;
    // (under 'max' a learned prompt may be dropped at the end, swapping chunks' codings after their costs were taken)
    if (opts.recordBits && opts.steering === 'max') throw new UsageError("The bits view is not available with steering 'max'.");
  }

  /** The input as the model sees it: with the line-ending transform once the first slice shows CRLF text. */
  private coded(slice: Uint8Array): Uint8Array {
    if (!this.decidedLineEndings && slice.length) {
      this.decidedLineEndings = true;
      if (usesCrlf(slice)) this.folder = new LineFeedFolder();
    }
    return this.counted(this.folder ? this.folder.push(slice) : slice);
  }

  /** Coded text on its way to the chunks (and to the byte model). */
  private counted(out: Uint8Array): Uint8Array {
    this.codedBytes += out.length;
    if (this.mixingInfo && this.opts.byteModel !== false && !this.byteRoute && !this.bytesDropped) {
      const ledger = this.opts.recordBits ? new BitsLedger(null, this.folder ? this.folder.exceptions : null) : null;
      this.byteRoute = new ByteRoute(ledger);
    }
    this.byteRoute?.push(out);
    return out;
  }

  async run(source: ByteSource, sink: ByteSink): Promise<StreamResult> {
    try {
      this.opts.onProgress?.({ stage: 'tokenizing', bytesDone: 0, bytesTotal: this.opts.totalBytes ?? 0 });
      // One slice read ahead, so the last slice is known as the last before its chunks are coded:
      // they then go out with the input's end in one request, where whole groups went first and the
      // few chunks left over waited for them (the workers idled through that last request's tail).
      // Under steering 'max' the first request learns the archive's prompt on whole groups: an input
      // whose first request is still to come keeps the old order.
      const slices = source[Symbol.asyncIterator]();
      let ended = false;
      try {
        let next = await slices.next();
        while (!next.done) {
          throwIfAborted(this.opts.signal);
          const slice = next.value;
          this.crcAll = crc32(slice, this.crcAll);
          this.bytesIn += slice.length;
          const segments = this.splitter.push(this.coded(slice));
          next = await slices.next();
          if (next.done && this.promptTried) {
            await this.feedLast(segments);
            ended = true;
          } else await this.feed(segments);
        }
      } finally {
        if (!ended) await slices.return?.();
      }
      if (!ended) await this.feedLast([]);
      this.byteRoute?.pump(true);
      this.meter.report(this.bytesIn, this.bits, true);
      return await this.finish(sink);
    } finally {
      await this.spool.dispose();
    }
  }

  /** The last segments of the input, then its end: everything left is coded. */
  private async feedLast(segments: Uint8Array[]): Promise<void> {
    const last = segments.slice();
    // (what the folder held back — a CR that ended the input — is coded text already: not folded again)
    if (this.folder) last.push(...this.splitter.push(this.counted(this.folder.end())));
    last.push(...this.splitter.end());
    this.final = true;
    await this.feed(last);
  }

  /** Segments of input into chunks (binary-looking segments go in whole, untokenized, to be stored), then coded: whole groups, or everything once the input has ended. */
  private async feed(segments: Uint8Array[]): Promise<void> {
    if (this.lmDropped) return this.byteModelOnly();
    const { model, store, chunker } = this;
    for (const seg of segments) {
      if (store && looksBinary(seg)) {
        // Not worth tokenizing what will be stored: the chunk so far ends here and the segment goes in whole.
        for (const chunk of chunker.take(Infinity, true)) this.enqueue(chunk, looksBinary(chunk.bytes));
        this.queue.push({ chunk: { ids: new Int32Array(0), bytes: seg }, binary: true });
      } else chunker.push(model.tokenizer.encodeSegment(seg), seg);
    }
    await this.take();
  }

  /** A chunk into the queue; text chunks join the token log, which mixing's histories come from. */
  private enqueue(chunk: Chunk, binary: boolean): void {
    if (binary) return void this.queue.push({ chunk, binary });
    this.queue.push({ chunk, binary, ordinal: this.textChunks++ });
    this.mixing?.rounds.log.append(chunk.ids);
  }

  /** Once the LM is dropped: the byte model codes what has come, and progress follows it. */
  private byteModelOnly(): void {
    this.byteRoute!.pump(this.final);
    this.meter.report(Math.min(this.bytesIn, this.byteRoute!.textBytes), this.byteRoute!.payloadBytes * 8);
  }

  /**
   * Compares the two codings at each byte-model chunk boundary both have
   * passed, from FIRST_WEIGHING on (`weighCodings`), and drops the one far
   * behind: the LM's where the byte model is far ahead (a text the LM barely
   * knows: finishing it would only cost time), the byte model's where the LM
   * is (its payloads wait in memory, and its thread's time is better left to
   * the workers). Only the data decides (sizes at fixed points of the text),
   * never how far the workers got, so every thread count and batch size
   * makes the same archive.
   */
  private weighRoutes(): void {
    const route = this.byteRoute;
    if (!route || this.lmDropped) return;
    for (;;) {
      const end = this.nextCheck * BYTE_CHUNK_BYTES;
      if (route.chunksCoded < this.nextCheck || this.bytesDone < end) return;
      // the LM's entries that end at or before this boundary
      while (this.lmSeen < this.lmAfter.length && this.lmAfter[this.lmSeen]!.end <= end) this.lmSeen++;
      const lm = this.lmSeen ? this.lmAfter[this.lmSeen - 1]! : { text: 0, payload: 0 };
      const bytes = route.modelledOfFirst(this.nextCheck);
      const keep = weighCodings(bytes.payload, bytes.text, lm.payload, lm.text, this.nextCheck);
      if (keep === 'bytes') {
        this.lmDropped = true;
        this.queue = [];
        return;
      }
      if (keep === 'lm') {
        this.byteRoute = null;
        this.bytesDropped = true;
        return;
      }
      this.nextCheck++;
    }
  }

  /** Finished chunks into the queue, then code what fills whole groups (everything once the input has ended). */
  private async take(): Promise<void> {
    if (this.lmDropped) return this.byteModelOnly();
    for (const chunk of this.chunker.take(Infinity, this.final)) this.enqueue(chunk, this.store && looksBinary(chunk.bytes));
    await this.codeQueue();
  }

  /** Codes whole groups of waiting model chunks (all of them once the input has ended), then drains. */
  private async codeQueue(): Promise<void> {
    for (;;) {
      const waiting = this.queue.filter((p) => !p.binary && !p.coded);
      let n = this.final ? waiting.length : waiting.length - (waiting.length % this.group);
      // while the codings are weighed, one group at a time: the LM stops soon after the byte model proves far better
      if (this.weighing) n = Math.min(n, this.group);
      if (n > 0) await this.codeRequest(waiting, n);
      await this.drain();
      this.weighRoutes();
      if (this.lmDropped) return this.byteModelOnly();
      if (n === 0) return;
    }
  }

  /** Whether the first comparisons of the LM's and the byte model's codings are still to come (weighRoutes). */
  private get weighing(): boolean {
    return !!this.byteRoute && !this.lmDropped && this.nextCheck <= LAST_EAGER_CHECK;
  }

  /** The first `n` waiting chunks through the runner (the LM), then through the mixer, in order. */
  private async codeRequest(waiting: Pending[], n: number): Promise<void> {
    throwIfAborted(this.opts.signal);
    if (!this.promptTried) {
      this.promptTried = true;
      this.ledger = await archivePromptFor(this.model, waiting.map((p) => p.chunk), this.chunkTokens, this.promptOptions!, this.opts);
    }
    const chunks = waiting.slice(0, n).map((p) => p.chunk);
    // progress from inside the group: each coded chunk's tokens, counted as their share of the group's bytes
    const bytesPerToken = chunks.reduce((s, c) => s + c.bytes.length, 0) / Math.max(1, chunks.reduce((s, c) => s + c.ids.length, 0));
    let inFlight = 0;
    const onTokens = (tokens: number) => {
      this.meter.tokens += tokens;
      inFlight += tokens;
      this.meter.report(this.bytesDone + Math.round(inFlight * bytesPerToken), this.bits);
    };
    const first = waiting[0]!.ordinal!;
    const mixing = this.mixing;
    const history = mixing ? mixing.rounds.historyRequest(first, first + n) : undefined;
    const request = { chunks: chunks.map((c) => c.ids), steering: this.opts.steering, archivePrompt: this.ledger?.prompt.vectors, history };
    const encoding = this.runner.encode(this.opts.signal, request, onTokens);
    // the byte model codes on this thread while the workers run the LM - once the request has
    // reached them: the pool posts it a few promise hops later, which a synchronous pump would
    // hold back (wiki.txt, 2 threads: both workers idle for the first 5 s of 53)
    if (this.byteRoute) {
      encoding.catch(() => {}); // (a failure is taken below, where encoding is awaited)
      await nextTask();
      // as far as the LM gets with this request (at least to the next comparison), not the whole
      // text read so far: on wiki.txt the LM wins the first comparison, at 128 KB, and the byte
      // model coding all 650 KB first cost 6 s of the workers' 2 cores
      const last = this.queue.indexOf(waiting[n - 1]!);
      const reach = this.bytesDone + this.queue.slice(0, last + 1).reduce((sum, p) => sum + p.chunk.bytes.length, 0);
      this.byteRoute?.pump(false, Math.max(this.nextCheck, Math.ceil(reach / BYTE_CHUNK_BYTES)));
    }
    const coded = await encoding;
    coded.forEach((c, k) => {
      const p = waiting[k]!;
      // the mixer runs here, in order: what a round learned passes to the next
      if (mixing && c.features) {
        const m = mixing.mix(p.ordinal!, p.chunk.ids, c.features);
        c.mixed = m.payload;
        c.mixedBits = { bits: m.bits, predictedBy: m.masks.map(predictorOfMask) };
      }
      p.coded = { ...c, features: undefined };
    });
    // later rounds' histories reach back no further than the next one's
    mixing?.rounds.forgetBefore(first + n);
  }

  /** Appends the queue's head up to the first chunk still waiting to be coded. */
  private async drain(): Promise<void> {
    let i = 0;
    for (; i < this.queue.length; i++) {
      const p = this.queue[i]!;
      if (!p.binary && !p.coded) break;
      const raw = p.chunk.bytes;
      const coded = p.coded;
      if (coded && this.version2 === null) this.version2 = this.needsVersion2(coded, raw.length);
      // Version 2: every text chunk stays model-coded (later chunks' histories hold its tokens), by the mixer where that is smaller
      if (coded && this.version2) {
        const mixed = !!coded.mixed && coded.mixed.length < coded.payload.length;
        this.noteBits(p.chunk, mixed ? coded.mixedBits! : { bits: coded.bits });
        await this.append('model', p.chunk.ids.length, raw, mixed ? coded.mixed! : coded.payload, coded.prompt, mixed);
      }
      // (not for hub models: a chunk stored now would regroup the decoder's batches)
      else if (p.binary || (this.store && !this.lockstep && coded!.payload.length >= raw.length)) {
        this.noteBits(p.chunk, null);
        await this.append('stored', raw.length, raw, raw);
      } else {
        this.noteBits(p.chunk, { bits: coded!.bits });
        await this.append('model', p.chunk.ids.length, raw, coded!.payload, coded!.prompt);
        this.ledger?.note(this.entries.length - 1, coded!);
      }
    }
    this.queue = this.queue.slice(i);
    this.meter.report(this.bytesDone, this.bits);
  }

  /** With `recordBits`: a chunk's costs as it goes into the archive (null: stored as it is). */
  private noteBits(chunk: Chunk, bits: ChunkBits | null): void {
    if (!this.opts.recordBits) return;
    this.bitsLedger ??= new BitsLedger(this.model.tokenizer.tokenBytes, this.folder ? this.folder.exceptions : null);
    if (bits) this.bitsLedger.tokens(chunk.ids, bits);
    else this.bitsLedger.stored(chunk.bytes);
  }

  /**
   * Whether the archive is version 2, decided at its first coded text chunk:
   * with a transform, or mixing and more than one chunk, always; an archive of
   * one text chunk (a message) only when the mixer's coding is smaller than
   * version 1's (the LM's, or the bytes stored), so messages the mixer cannot
   * help stay exactly what they were.
   */
  private needsVersion2(coded: CodedChunk, rawLength: number): boolean {
    if (this.folder) return true;
    if (!this.mixingInfo || !coded.mixed) return false;
    const textChunks = this.queue.filter((p) => !p.binary).length + this.entries.filter((e) => e.kind === 'model').length;
    if (!this.final || textChunks > 1) return true;
    const v1 = Math.min(coded.payload.length, this.store ? rawLength : Infinity);
    // (version 2's header is 2-3 bytes longer: its coding block)
    return coded.mixed.length + 3 < v1;
  }

  /** The byte model's whole archive, when it ran: same model stamp, length, CRC and transform; mixing id 2. */
  private byteRouteArchive(): BytesArchive | null {
    const route = this.byteRoute;
    if (!route || !route.entries.length) return null;
    const header = encodeHeader(
      {
        model: stampOf(this.model.identity),
        chunkTokens: this.chunkTokens,
        originalLength: this.bytesIn,
        chunks: route.entries,
        crc32: this.crcAll,
        mixing: { id: BYTES_MIXING_V2, roundWidth: 0, tableBits: route.tableBits },
        transform: this.folder ? { kind: 'lf', codedLength: this.codedBytes, exceptions: this.folder.exceptions } : undefined,
      },
      { compact: this.opts.compact ?? true },
    );
    return { header, payloads: route.payloads, payloadBytes: route.payloadBytes, route };
  }

  /** Writes the byte model's archive (it came out smaller than the LM's). */
  private async finishWith(sink: ByteSink, a: BytesArchive): Promise<StreamResult> {
    const { opts } = this;
    const payloads = () => concatSources(...a.payloads.map((p) => bufferSource(p)));
    if (opts.verify) await verify(a.header, payloads, this.model, opts);
    await sink.write(a.header);
    for (const p of a.payloads) await sink.write(p);
    const bytesOut = a.header.length + a.payloadBytes;
    opts.onProgress?.({ stage: 'done', bytesIn: this.bytesIn, bytesOut, seconds: this.meter.seconds });
    if (!opts.recordBits) return { bytesIn: this.bytesIn, bytesOut };
    return { bytesIn: this.bytesIn, bytesOut, bits: a.route.ledger!.finish(a.header.length, a.payloadBytes) };
  }

  /** Appends in input order; neighbouring stored chunks become one entry, so binary data pays one entry, not one per chunk. */
  private async append(kind: 'model' | 'stored', count: number, raw: Uint8Array, payload: Uint8Array, prompt = 0, mixed = false): Promise<void> {
    const last = this.entries[this.entries.length - 1];
    if (kind === 'stored' && last?.kind === 'stored') {
      last.count += raw.length;
      last.payloadLength += raw.length;
      last.crc32 = crc32(raw, last.crc32!);
    } else {
      this.entries.push({ kind, count, payloadLength: payload.length, crc32: crc32(raw), prompt, ...(mixed ? { mixed } : {}) });
    }
    await this.spool.append(payload);
    this.bytesDone += raw.length;
    this.bits += payload.length * 8;
    const before = this.lmAfter[this.lmAfter.length - 1] ?? { text: 0, payload: 0 };
    this.lmAfter.push(kind === 'stored' ? { ...before, end: this.bytesDone } : { end: this.bytesDone, text: before.text + raw.length, payload: before.payload + payload.length });
  }

  /** The header (now that every chunk is known), then the payloads: the LM's coding or the byte model's, whichever is smaller. */
  private async finish(sink: ByteSink): Promise<StreamResult> {
    const { model, entries, ledger, spool, opts } = this;
    // the boundaries no run reached before the end are weighed now, in order: the same decisions every run makes
    this.weighRoutes();
    const bytesArchive = this.byteRouteArchive();
    if (this.lmDropped) return this.finishWith(sink, bytesArchive!);
    const extension = isLockstep(model.engine) ? writeHubStamp({ ...model.engine.origin, batch: this.batch }) : undefined;
    // the archive's prompt stays only if it saved more than it costs; settle rewrites
    // the entries it drops, so take what was spooled per entry first
    const spooledLengths = entries.map((e) => e.payloadLength);
    const keepPrompt = ledger?.settle(entries) ?? false;
    const payloads = () => (ledger && !keepPrompt ? ledger.splice(spool.replay(), spooledLengths) : spool.replay());
    const header = encodeHeader(
      {
        model: stampOf(model.identity),
        chunkTokens: this.chunkTokens,
        originalLength: this.bytesIn,
        chunks: entries,
        crc32: this.crcAll,
        extension,
        archivePrompt: keepPrompt ? ledger!.prompt.bytes : undefined,
        mixing: this.version2 && this.mixingInfo ? this.mixingInfo : undefined,
        transform: this.folder ? { kind: 'lf', codedLength: this.codedBytes, exceptions: this.folder.exceptions } : undefined,
      },
      { compact: opts.compact ?? true },
    );
    const payloadBytes = entries.reduce((n, e) => n + e.payloadLength, 0);
    if (bytesArchive && bytesArchive.header.length + bytesArchive.payloadBytes < header.length + payloadBytes) return this.finishWith(sink, bytesArchive);
    if (opts.verify ?? this.lockstep) await verify(header, payloads, model, opts);
    await sink.write(header);
    for await (const part of payloads()) await sink.write(part);
    const bytesOut = header.length + payloadBytes;
    opts.onProgress?.({ stage: 'done', bytesIn: this.bytesIn, bytesOut, seconds: this.meter.seconds });
    if (!opts.recordBits) return { bytesIn: this.bytesIn, bytesOut };
    const bits = (this.bitsLedger ?? new BitsLedger(null, null)).finish(header.length, payloadBytes);
    return { bytesIn: this.bytesIn, bytesOut, bits };
  }
}

/** Until this comparison (256 KB of text) the LM codes one group at a time, so that it can stop early. */
const LAST_EAGER_CHECK = 4;

/** The byte model's archive of the input (null when it did not run or coded nothing). */
interface BytesArchive {
  header: Uint8Array;
  payloads: Uint8Array[];
  payloadBytes: number;
  route: ByteRoute;
}

export async function compressStream(source: ByteSource, model: LoadedModel, sink: ByteSink, opts: StreamOptions = {}): Promise<StreamResult> {
  const chunkTokens = opts.chunkTokens ?? model.contextTokens;
  if (!Number.isInteger(chunkTokens) || chunkTokens < 1 || chunkTokens > model.identity.config.maxPos - 1) {
    throw new UsageError(`Chunk size must be 1..${model.identity.config.maxPos - 1} tokens for this model.`);
  }
  return new Compression(model, chunkTokens, opts).run(source, sink);
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
