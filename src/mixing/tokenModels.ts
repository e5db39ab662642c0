/**
 * The adaptive token models: what the text being coded has shown so far.
 *
 * - A match model: the most recent repeat of the last `matchOrder` tokens
 *   predicts the token that followed it.
 * - Context slots of several orders (TOKEN_MODELS_V1.orders): per hashed
 *   context of the last n tokens, the token that last followed it and how
 *   often in a row.
 *
 * Both learn only from tokens, never from the LM, so the history of earlier
 * rounds (docs/mixing.md, "Rounds") can be replayed into them anywhere
 * without the LM. A chunk's models are an overlay: small tables of its own
 * tokens, looked up first, over the frozen tables built from the history.
 * Every table has a fixed size, so memory is bounded (docs/mixing.md).
 */
import { ContextProbabilities } from './adaptive.js';

export interface TokenModelParams {
  /** Tokens of context a match must agree on before it predicts. */
  matchOrder: number;
  /** Mispredictions a match is followed past (a changed field in a repeated line) before it is dropped. */
  maxMisses: number;
  /** Context lengths (tokens) of the slot tables, ascending. */
  orders: readonly number[];
}
export const TOKEN_MODELS_V1: TokenModelParams = { matchOrder: 4, maxMisses: 8, orders: [1, 2, 3] };
export const MATCH_MAX = 65535;
const SLOT_COUNT_MAX = 15;
/** Length buckets of the match model's confidence: 0..15 exact, then by powers of two. */
export const LENGTH_BUCKETS = 24;

/** Contexts of the match model's confidence: length bucket, and whether it has mispredicted since it was found. */
export const MATCH_CONTEXTS = 2 * LENGTH_BUCKETS;

export function lengthBucket(len: number): number {
  if (len < 16) return len;
  const b = 12 + (31 - Math.clz32(len)); // 16..31 -> 16, 32..63 -> 17, …
  return b < LENGTH_BUCKETS ? b : LENGTH_BUCKETS - 1;
}

/** Hash of tokens[end - order .. end) (Math.imul: the same 32-bit integers on every engine). */
function hashTail(tokens: Int32Array, end: number, order: number, salt: number): number {
  let h = Math.imul(salt + 1, 0x9e3779b1);
  for (let i = end - order; i < end; i++) h = Math.imul(h ^ tokens[i]!, 0x85ebca6b) ^ (h >>> 15);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Table bits for `tokens` entries: about two slots per token, within 12..22 (at most 4 M entries). */
export function tableBits(tokens: number): number {
  let b = 12;
  while (b < 22 && 1 << b < 2 * tokens) b++;
  return b;
}

/** The last token seen after each hashed context, with a run count; checked by 8 hash bits. */
class SlotTable {
  readonly token: Int32Array;
  /** check (8 bits) << 8 | count; 0 = empty. */
  readonly meta: Uint16Array;
  readonly mask: number;

  constructor(bits: number) {
    this.token = new Int32Array(1 << bits);
    this.meta = new Uint16Array(1 << bits);
    this.mask = (1 << bits) - 1;
  }

  /** Index of h's slot, or -1 when the slot holds another context or nothing. */
  find(h: number): number {
    const i = h & this.mask;
    const m = this.meta[i]!;
    return m !== 0 && m >> 8 === h >>> 24 ? i : -1;
  }
}

/** A frozen history: its tokens and tables, shared read-only by every chunk of a round. */
export interface TokenHistory {
  readonly models: TokenModels;
}

export class TokenModels {
  /** Own tokens (a chunk's, or the whole history while it is built). */
  private readonly tokens: Int32Array;
  private length = 0;
  /** Virtual index of tokens[0]: the base's tokens come first. */
  private readonly offset: number;
  private readonly matchTable: Int32Array;
  private readonly matchMask: number;
  private readonly slots: SlotTable[];
  /** Match state: virtual index of the predicted token, and the match length (0: none). */
  private ptr = -1;
  private len = 0;
  /** Confidence of the match model by length bucket, and of each slot order by run count. */
  readonly matchHits: ContextProbabilities;
  readonly slotHits: ContextProbabilities;
  /** This step's predictions (-1: none), set by `predict`. */
  readonly slotToken: Int32Array;
  readonly slotCount: Int32Array;
  private readonly slotHash: Int32Array;
  private readonly slotIndex: Int32Array;
  /** The slot tables' context lengths. */
  readonly orders: readonly number[];

  private readonly matchOrder: number;
  private readonly maxMisses: number;
  /** Mispredictions since the match was found (it is followed on past them, up to maxMisses). */
  private misses = 0;

  /** `capacity`: most own tokens; `base`: the frozen history underneath (its counters are copied). */
  constructor(
    capacity: number,
    private readonly base: TokenModels | null = null,
    params: TokenModelParams = TOKEN_MODELS_V1,
  ) {
    this.matchOrder = base ? base.matchOrder : params.matchOrder;
    this.maxMisses = base ? base.maxMisses : params.maxMisses;
    this.orders = base ? base.orders : params.orders;
    const n = this.orders.length;
    [this.slotToken, this.slotCount, this.slotHash, this.slotIndex] = [new Int32Array(n), new Int32Array(n), new Int32Array(n), new Int32Array(n)];
    this.tokens = new Int32Array(capacity);
    this.offset = base ? base.offset + base.length : 0;
    const bits = tableBits(capacity);
    this.matchTable = new Int32Array(1 << bits);
    this.matchMask = (1 << bits) - 1;
    this.slots = this.orders.map(() => new SlotTable(bits));
    this.matchHits = new ContextProbabilities(MATCH_CONTEXTS, 255);
    this.slotHits = new ContextProbabilities(n * (SLOT_COUNT_MAX + 1), 255);
    if (base) {
      this.matchHits.copyFrom(base.matchHits);
      this.slotHits.copyFrom(base.slotHits);
    }
  }

  /** Own tokens learned so far. */
  get size(): number {
    return this.length;
  }

  /**
   * Whether pushing the rest of `tokens` makes the models a fresh build of
   * all of them would (HistoryBuilder): no base, what was learned is their
   * start, they fit, and their count gives tables of this size.
   */
  canExtendTo(tokens: Int32Array): boolean {
    if (this.base || tokens.length < this.length || tokens.length > this.tokens.length) return false;
    if (1 << tableBits(tokens.length) !== this.matchMask + 1) return false;
    for (let i = 0; i < this.length; i++) if (tokens[i] !== this.tokens[i]) return false;
    return true;
  }

  /** Token at virtual index v. */
  private at(v: number): number {
    return v >= this.offset ? this.tokens[v - this.offset]! : this.base!.at(v);
  }

  /** The match's confidence context (0..MATCH_CONTEXTS-1). */
  get matchContext(): number {
    return lengthBucket(this.len) + (this.misses ? LENGTH_BUCKETS : 0);
  }

  /** The match model's predicted token, -1 when there is no match. */
  get matchToken(): number {
    return this.ptr >= 0 ? this.at(this.ptr) : -1;
  }

  /** Looks up the context slots for the next token (slotToken/slotCount; -1 where none). */
  predict(): void {
    for (let k = 0; k < this.orders.length; k++) {
      const order = this.orders[k]!;
      this.slotToken[k] = -1;
      this.slotCount[k] = 0;
      this.slotIndex[k] = -1;
      if (this.length < order) continue;
      const h = hashTail(this.tokens, this.length, order, k);
      this.slotHash[k] = h;
      const own = this.slots[k]!.find(h);
      this.slotIndex[k] = own;
      const table = own >= 0 ? this.slots[k]! : this.base?.slots[k];
      const i = own >= 0 ? own : (table?.find(h) ?? -1);
      if (i < 0) continue;
      this.slotToken[k] = table!.token[i]!;
      this.slotCount[k] = table!.meta[i]! & 255;
    }
  }

  /**
   * Looks up the next token's predictions and writes the distinct candidates
   * in their fixed order (match, then the slots from the highest order down)
   * with, for each, which models proposed it (bit 0 match, bit k + 1 slot
   * order k). Returns how many (at most 1 + orders).
   */
  propose(candidates: Int32Array, masks: Int32Array): number {
    this.predict();
    let n = 0;
    const add = (token: number, bit: number) => {
      if (token < 0) return;
      for (let i = 0; i < n; i++) if (candidates[i] === token) return void (masks[i] = masks[i]! | bit);
      candidates[n] = token;
      masks[n++] = bit;
    };
    add(this.matchToken, 1);
    for (let k = this.orders.length - 1; k >= 0; k--) add(this.slotToken[k]!, 2 << k);
    return n;
  }

  /** Context of slot order k's confidence, for a run count. */
  static slotContext(k: number, count: number): number {
    return k * (SLOT_COUNT_MAX + 1) + count;
  }

  /** Learns `token` (after `predict`): confidences, slots, then the match state. */
  push(token: number): void {
    if (this.length >= this.tokens.length) throw new RangeError('token models: more tokens than their capacity');
    const predicted = this.matchToken;
    if (predicted >= 0) this.matchHits.update(this.matchContext, predicted === token);
    for (let k = 0; k < this.orders.length; k++) {
      if (this.length < this.orders[k]!) continue;
      const had = this.slotToken[k]!;
      let count = this.slotCount[k]!;
      if (had >= 0) this.slotHits.update(TokenModels.slotContext(k, count), had === token);
      // the slot's new state, written into the own table (a base slot is copied on write)
      let next = token;
      if (had === token) count = Math.min(SLOT_COUNT_MAX, count + 1);
      else if (had >= 0 && count > 1) [next, count] = [had, count >> 1];
      else count = 1;
      const t = this.slots[k]!;
      const h = this.slotHash[k]!;
      const i = this.slotIndex[k]! >= 0 ? this.slotIndex[k]! : h & t.mask;
      t.token[i] = next;
      t.meta[i] = ((h >>> 24) << 8) | count;
    }
    // the match: extend it, or look for a new one once this token is in place
    if (predicted >= 0 && predicted === token) {
      this.len = Math.min(MATCH_MAX, this.len + 1);
      this.ptr++;
      if (this.len >= 16) this.misses = 0;
    } else if (predicted >= 0 && this.misses < this.maxMisses) {
      // follow it on past a changed token; a verified new match below replaces it
      this.misses++;
      this.len = 0;
      this.ptr++;
    } else {
      this.len = 0;
      this.ptr = -1;
      this.misses = 0;
    }
    this.tokens[this.length++] = token;
    if (this.length < this.matchOrder) return;
    const full = hashTail(this.tokens, this.length, this.matchOrder, 7);
    const h = full & this.matchMask;
    const end = this.offset + this.length; // virtual index of the next token
    if (this.len === 0) {
      let candidate = this.matchTable[h]! - 1;
      if (candidate < 0 && this.base) candidate = this.base.matchAt(full);
      if (candidate > 0) {
        // how far back the candidate really agrees (hashes collide), within this model's own tokens
        let n = 0;
        while (n < 32 && n < this.length && candidate - 1 - n >= 0 && this.at(candidate - 1 - n) === this.tokens[this.length - 1 - n]) n++;
        if (n >= this.matchOrder) [this.ptr, this.len, this.misses] = [candidate, n, 0];
      }
    }
    this.matchTable[h] = end + 1;
  }

  /** The base's match candidate for a hash of the base's table size, -1 if none. */
  private matchAt(h: number): number {
    // a chunk's own table and its base have different sizes: the same full hash picks each one's slot
    return this.matchTable[h & this.matchMask]! - 1;
  }
}
