/**
 * Decompression, streaming: the header first (it names the model), then the
 * payloads group by group, each chunk checked against its CRC-32 and written
 * out in order. The whole length and CRC-32 are checked at the end; callers
 * writing files keep the output aside until then (the CLI writes a
 * temporary file and renames it).
 */
import { CorruptArchiveError, DeviceMismatchError, TruncatedArchiveError, UsageError } from '../codec/errors.js';
import { crc32 } from '../codec/crc32.js';
import { checkModel, maxPayload, PAYLOAD_TO_END, readArchiveHeader, type ArchiveHeader, type ChunkEntry } from '../format/container.js';
import type { LoadedModel } from '../model/loadedModel.js';
import { isLockstep, stampOf } from '../model/types.js';
import { HUB_NUMERICS_ID, readHubStamp, stampDifferences, type HubStamp } from '../model/hub/hubStamp.js';
import { bufferSource, MemorySink, SourceReader, type ByteSink, type ByteSource } from './byteStreams.js';
import { groupSize, Meter, throwIfAborted } from './meter.js';
import { CPU_BATCH, exactBatch } from './defaults.js';
import type { CodingOptions } from './options.js';
import { localRunner } from './runner.js';
import { decodePrompt } from '../steering/promptPriors.js';
import { codedLength, isByteMixing } from '../format/codingBlock.js';
import { ByteChunkDecoder } from '../mixing/byteCoder.js';
import { ByteModel, BYTE_MODELS, byteModelParams } from '../mixing/byteModel.js';
import { MixingRounds } from '../mixing/history.js';
import { LineFeedUnfolder } from '../mixing/lineEndings.js';
import { BitsLedger, type BitsMap } from './bitsMap.js';

/** An archive whose header has been read; the payloads are still in `reader`. */
export interface OpenedArchive {
  header: ArchiveHeader;
  headerLength: number;
  reader: SourceReader;
}

const FIRST_READ = 4096;

/** Reads just enough of `source` to parse the header (typed errors for anything that is not an archive). */
export async function openArchive(source: ByteSource): Promise<OpenedArchive> {
  const reader = new SourceReader(source);
  for (let want = FIRST_READ; ; want *= 2) {
    const more = await reader.fill(want); // false: the whole archive is buffered
    try {
      const { header, headerLength } = readArchiveHeader(reader.peek(), !more);
      await reader.read(headerLength);
      return { header, headerLength, reader };
    } catch (e) {
      if (!(e instanceof TruncatedArchiveError) || !more) throw e;
    }
  }
}

export interface DecodeResult {
  bytesOut: number;
  /** With `recordBits`: where the archive's bits went. */
  bits?: BitsMap;
}

/** Decodes an opened archive into `sink`. `model` may be null when every chunk is stored. */
export async function decodeArchive(opened: OpenedArchive, model: LoadedModel | null, sink: ByteSink, opts: CodingOptions = {}): Promise<DecodeResult> {
  const { header, reader } = opened;
  let hubStamp: HubStamp | null = null;
  if (header.chunks.some((c) => c.kind === 'model')) {
    if (!model) throw new UsageError(`This archive needs model "${header.model.name}"; none is loaded.`);
    checkModel(header, stampOf(model.identity));
    hubStamp = hubStampFor(header.model.numericsId, header.extension, model, opts.onWarning);
    if (hubStamp && header.mixing) throw new CorruptArchiveError('This hub-model archive claims adaptive mixing, which llmz never uses with hub models: it is damaged.');
    if (header.chunks.some((c) => c.kind === 'model' && c.count > model.identity.config.maxPos - 1)) {
      throw new CorruptArchiveError('The archive asks for chunks longer than the model supports: it is damaged.');
    }
  }
  // the archive's own soft prompt (steering 'max'), rebuilt in integers from its coded form
  let archivePrompt: Int32Array | null = null;
  if (header.archivePrompt && model) {
    if (hubStamp) throw new CorruptArchiveError('This hub-model archive carries a soft prompt, which hub models do not use: it is damaged.');
    archivePrompt = decodePrompt(header.archivePrompt, model.identity.config.dim, (model.prompts ?? []).map((p) => p.vectors));
  }
  const batch = hubStamp ? hubStamp.batch : (opts.batch ?? (model ? exactBatch(model.engine.backend) : CPU_BATCH));
  const runner = model ? (hubStamp ? localRunner(model, batch) : (opts.runner ?? localRunner(model, batch))) : null;
  const group = groupSize(runner?.capacity, batch);
  const meter = new Meter('decompress', header.originalLength, opts.onProgress);
  // progress inside a group comes in tokens: each counts as the archive's average bytes per model-coded token
  const modelTokens = header.chunks.reduce((n, c) => n + (c.kind === 'model' ? c.count : 0), 0);
  const storedBytes = header.chunks.reduce((n, c) => n + (c.kind === 'stored' ? c.count : 0), 0);
  // the chunks decode to the coded text; a transform turns it back into the original
  const textLength = codedLength(header, header.originalLength);
  const bytesPerToken = modelTokens ? (textLength - storedBytes) / modelTokens : 0;
  const total = header.chunks.length;
  const unfolder = header.transform ? new LineFeedUnfolder(header.transform.exceptions) : null;
  let textOut = 0;
  let bytesOut = 0;
  let crcAll = 0;
  const bitsLedger = opts.recordBits ? new BitsLedger(model?.tokenizer.tokenBytes ?? null, header.transform?.exceptions ?? null) : null;

  const emit = async (text: Uint8Array) => {
    textOut += text.length;
    if (textOut > textLength) throw new CorruptArchiveError('The archive is damaged: it decodes to more than its recorded length. Get the file or link again.');
    const bytes = unfolder ? unfolder.push(text) : text;
    bytesOut += bytes.length;
    if (bytesOut > header.originalLength) throw new CorruptArchiveError('The archive is damaged: it decodes to more than its recorded length. Get the file or link again.');
    crcAll = crc32(bytes, crcAll);
    await sink.write(bytes);
  };
  // mixing: model chunks decode in rounds, each after the tokens of the rounds before (docs/mixing.md)
  const width = header.mixing?.roundWidth ?? 0;
  const rounds = width ? new MixingRounds(width) : null;
  let ordinal = 0;
  // mixing ids 2 and 3: one byte model (of the id's version) through the coded chunks, in order (stored chunks never reach it)
  const m = header.mixing;
  const byteDecoder = m && isByteMixing(m.id) ? new ByteChunkDecoder(new ByteModel(byteModelParams(m.tableBits!, BYTE_MODELS[m.id]))) : null;
  const chunkFailed = (i: number, entry: ChunkEntry): Error => {
    if (hubStamp && entry.kind === 'model') {
      return new DeviceMismatchError(
        `Chunk ${i + 1} of ${total} did not decode to the original. This archive was made with hub model "${header.model.name}" ` +
          `on ${hubStamp.backend} (${hubStamp.device}, ${hubStamp.dtype}); such archives decode only on the same kind of device and backend — open it there. ` +
          `(If it was made there, the file is damaged: get it again.)`,
      );
    }
    // (a compact archive cut short also ends here: its payload runs to the end, so only the checksum can tell)
    return new CorruptArchiveError(`Chunk ${i + 1} of ${total} does not match its checksum: the file or link is damaged or cut short. Get the complete file or link again.`);
  };

  // Chunks wait here until a group of model chunks can go to the runner.
  // Stored chunks wait too when the engine is lockstep (its batches are runs
  // of model chunks); otherwise they flush the group and stream straight through.
  type Waiting = { index: number; entry: ChunkEntry; payload: Uint8Array };
  let waiting: Waiting[] = [];
  const flush = async () => {
    const jobs = waiting.filter((w) => w.entry.kind === 'model');
    let inFlight = 0;
    const first = rounds?.log.chunks ?? 0;
    const round = jobs.length ? rounds?.contextFor(first) : undefined;
    const decoded = jobs.length
      ? await runner!.decode(
          opts.signal,
          { jobs: jobs.map((w) => ({ payload: w.payload, count: w.entry.count, prompt: w.entry.prompt ?? 0, mixed: !!w.entry.mixed })), archivePrompt, round },
          (n) => {
            meter.tokens += n;
            inFlight += n;
            meter.report(Math.min(header.originalLength, bytesOut + Math.round(inFlight * bytesPerToken)), 0);
          },
        )
      : [];
    const ids = decoded.map((d) => d.ids);
    if (rounds && jobs.length) {
      rounds.learn(decoded.map((d) => d.learned!));
      for (const chunk of ids) rounds.log.append(chunk);
      rounds.forgetBefore(rounds.log.chunks);
    }
    let k = 0;
    for (const w of waiting) {
      if (bitsLedger) {
        if (w.entry.kind === 'model') bitsLedger.tokens(ids[k]!, decoded[k]!.bits);
        else bitsLedger.stored(w.payload);
      }
      const bytes = w.entry.kind === 'model' ? model!.tokenizer.decode(ids[k++]!) : w.payload;
      if (w.entry.crc32 !== undefined && crc32(bytes) !== w.entry.crc32) throw chunkFailed(w.index, w.entry);
      await emit(bytes);
    }
    waiting = [];
    meter.report(bytesOut, 0);
  };

  for (let i = 0; i < total; i++) {
    throwIfAborted(opts.signal);
    const entry = header.chunks[i]!;
    if (entry.kind === 'stored' && !hubStamp) {
      await flush();
      let crc = 0;
      for (let left = entry.count; left > 0; ) {
        const piece = await reader.readSome(Math.min(left, 1 << 20));
        if (!piece.length) throw new TruncatedArchiveError(`The archive is incomplete: chunk ${i + 1} of ${total} ends early. Get the complete file or link again.`);
        crc = crc32(piece, crc);
        bitsLedger?.stored(piece);
        await emit(piece);
        left -= piece.length;
      }
      if (entry.crc32 !== undefined && crc !== entry.crc32) throw chunkFailed(i, entry);
      meter.report(bytesOut, 0);
      continue;
    }
    if (entry.kind === 'bytes') {
      const length = entry.payloadLength === PAYLOAD_TO_END ? await restLength(reader, maxPayload(entry)) : entry.payloadLength;
      const payload = await reader.read(length);
      const costs = bitsLedger ? new Float32Array(entry.count) : undefined;
      const bytes = byteDecoder!.decode(payload, entry.count, costs);
      bitsLedger?.bytes(bytes, costs!);
      await emit(bytes);
      meter.report(bytesOut, 0);
      continue;
    }
    // a chunk of a new round waits until every earlier round is decoded: its history
    if (rounds?.startsRound(ordinal) && waiting.some((w) => w.entry.kind === 'model')) await flush();
    ordinal++;
    const length = entry.payloadLength === PAYLOAD_TO_END ? await restLength(reader, maxPayload(entry)) : entry.payloadLength;
    waiting.push({ index: i, entry, payload: await reader.read(length) });
    if (waiting.filter((w) => w.entry.kind === 'model').length >= group) await flush();
  }
  await flush();

  if (!(await reader.atEnd())) throw new CorruptArchiveError('The archive has unexpected trailing bytes: it was damaged or joined with other data.');
  if (textOut !== textLength || bytesOut !== header.originalLength || crcAll !== header.crc32) {
    throw new CorruptArchiveError('The archive is damaged: the restored data does not match its checksum. Get the file or link again.');
  }
  meter.report(bytesOut, reader.consumed * 8, true);
  opts.onProgress?.({ stage: 'done', bytesIn: reader.consumed, bytesOut, seconds: meter.seconds });
  return bitsLedger ? { bytesOut, bits: bitsLedger.finish(opened.headerLength, reader.consumed - opened.headerLength) } : { bytesOut };
}

/** Length of what is left in `reader` (a compact archive's payload), refusing more than `max`. */
async function restLength(reader: SourceReader, max: number): Promise<number> {
  if (await reader.fill(max + 1)) throw new CorruptArchiveError('Damaged archive: the chunk is longer than its tokens can be.');
  return reader.buffered;
}

export async function decompressStream(source: ByteSource, model: LoadedModel | null, sink: ByteSink, opts: CodingOptions = {}): Promise<DecodeResult> {
  return decodeArchive(await openArchive(source), model, sink, opts);
}

/** The original of an in-memory archive. */
export async function decompress(archive: Uint8Array, model: LoadedModel | null, opts: CodingOptions = {}): Promise<Uint8Array> {
  const sink = new MemorySink();
  await decompressStream(bufferSource(archive), model, sink, opts);
  return sink.bytes();
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
