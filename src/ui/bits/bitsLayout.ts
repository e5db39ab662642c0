/**
 * The bits view's arithmetic, apart from any DOM (issue #19): span offsets,
 * the summary sentence's figures, the strip chart's bars, the colour class
 * of a cost, and a page of spans grouped into whole characters. Every pass
 * is linear in the spans (a 1 MB file has ~300,000), so nothing here blocks
 * the page for long.
 */
import { PREDICTED_BY, type BitsMap } from '../../pipeline/bitsMap.js';

/** offsets[i]: where span i starts in the original; offsets[n]: its length. */
export function spanOffsets(map: BitsMap): Float64Array {
  const n = map.lengths.length;
  const offsets = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + map.lengths[i]!;
  return offsets;
}

/** The span holding byte `at` (the last span for at >= length). */
export function spanAt(offsets: Float64Array, at: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}

export interface BitsSummary {
  bytes: number;
  /** Bits of all spans (the payload less the coder's flush: bitsMap.ts). */
  bits: number;
  /** The archive's whole size, header included. */
  archiveBytes: number;
  /** Share of the bits that went to the costliest `textShare` of the text (by bits per byte). */
  costliest: { textShare: number; bitShare: number };
  /** Share of the tokens each model predicted (stored runs not counted). */
  predicted: { match: number; context: number; both: number };
  storedBytes: number;
  /** Bytes the byte model coded (mixing ids 2 and 3: the archive chose it over the language model). */
  byteModelBytes: number;
}

const DENSITY_BINS = 2048;
const BINS_PER_BIT = 32; // bins of 1/32 bit per byte, up to 64 bits per byte

/** The summary's figures, in one pass and a histogram (no sort). */
export function summarize(map: BitsMap, textShare = 0.1): BitsSummary {
  const n = map.lengths.length;
  const binBytes = new Float64Array(DENSITY_BINS);
  const binBits = new Float64Array(DENSITY_BINS);
  let bytes = 0;
  let bits = 0;
  let storedBytes = 0;
  let byteModelBytes = 0;
  const counts = new Float64Array(Object.keys(PREDICTED_BY).length);
  for (let i = 0; i < n; i++) {
    const len = map.lengths[i]!;
    const b = map.bits[i]!;
    bytes += len;
    bits += b;
    const by = map.predictedBy[i]!;
    if (by === PREDICTED_BY.stored) storedBytes += len;
    else if (by === PREDICTED_BY.bytes) byteModelBytes += len;
    else counts[by]! += map.tokensPerSpan;
    if (!len) continue;
    const bin = Math.min(DENSITY_BINS - 1, Math.floor((b / len) * BINS_PER_BIT));
    binBytes[bin]! += len;
    binBits[bin]! += b;
  }
  // from the costliest bin down until `textShare` of the bytes is covered (the last bin in proportion)
  let wantBytes = bytes * textShare;
  let topBits = 0;
  for (let bin = DENSITY_BINS - 1; bin >= 0 && wantBytes > 0; bin--) {
    if (!binBytes[bin]) continue;
    const take = Math.min(1, wantBytes / binBytes[bin]!);
    topBits += binBits[bin]! * take;
    wantBytes -= binBytes[bin]! * take;
  }
  const tokens = counts.reduce((s, c) => s + c, 0) || 1;
  return {
    bytes,
    bits,
    archiveBytes: map.headerBytes + map.payloadBytes,
    costliest: { textShare, bitShare: bits ? topBits / bits : 0 },
    predicted: { match: counts[PREDICTED_BY.match]! / tokens, context: counts[PREDICTED_BY.context]! / tokens, both: counts[PREDICTED_BY.matchAndContext]! / tokens },
    storedBytes,
    byteModelBytes,
  };
}

export interface Bar {
  /** Bytes [start, end) of the original. */
  start: number;
  end: number;
  bitsPerByte: number;
}

/**
 * The strip chart: about one bar per KB (at most `maxBars`, and for short
 * texts one per few tokens), each the bits per byte of its stretch; a span
 * counts in the bar where it starts.
 */
export function chartBars(map: BitsMap, offsets: Float64Array, maxBars = 160): Bar[] {
  const n = map.lengths.length;
  const bytes = offsets[n]!;
  if (!n || !bytes) return [];
  const count = Math.max(1, Math.min(maxBars, Math.max(Math.min(48, n), Math.ceil(bytes / 1024))));
  const width = bytes / count;
  const bars: Bar[] = Array.from({ length: count }, (_, k) => ({ start: Math.round(k * width), end: Math.round((k + 1) * width), bitsPerByte: 0 }));
  const sumBits = new Float64Array(count);
  const sumBytes = new Float64Array(count);
  for (let i = 0; i < n; i++) {
    const k = Math.min(count - 1, Math.floor(offsets[i]! / width));
    sumBits[k]! += map.bits[i]!;
    sumBytes[k]! += map.lengths[i]!;
  }
  bars.forEach((b, k) => (b.bitsPerByte = sumBytes[k] ? sumBits[k]! / sumBytes[k]! : 0));
  return bars;
}

/** Upper limits (bits per byte) of the colour classes; the last class is everything above. */
export const COST_STEPS = [0.5, 1, 2, 3, 4.5, 6] as const;

/** The colour class (0 = almost free … COST_STEPS.length = costliest) of a cost. */
export function costClass(bits: number, bytes: number): number {
  const d = bytes ? bits / bytes : bits;
  let k = 0;
  while (k < COST_STEPS.length && d >= COST_STEPS[k]!) k++;
  return k;
}

/** Spans per page of text: rendering stays well under a frame budget's worth of work per page. */
export const PAGE_SPANS = 2048;
/** Stored runs show at most this many bytes of their text. */
export const STORED_PREVIEW = 256;
/**
 * Most spans one piece may join: tokens that each end in the first byte of
 * a character can chain a few characters together; data that is not UTF-8
 * (all continuation bytes) must not chain a whole page.
 */
const MAX_CHAR_TOKENS = 16;
/** Spans read past a page's end, so a character split over tokens at the boundary stays whole. */
export const PAGE_SLACK = MAX_CHAR_TOKENS;

export interface Piece {
  /** First span and how many: tokens whose bytes make whole characters together (usually one). */
  span: number;
  spans: number;
  text: string;
  bits: number;
  bytes: number;
  predictedBy: number;
  /** A stored run longer than STORED_PREVIEW: `text` is its start. */
  truncated: boolean;
}

export const pageCount = (map: BitsMap) => Math.max(1, Math.ceil(map.lengths.length / PAGE_SPANS));

/** Bytes [from, to) of the original that page p needs (its spans plus a little slack). */
export function pageByteRange(map: BitsMap, offsets: Float64Array, p: number): { from: number; to: number } {
  const n = map.lengths.length;
  const first = Math.min(n, p * PAGE_SPANS);
  const last = Math.min(n, (p + 1) * PAGE_SPANS + PAGE_SLACK);
  return { from: offsets[first]!, to: offsets[last]! };
}

const isContinuation = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;

/**
 * Page p as pieces of whole characters: a span that starts inside a
 * character (byte-level tokens split some) joins the piece before it, so a
 * page starts at the first span that begins a character and ends past the
 * last one's character. `bytes`: the original's bytes from pageByteRange.
 */
export function pagePieces(map: BitsMap, offsets: Float64Array, p: number, bytes: Uint8Array): Piece[] {
  const n = map.lengths.length;
  const base = offsets[Math.min(n, p * PAGE_SPANS)]!;
  const byteOf = (span: number) => bytes[offsets[span]! - base];
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let s = Math.min(n, p * PAGE_SPANS);
  const end = Math.min(n, (p + 1) * PAGE_SPANS);
  // (a character begun on the page before belongs there)
  if (p > 0) for (let k = 0; k < MAX_CHAR_TOKENS - 1 && s < end && isContinuation(byteOf(s)); k++) s++;
  const pieces: Piece[] = [];
  while (s < end) {
    let t = s + 1;
    while (t < n && t - s < MAX_CHAR_TOKENS && offsets[t]! - base < bytes.length && isContinuation(byteOf(t))) t++;
    let bits = 0;
    let by: number = map.predictedBy[s]!;
    for (let i = s; i < t; i++) {
      bits += map.bits[i]!;
      if (map.predictedBy[i] !== by) by = PREDICTED_BY.several;
    }
    const from = offsets[s]! - base;
    const len = offsets[t]! - offsets[s]!;
    const stored = map.predictedBy[s] === PREDICTED_BY.stored;
    const shown = stored ? Math.min(len, STORED_PREVIEW) : len;
    pieces.push({
      span: s,
      spans: t - s,
      text: decoder.decode(bytes.subarray(from, from + shown)),
      bits,
      bytes: len,
      predictedBy: by,
      truncated: shown < len,
    });
    s = t;
  }
  return pieces;
}

/** Which page holds span i. */
export const pageOfSpan = (i: number) => Math.floor(i / PAGE_SPANS);

/** What predicted a piece, as the tooltip says it. */
export function predictorName(by: number): string {
  switch (by) {
    case PREDICTED_BY.lm:
      return 'the language model';
    case PREDICTED_BY.match:
      return 'the match model (a repeat of earlier text)';
    case PREDICTED_BY.context:
      return 'the token context models';
    case PREDICTED_BY.matchAndContext:
      return 'the match and context models together';
    case PREDICTED_BY.stored:
      return 'nothing: stored as raw bytes';
    case PREDICTED_BY.bytes:
      return 'the byte model (learned from this text alone)';
    default:
      return 'several models';
  }
}
