/**
 * Lossless tokenization of arbitrary bytes with the model's byte-level BPE
 * (tokenizer.json, read by @huggingface/tokenizers, the library under
 * @huggingface/transformers).
 *
 * - The input is cut into segments after the first blank line ("\n\n") at or
 *   beyond every SEGMENT_BYTES that ends within MAX_SEGMENT_BYTES of the
 *   segment's start; failing that (logs, minified data, binary), at
 *   MAX_SEGMENT_BYTES, moved past at most 3 UTF-8 continuation bytes. So
 *   segments stay small and a stream can be tokenized slice by slice.
 * - Within a segment, valid UTF-8 runs go through the BPE; each byte that is
 *   not valid UTF-8 becomes its byte-level token directly.
 * - Decoding is a table lookup: token id -> bytes.
 * training/bpe_tokenizer.py implements the same rules; a test compares the two.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from '../codec/errors.js';
import { GrowableBytes } from './growableBytes.js';
import { utf8Runs } from './utf8.js';

export const SEGMENT_BYTES = 1 << 16;
/** No segment is longer (plus at most 3 bytes, to end on a UTF-8 boundary), blank lines or not. */
export const MAX_SEGMENT_BYTES = 1 << 20;
const EMPTY = new Uint8Array(0);

/** GPT-2's byte -> printable character map (ByteLevel pre-tokenizer). */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const map: string[] = new Array(256);
  for (const b of bs) map[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCharCode(256 + n++);
  return map;
}

interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens?: { id: number; content: string }[];
}

export class ByteTokenizer {
  readonly vocabSize: number;
  /** Bytes of each token (special tokens: their literal text, so nothing is lost). */
  readonly tokenBytes: Uint8Array[];
  private readonly byteToken: Int32Array;
  private readonly bpe: Tokenizer;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(json: TokenizerJson) {
    try {
      this.bpe = new Tokenizer(json, {});
    } catch (e) {
      throw new ModelLoadError(`The tokenizer could not be read: ${(e as Error).message}`);
    }
    const charToByte = new Map<string, number>();
    bytesToUnicode().forEach((ch, b) => charToByte.set(ch, b));
    const vocab = json.model.vocab;
    let size = 0;
    for (const id of Object.values(vocab)) size = Math.max(size, id + 1);
    for (const t of json.added_tokens ?? []) size = Math.max(size, t.id + 1);
    this.vocabSize = size;
    this.tokenBytes = new Array(size).fill(new Uint8Array(0));
    const enc = new TextEncoder();
    for (const [s, id] of Object.entries(vocab)) {
      const bytes: number[] = [];
      for (const ch of s) {
        const b = charToByte.get(ch);
        if (b === undefined) {
          bytes.length = 0;
          bytes.push(...enc.encode(s));
          break;
        }
        bytes.push(b);
      }
      this.tokenBytes[id] = Uint8Array.from(bytes);
    }
    for (const t of json.added_tokens ?? []) this.tokenBytes[t.id] = enc.encode(t.content);
    this.byteToken = new Int32Array(256).fill(-1);
    bytesToUnicode().forEach((ch, b) => {
      const id = vocab[ch];
      if (id !== undefined) this.byteToken[b] = id;
    });
    if (this.byteToken.some((x) => x < 0)) throw new ModelLoadError('The tokenizer lacks byte-level tokens; llmz needs a byte-level BPE.');
  }

  /** Segment boundaries of the spec above: [start, end) pairs. */
  static segments(bytes: Uint8Array): [number, number][] {
    const out: [number, number][] = [];
    for (let start = 0; start < bytes.length; ) {
      const end = segmentEnd(bytes, start, true);
      out.push([start, end]);
      start = end;
    }
    return out;
  }

  encodeSegment(bytes: Uint8Array): number[] {
    const ids: number[] = [];
    for (const run of utf8Runs(bytes)) {
      if (!run.valid) {
        ids.push(this.byteToken[bytes[run.start]!]!);
        continue;
      }
      const text = this.decoder.decode(bytes.subarray(run.start, run.end));
      const enc = this.bpe.encode(text, { add_special_tokens: false });
      for (const id of enc.ids) ids.push(id);
    }
    return ids;
  }

  /** Token ids of `bytes`, built segment by segment into a growing Int32Array (big inputs stay compact). */
  encode(bytes: Uint8Array): Int32Array {
    let out = new Int32Array(Math.max(16, bytes.length >> 2));
    let n = 0;
    for (const [s, e] of ByteTokenizer.segments(bytes)) {
      const ids = this.encodeSegment(bytes.subarray(s, e));
      if (n + ids.length > out.length) {
        const bigger = new Int32Array(Math.max(out.length * 2, n + ids.length));
        bigger.set(out.subarray(0, n));
        out = bigger;
      }
      out.set(ids, n);
      n += ids.length;
    }
    return out.slice(0, n);
  }

  decode(ids: ArrayLike<number>): Uint8Array {
    let n = 0;
    for (let i = 0; i < ids.length; i++) n += (this.tokenBytes[ids[i]!] ?? EMPTY).length;
    const out = new Uint8Array(n);
    let o = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = this.tokenBytes[ids[i]!] ?? EMPTY;
      out.set(b, o);
      o += b.length;
    }
    return out;
  }
}

/**
 * End of the segment that starts at `start` (the rule at the top of this
 * file), or -1 when `bytes` does not yet hold enough to tell and more may
 * come (`final` false). `from` skips blank-line positions already searched.
 */
export function segmentEnd(bytes: Uint8Array, start: number, final: boolean, from = start + SEGMENT_BYTES): number {
  const cap = start + MAX_SEGMENT_BYTES;
  const last = Math.min(bytes.length, cap) - 2; // a blank line at i must end by the cap: i + 2 <= cap
  for (let i = Math.max(from, start + SEGMENT_BYTES); i <= last; i++) {
    if (bytes[i] === 10 && bytes[i + 1] === 10) return i + 2;
  }
  if (bytes.length <= cap) return final ? bytes.length : -1;
  if (!final && bytes.length < cap + 3) return -1;
  let end = cap;
  while (end < bytes.length && end < cap + 3 && (bytes[end]! & 0xc0) === 0x80) end++;
  return end;
}

/** The segmentation applied to a stream: feed slices, get whole segments back. */
export class SegmentSplitter {
  private readonly buf = new GrowableBytes();
  /** Blank-line positions below this (relative to the buffered segment start) have been searched. */
  private searched = SEGMENT_BYTES;

  push(slice: Uint8Array): Uint8Array[] {
    this.buf.append(slice);
    return this.take(false);
  }

  end(): Uint8Array[] {
    return this.take(true);
  }

  private take(final: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (;;) {
      const bytes = this.buf.view();
      if (!bytes.length) break;
      const end = segmentEnd(bytes, 0, final, this.searched);
      if (end < 0) {
        this.searched = Math.max(SEGMENT_BYTES, bytes.length - 1);
        break;
      }
      out.push(bytes.slice(0, end));
      this.buf.drop(end);
      this.searched = SEGMENT_BYTES;
    }
    return out;
  }
}
