/**
 * The encoder's second way through an input: every byte of the coded text
 * by the byte model (mixing id 3, docs/mixing.md), beside the LM's coding.
 * The byte model costs a few percent of the LM's time, so the compressor
 * runs both and keeps the smaller archive — the byte model wins where the LM
 * is weak (languages and kinds of text it barely saw), the LM everywhere it
 * knows the text. Chunks of BYTE_CHUNK_BYTES keep the decoder streaming;
 * binary-looking chunks are stored, unseen by the model (on both sides), and
 * every other chunk is coded: where the byte model cannot shrink text, the
 * LM's coding (which stores such chunks) is the smaller archive anyway.
 */
import { crc32 } from '../codec/crc32.js';
import type { ChunkEntry } from '../format/container.js';
import { ByteChunkEncoder } from '../mixing/byteCoder.js';
import { ByteModel, byteModelParams, tableBitsFor } from '../mixing/byteModel.js';
import { BitsLedger } from './bitsMap.js';
import { looksBinary } from './chunking.js';

/** Bytes of coded text per chunk: the decoder writes each as it is done. */
export const BYTE_CHUNK_BYTES = 1 << 16;

/** The codings are first compared after this many byte-model chunks (128 KB of text), so that both have learned something. */
export const FIRST_WEIGHING = 2;

/** From this comparison on (256 KB of text) a smaller lead is enough to drop the other coding. */
export const SURE_WEIGHING = 4;

/**
 * Which codings are worth going on with, from what each cost for the text
 * it modelled so far (stored data left out: the two store binary stretches
 * in pieces that end in different places, and 8 bits a byte of it would
 * swamp the comparison): the byte model's `bytesPayload` for `bytesText`
 * bytes, the LM's `lmPayload` for `lmText`, at byte-model chunk boundary
 * `check`. A coding more than 5/4 as costly per byte as the other is dropped
 * ('lm': keep only the LM's; 'bytes': only the byte model's), and from
 * SURE_WEIGHING on, with twice the evidence, more than 9/8; 'both' otherwise.
 * (Both codings cost time: the byte model's runs on the coordinating thread
 * beside the LM's workers, 12% of compressing wiki.txt on 2 cores, where the
 * byte model stays 1.20-1.24x behind.) Products of sizes in doubles: the same
 * answer on every engine (exact below 2^53, i.e. for texts up to ~100 MB).
 */
export function weighCodings(bytesPayload: number, bytesText: number, lmPayload: number, lmText: number, check = FIRST_WEIGHING): 'both' | 'lm' | 'bytes' {
  if (!lmText || !bytesText) return 'both';
  // bytesPayload / bytesText against lmPayload / lmText, dropped beyond a ratio of hi / lo
  const [hi, lo] = check >= SURE_WEIGHING ? [9, 8] : [5, 4];
  const bytesCost = bytesPayload * lmText;
  const lmCost = lmPayload * bytesText;
  if (hi * bytesCost < lo * lmCost) return 'bytes';
  if (lo * bytesCost > hi * lmCost) return 'lm';
  return 'both';
}

export class ByteRoute {
  /** Made at the first chunk, sized by the whole text when that is all there is (so the archive depends on the input alone, not on how it arrives). */
  private coder: ByteChunkEncoder | null = null;
  /** The model's table size, recorded in the archive (known once a chunk is coded). */
  tableBits = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  readonly entries: ChunkEntry[] = [];
  readonly payloads: Uint8Array[] = [];
  /** Payload bytes so far. */
  payloadBytes = 0;
  /** Chunks coded so far (every one but the last is BYTE_CHUNK_BYTES of text), and after each the text and payload of the model-coded ones (stored chunks left out). */
  chunksCoded = 0;
  private readonly modelledAfter: { text: number; payload: number }[] = [];
  /** Coded-text bytes the chunks so far hold. */
  textBytes = 0;

  /** `ledger`: where the bits view's costs go (with `recordBits`). */
  constructor(readonly ledger: BitsLedger | null = null) {}

  /** More of the coded text, in order. */
  push(text: Uint8Array): void {
    if (!text.length) return;
    this.pending.push(text);
    this.pendingBytes += text.length;
  }

  /**
   * Codes the whole chunks waiting (every byte with `final`), up to `upTo` chunks in all: where the
   * two codings are still compared, no further than the comparison needs, since the LM's coding
   * may win there and make the rest of this work moot. (Which chunks come out, and their bytes,
   * never depend on how far one call goes.)
   */
  pump(final = false, upTo = Infinity): void {
    if (!this.coder && (this.pendingBytes >= BYTE_CHUNK_BYTES || (final && this.pendingBytes > 0))) {
      // a text shorter than a chunk gets tables its size; a longer one, the largest (tableBitsFor(BYTE_CHUNK_BYTES) is already that)
      this.tableBits = tableBitsFor(final ? this.pendingBytes : undefined);
      this.coder = new ByteChunkEncoder(new ByteModel(byteModelParams(this.tableBits)));
    }
    while ((this.pendingBytes >= BYTE_CHUNK_BYTES || (final && this.pendingBytes > 0)) && this.chunksCoded < upTo) this.codeChunk(Math.min(BYTE_CHUNK_BYTES, this.pendingBytes));
  }

  private codeChunk(n: number): void {
    const chunk = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = this.pending[0]!;
      const take = Math.min(head.length, n - at);
      chunk.set(head.subarray(0, take), at);
      at += take;
      if (take === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(take);
    }
    this.pendingBytes -= n;
    const stored = looksBinary(chunk);
    const costs = this.ledger && !stored ? new Float32Array(n) : undefined;
    const payload = stored ? chunk : this.coder!.encode(chunk, costs);
    if (this.ledger) {
      if (stored) this.ledger.stored(chunk);
      else this.ledger.bytes(chunk, costs!);
    }
    const last = this.entries[this.entries.length - 1];
    if (stored && last?.kind === 'stored') {
      last.count += n;
      last.payloadLength += n;
      last.crc32 = crc32(chunk, last.crc32!);
      this.payloads[this.payloads.length - 1] = concat(this.payloads[this.payloads.length - 1]!, chunk);
    } else {
      this.entries.push({ kind: stored ? 'stored' : 'bytes', count: n, payloadLength: stored ? n : payload.length, crc32: crc32(chunk) });
      this.payloads.push(stored ? chunk : payload);
    }
    this.payloadBytes += stored ? n : payload.length;
    this.textBytes += n;
    this.chunksCoded++;
    const before = this.modelledOfFirst(this.chunksCoded - 1);
    this.modelledAfter.push(stored ? before : { text: before.text + n, payload: before.payload + payload.length });
  }

  /** Text and payload bytes of the model-coded chunks among the first k. */
  modelledOfFirst(k: number): { text: number; payload: number } {
    return k ? this.modelledAfter[k - 1]! : { text: 0, payload: 0 };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
