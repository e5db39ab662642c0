/**
 * History across chunks (docs/mixing.md, "Rounds"): model chunks are coded in
 * rounds (`roundOf`: 1, 1, 2, 4, … up to `roundWidth` chunks each); a chunk
 * sees the tokens of the model chunks before its round, cut to the last
 * HISTORY_TOKENS of them, and its mixer starts from the mean of what the
 * round before learned. Both sides hold those tokens before they code the chunk: the encoder
 * has every token from the start, the decoder has decoded the earlier rounds.
 * The chunks of a round need nothing of each other, so they still run in
 * parallel, in lockstep batches and across workers.
 */
import { meanState, type MixerState } from './tokenMixer.js';
import { tableBits, TokenModels } from './tokenModels.js';

/** At most this many tokens of history (~2 MB of text): bounds the tables at 2^20 entries (docs/mixing.md). */
export const HISTORY_TOKENS = 2 ** 19;

/**
 * What the chunks of one round share, and all a worker needs to code them
 * with mixing: the history window's tokens, and what the mixers of the
 * round before learned (null in the first round: the mixer's initial state).
 */
export interface RoundContext {
  tokens: Int32Array;
  learned: MixerState | null;
}

/**
 * The encoder's request to a worker: a stretch of the model-token stream and
 * where each chunk's history ends in it (chunks of several rounds may share a
 * request: the encoder's workers only record, docs/mixing.md).
 */
export interface HistoryRequest {
  /** Tokens [start, start + tokens.length) of the stream. */
  tokens: Int32Array;
  start: number;
  /** Per chunk of the request: its history is the stream's tokens in historyWindow(end). */
  ends: number[];
}

/** Builds each distinct history of a request once (a round's chunks share theirs). */
export class HistoryCache {
  private key = -1;
  private models: TokenModels | null = null;

  constructor(
    private readonly request: HistoryRequest,
    private readonly builder: HistoryBuilder,
  ) {
    const { tokens, start, ends } = request;
    for (const end of ends) {
      const { from, to } = historyWindow(end);
      if (from < start || to > start + tokens.length) throw new RangeError("the request does not hold a chunk's history");
    }
  }

  /** The history models of the request's chunk i. */
  forChunk(i: number): TokenModels | null {
    const end = this.request.ends[i]!;
    if (end !== this.key) {
      const { from, to } = historyWindow(end);
      this.key = end;
      this.models = this.builder.build(this.request.tokens.subarray(from - this.request.start, to - this.request.start));
    }
    return this.models;
  }
}

/** The window of a history ending at `end`. */
export function historyWindow(end: number): { from: number; to: number } {
  return { from: Math.max(0, end - HISTORY_TOKENS), to: end };
}

/**
 * The frozen models of a history (null when it is empty), and of successive
 * histories, each built on the last where that gives the same models. The
 * models depend only on the history's tokens
 * and their tables' size, which `tableBits` takes from the token count; so
 * while a history starts with the last one's tokens and needs tables of the
 * same size (until its window starts to slide, each round's history is the
 * round before's plus that round's chunks), the last models, sized for as
 * many tokens as their tables allow, take just the new tokens: the same
 * pushes a fresh build makes. Anything else is built afresh. Replaying a
 * whole history into new tables for every round and request left the
 * workers and the encoder's mixer tens of MB of garbage tables apiece.
 *
 * The models returned are the builder's own: the next `build` may extend
 * them, so a caller is done with one history before asking for the next.
 */
export class HistoryBuilder {
  private models: TokenModels | null = null;

  build(tokens: Int32Array): TokenModels | null {
    if (!tokens.length) return null;
    let models = this.models;
    if (!models || !models.canExtendTo(tokens)) {
      const bits = tableBits(tokens.length);
      // as many tokens as tables of this size are made for (tableBits: two slots per token)
      models = this.models = new TokenModels(Math.max(tokens.length, 2 ** (bits - 1)));
    }
    for (let i = models.size; i < tokens.length; i++) {
      models.predict();
      models.push(tokens[i]!);
    }
    return models;
  }
}

/**
 * A HistoryBuilder kept between the requests one coder serves (a worker, an
 * in-process runner): each request takes it for as long as it runs, so two
 * requests that overlap (a request awaits between chunks) never extend
 * models the other is still reading; the second simply gets a new builder.
 */
export class KeptHistoryBuilder {
  private idle: HistoryBuilder | null = new HistoryBuilder();

  take(): HistoryBuilder {
    const builder = this.idle ?? new HistoryBuilder();
    this.idle = null;
    return builder;
  }

  giveBack(builder: HistoryBuilder): void {
    this.idle = builder;
  }
}

/**
 * The model-token stream of an archive, as far as a coder needs it: every
 * model chunk's tokens appended in order, old ones dropped once no later
 * chunk's history can reach them.
 */
export class TokenLog {
  private parts: Int32Array[] = [];
  /** Stream offset of parts[0][0]. */
  private first = 0;
  /** Stream offset one past the last token. */
  end = 0;
  /** Stream offset where model chunk k's tokens start (k = 0, 1, …), and its end. */
  private readonly starts: number[] = [];

  append(ids: Int32Array): void {
    this.starts.push(this.end);
    this.parts.push(ids);
    this.end += ids.length;
  }

  /** Model chunks appended so far. */
  get chunks(): number {
    return this.starts.length;
  }

  /** Stream offset where model chunk k starts (k <= chunks: k = chunks is the end). */
  startOf(k: number): number {
    if (k > this.starts.length) throw new RangeError('token log: that chunk is not in yet');
    return k < this.starts.length ? this.starts[k]! : this.end;
  }

  /** Tokens [from, to) of the stream (from >= what was dropped). */
  slice(from: number, to: number): Int32Array {
    if (from < this.first || to > this.end || from > to) throw new RangeError('token log: range not held');
    const out = new Int32Array(to - from);
    let at = this.first;
    let n = 0;
    for (const p of this.parts) {
      const lo = Math.max(from, at);
      const hi = Math.min(to, at + p.length);
      if (lo < hi) {
        out.set(p.subarray(lo - at, hi - at), n);
        n += hi - lo;
      }
      at += p.length;
      if (at >= to) break;
    }
    return out;
  }

  /** Forgets whole parts that end at or before `offset`. */
  dropBefore(offset: number): void {
    while (this.parts.length && this.first + this.parts[0]!.length <= offset) {
      this.first += this.parts[0]!.length;
      this.parts.shift();
    }
  }
}

/**
 * The rounds' schedule for a width W: rounds double from one chunk up to
 * the largest power of two P <= W, then stay W wide. Round boundaries
 * (first model chunk of each round): 0, 1, 2, 4, …, P, P + W, P + 2W, …
 * (W = 16: rounds of 1, 1, 2, 4, 8, 16, 16, … chunks). Early chunks thus
 * see most of what precedes them, where a fixed width would leave the
 * first W chunks with no history at all; later rounds run W chunks at once.
 */
function widest(roundWidth: number): { p: number; log: number } {
  let p = 1;
  let log = 0;
  while (p * 2 <= roundWidth) [p, log] = [p * 2, log + 1];
  return { p, log };
}

/** Which round model chunk k is in. */
export function roundOf(k: number, roundWidth: number): number {
  const { p, log } = widest(roundWidth);
  if (k >= p) return log + 1 + Math.floor((k - p) / roundWidth);
  return k === 0 ? 0 : 32 - Math.clz32(k);
}

/** The first model chunk of round r. */
export function firstOfRound(r: number, roundWidth: number): number {
  const { p, log } = widest(roundWidth);
  if (r <= log + 1) return r === 0 ? 0 : 2 ** (r - 1);
  return p + (r - log - 1) * roundWidth;
}

/** Where the history of model chunks in round r ends in the stream: where the round's first chunk starts. */
export function roundStart(log: TokenLog, round: number, roundWidth: number): number {
  return log.startOf(firstOfRound(round, roundWidth));
}

/** The context of round r, from a log holding every token its history needs. */
export function roundContext(log: TokenLog, round: number, roundWidth: number, learned: MixerState | null): RoundContext {
  const { from, to } = historyWindow(roundStart(log, round, roundWidth));
  return { tokens: log.slice(from, to), learned };
}

/** Forgets what no round from `round` on can reach. */
export function forgetBefore(log: TokenLog, round: number, roundWidth: number): void {
  log.dropBefore(historyWindow(roundStart(log, round, roundWidth)).from);
}

/**
 * The bookkeeping of mixing rounds, the same on both sides: the token log,
 * the round being coded, what its chunks start from (the mean of what the
 * round before learned) and what they have learned so far. Callers hand it
 * model chunks in order (the decoder in requests that stay within one round).
 */
export class MixingRounds {
  readonly log = new TokenLog();
  private round = 0;
  private learned: MixerState | null = null;
  private states: MixerState[] = [];
  private context: RoundContext | null = null;

  constructor(readonly width: number) {}

  /** Whether model chunk k is the first of its round (the decoder waits there for the rounds before). */
  startsRound(k: number): boolean {
    return firstOfRound(roundOf(k, this.width), this.width) === k;
  }

  /** The context of the round model chunk `first` is in (rounds come in order; one object per round). */
  contextFor(first: number): RoundContext {
    const r = roundOf(first, this.width);
    if (r !== this.round) {
      if (r !== this.round + 1) throw new RangeError('mixing rounds must come in order');
      this.learned = meanState(this.states);
      this.states = [];
      this.round = r;
      this.context = null;
    }
    this.context ??= roundContext(this.log, r, this.width, this.learned);
    return this.context;
  }

  /** The encoder's request for model chunks [k0, k1): each one's history end, and the tokens those reach. */
  historyRequest(k0: number, k1: number): HistoryRequest {
    const ends: number[] = [];
    for (let k = k0; k < k1; k++) ends.push(roundStart(this.log, roundOf(k, this.width), this.width));
    const start = ends.length ? historyWindow(ends[0]!).from : 0;
    const stop = ends.length ? ends[ends.length - 1]! : 0;
    return { tokens: this.log.slice(start, stop), start, ends };
  }

  /** What the chunks of the current round's request learned. */
  learn(states: MixerState[]): void {
    this.states.push(...states);
  }

  /** Drops tokens no round from that of model chunk `next` on can reach. */
  forgetBefore(next: number): void {
    forgetBefore(this.log, roundOf(next, this.width), this.width);
  }
}
