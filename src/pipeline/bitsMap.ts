/**
 * Where an archive's bits went (issue #19): the cost of every token as the
 * coder paid it — log2(total / frequency) of the integer tables that were
 * actually coded, yes/no decisions of the mixer included — laid over the
 * original bytes, so a page or a notebook can show which text was expensive.
 *
 * Nothing here feeds the coder: the figures are floats, for people. Memory is
 * bounded: past MAX_SPANS spans, neighbours merge in pairs (and from then on
 * every span covers twice as many tokens), so a huge input keeps an even,
 * coarser map instead of an unbounded one.
 */

/** What predicted a span's token (the mixer's decision that ended it; docs/mixing.md). */
export const PREDICTED_BY = {
  /** The language model's table (no mixing, or every candidate refused). */
  lm: 0,
  /** A candidate only the match model proposed (a repeat of earlier text). */
  match: 1,
  /** A candidate only the token context models proposed. */
  context: 2,
  /** A candidate both proposed. */
  matchAndContext: 3,
  /** Bytes stored as they are (binary-looking data, or text the model could not shrink): 8 bits a byte. */
  stored: 4,
  /** A merged span of several tokens with different predictors (downsampled maps only). */
  several: 5,
  /** Bytes coded by the byte model (mixing ids 2 and 3), which learned them from this text alone; one span per byte. */
  bytes: 6,
} as const;
export type PredictedBy = (typeof PREDICTED_BY)[keyof typeof PREDICTED_BY];

/** The predictor of a token the mixer coded "yes" for, from the mask of models that proposed it (bit 0: match, bits 1…: context orders); 0 mask: the LM's table. */
export function predictorOfMask(mask: number): PredictedBy {
  const match = (mask & 1) !== 0;
  const context = mask >> 1 !== 0;
  return match ? (context ? PREDICTED_BY.matchAndContext : PREDICTED_BY.match) : context ? PREDICTED_BY.context : PREDICTED_BY.lm;
}

/** Per-token costs of one chunk as it was coded. */
export interface ChunkBits {
  /** Bits of each token. */
  bits: Float32Array;
  /** PREDICTED_BY of each token; absent: all by the LM. */
  predictedBy?: Uint8Array;
}

export interface BitsMap {
  /** Bytes of the original (before any transform) each span covers, in order; they add up to the original's length. */
  lengths: Uint32Array;
  /** Bits the coder spent on each span. */
  bits: Float32Array;
  predictedBy: Uint8Array;
  /** Tokens per span: 1 unless the input had more than MAX_SPANS tokens (a stored run counts as one). */
  tokensPerSpan: number;
  /** The archive's header (and chunk table) size. */
  headerBytes: number;
  /** The payloads' size; 8 × this minus the spans' bits is the range coder's own overhead (a few bits a chunk). */
  payloadBytes: number;
}

/** Spans kept at full resolution: 2^19 tokens (about 1.7 MB of English text); 13 bytes each. */
export const MAX_SPANS = 1 << 19;

/** Builds a BitsMap span by span, within MAX_SPANS (or `capacity`, for tests). */
export class BitsRecorder {
  private lengths: Uint32Array;
  private bits: Float32Array;
  private predictedBy: Uint8Array;
  private n = 0;
  private tokensPerSpan = 1;
  /** The span being filled when spans hold more than one token. */
  private pending = { length: 0, bits: 0, predictedBy: -1, tokens: 0 };

  constructor(private readonly capacity = MAX_SPANS) {
    if (capacity < 2 || capacity % 2) throw new RangeError('capacity must be even and at least 2');
    const start = Math.min(capacity, 1024);
    this.lengths = new Uint32Array(start);
    this.bits = new Float32Array(start);
    this.predictedBy = new Uint8Array(start);
  }

  /** Adds one token (or stored run) of `length` original bytes. */
  add(length: number, bits: number, predictedBy: PredictedBy): void {
    const p = this.pending;
    p.length += length;
    p.bits += bits;
    p.predictedBy = p.predictedBy < 0 || p.predictedBy === predictedBy ? predictedBy : PREDICTED_BY.several;
    if (++p.tokens < this.tokensPerSpan) return;
    this.push(p.length, p.bits, p.predictedBy);
    this.pending = { length: 0, bits: 0, predictedBy: -1, tokens: 0 };
  }

  private push(length: number, bits: number, predictedBy: number): void {
    if (this.n === this.lengths.length) {
      if (this.n < this.capacity) this.grow(Math.min(this.capacity, this.n * 2));
      else this.halve();
    }
    this.lengths[this.n] = length;
    this.bits[this.n] = bits;
    this.predictedBy[this.n] = predictedBy;
    this.n++;
  }

  private grow(size: number): void {
    const grown = <T extends Uint32Array | Float32Array | Uint8Array>(a: T, b: T) => (b.set(a), b);
    this.lengths = grown(this.lengths, new Uint32Array(size));
    this.bits = grown(this.bits, new Float32Array(size));
    this.predictedBy = grown(this.predictedBy, new Uint8Array(size));
  }

  /** Full: neighbours merge in pairs, and spans hold twice as many tokens from now on. */
  private halve(): void {
    const half = this.n >> 1;
    for (let i = 0; i < half; i++) {
      const [a, b] = [2 * i, 2 * i + 1];
      this.lengths[i] = this.lengths[a]! + this.lengths[b]!;
      this.bits[i] = this.bits[a]! + this.bits[b]!;
      this.predictedBy[i] = this.predictedBy[a] === this.predictedBy[b] ? this.predictedBy[a]! : PREDICTED_BY.several;
    }
    this.n = half;
    this.tokensPerSpan *= 2;
  }

  finish(headerBytes: number, payloadBytes: number): BitsMap {
    const p = this.pending;
    if (p.tokens) this.push(p.length, p.bits, p.predictedBy);
    this.pending = { length: 0, bits: 0, predictedBy: -1, tokens: 0 };
    return {
      lengths: this.lengths.slice(0, this.n),
      bits: this.bits.slice(0, this.n),
      predictedBy: this.predictedBy.slice(0, this.n),
      tokensPerSpan: this.tokensPerSpan,
      headerBytes,
      payloadBytes,
    };
  }
}

const LF = 10;

/**
 * Lengths in the original of pieces of the coded text (docs/format.md,
 * "Transforms"): with the line-ending transform every LF but the recorded
 * exceptions stood for CR LF, two bytes. Pieces come in order.
 */
export class OriginalLengths {
  private lineFeeds = 0;
  private next = 0;

  /** `exceptions`: ordinals of the LFs that were lone (may grow while pieces come: the compressor's folder appends them); null: no transform. */
  constructor(private readonly exceptions: ArrayLike<number> | null) {}

  of(coded: Uint8Array): number {
    const ex = this.exceptions;
    if (!ex) return coded.length;
    let n = coded.length;
    for (let i = 0; i < coded.length; i++) {
      if (coded[i] !== LF) continue;
      if (this.next < ex.length && ex[this.next] === this.lineFeeds) this.next++;
      else n++;
      this.lineFeeds++;
    }
    return n;
  }
}

/**
 * Records a chunk's tokens (or a stored run) into a BitsRecorder: the
 * compressor and the decompressor call it in archive order.
 */
export class BitsLedger {
  readonly recorder = new BitsRecorder();
  private readonly original: OriginalLengths;
  /** Stored bytes not yet recorded: a run of them is one span however it arrived (chunk by chunk, or in the decoder's reads). */
  private storedRun = { coded: 0, original: 0 };

  constructor(
    private readonly tokenBytes: Uint8Array[] | null,
    exceptions: ArrayLike<number> | null,
  ) {
    this.original = new OriginalLengths(exceptions);
  }

  /** A model-coded chunk: its token ids and what each cost. */
  tokens(ids: Int32Array, costs: ChunkBits): void {
    if (!this.tokenBytes) throw new RangeError('model chunks need the tokenizer');
    if (costs.bits.length !== ids.length) throw new RangeError('one cost per token');
    this.endStoredRun();
    for (let t = 0; t < ids.length; t++) {
      const by = (costs.predictedBy?.[t] ?? PREDICTED_BY.lm) as PredictedBy;
      this.recorder.add(this.original.of(this.tokenBytes[ids[t]!]!), costs.bits[t]!, by);
    }
  }

  /** A chunk the byte model coded: its coded-text bytes and what each cost. */
  bytes(text: Uint8Array, bits: Float32Array): void {
    if (bits.length !== text.length) throw new RangeError('one cost per byte');
    this.endStoredRun();
    for (let i = 0; i < text.length; i++) this.recorder.add(this.original.of(text.subarray(i, i + 1)), bits[i]!, PREDICTED_BY.bytes);
  }

  /** Coded-text bytes stored as they are. */
  stored(bytes: Uint8Array): void {
    this.storedRun.coded += bytes.length;
    this.storedRun.original += this.original.of(bytes);
  }

  private endStoredRun(): void {
    const run = this.storedRun;
    if (run.coded) this.recorder.add(run.original, 8 * run.coded, PREDICTED_BY.stored);
    this.storedRun = { coded: 0, original: 0 };
  }

  finish(headerBytes: number, payloadBytes: number): BitsMap {
    this.endStoredRun();
    return this.recorder.finish(headerBytes, payloadBytes);
  }
}
