/**
 * A byte-level context-mixing model (docs/mixing.md, "Mixing id 2"), in the
 * line of lpaq and zpaq: it predicts the next bit of the text from hashed
 * contexts of the last 2, 3, 4 and 6 bytes, the current word and the byte
 * above in the previous line, direct contexts of the partial byte and the
 * last byte, and a match model; a logistic mixer combines them and two APMs
 * refine the result. It knows nothing in advance and learns the text as it
 * is coded — which is what wins where the LM is weak (languages and kinds
 * of text it barely saw), where the token coder loses even to xz.
 *
 * Integer arithmetic only (the probability domain of `logistic.ts`, hashes
 * by Math.imul), so the encoder and every decoder compute the same bits.
 * Memory is fixed (`byteModelMemory`: 57 MB for BYTE_MODEL_V2, 64.5 MB for
 * BYTE_MODEL_V1, whose 3 bytes a slot became the shared layout's 4; plus up
 * to 16 MB of history for the match model).
 *
 * Two versions, both frozen (each archive names its own by mixing id):
 * BYTE_MODEL_V1 (mixing id 2) and BYTE_MODEL_V2 (mixing id 3), which adds
 * bit histories beside each slot's probability, checked slot blocks and four
 * more contexts (docs/mixing.md, "Mixing id 3").
 */
import { BYTES_MIXING, BYTES_MIXING_V2, MAX_TABLE_BITS_V2 } from '../format/codingBlock.js';
import { RECIPROCAL } from './adaptive.js';
import { PROB_ONE, squash, stretch, STRETCH_MAX } from './logistic.js';

export interface ByteModelParams {
  /** log2 of the entries of each hashed context's table. */
  tableBits: number;
  /** Orders (bytes of context) of the hashed contexts; the word and column contexts come after them. */
  orders: readonly number[];
  /** A counter's adaptation settles at 1/(limit + 1.5) (≤ 255). */
  limit: number;
  /** Mixer learning rate: w += x * err * rate / 2^20. */
  rate: number;
  /** log2 of the match model's position table. */
  matchBits: number;
  /** Bytes hashed to find a match. */
  matchMin: number;
  /** log2 of the most history the match model looks back into (a ring of the last 2^historyBits bytes). */
  historyBits: number;
  /** Hashed contexts after the orders, the word and the column, in this order. */
  extraContexts: readonly ExtraContext[];
  /**
   * Each slot also keeps a bit history (its last bit, whether it saw both,
   * the run of the last), which a learned table per context and bit
   * position turns into a second input: deterministic contexts are sharper
   * than any counter says.
   */
  bitHistories: boolean;
  /**
   * Each 16-slot block has a check byte of its context's hash (kept apart
   * from the slots); of three candidate blocks the one that matches is used, or the
   * least used one is taken over (lpaq's buckets): colliding contexts stop
   * sharing counters, which 2x larger tables would otherwise buy.
   */
  checkedBlocks: boolean;
}

/**
 * More hashed contexts: the word with the number of field separators
 * (, ; | tab) so far in the line; the line's indentation (with the last two
 * bytes once past it); the word and the one before it; the two bytes before
 * the last one.
 */
export type ExtraContext = 'fieldWord' | 'indent' | 'wordPair' | 'sparse';

/** What archives with mixing id 2 use at their largest (chosen by the measurements in docs/mixing.md): frozen. */
export const BYTE_MODEL_V1: ByteModelParams = {
  tableBits: 21,
  orders: [2, 3, 4, 6],
  limit: 255,
  rate: 32,
  matchBits: 20,
  matchMin: 6,
  historyBits: 24,
  extraContexts: [],
  bitHistories: false,
  checkedBlocks: false,
};

/** What archives with mixing id 3 use at their largest (docs/mixing.md, "Mixing id 3"): frozen. */
export const BYTE_MODEL_V2: ByteModelParams = {
  ...BYTE_MODEL_V1,
  tableBits: MAX_TABLE_BITS_V2,
  rate: 24,
  extraContexts: ['fieldWord', 'indent', 'wordPair', 'sparse'],
  bitHistories: true,
  checkedBlocks: true,
};

/** Each mixing id's byte model at its largest. */
export const BYTE_MODELS: Readonly<Record<number, ByteModelParams>> = { [BYTES_MIXING]: BYTE_MODEL_V1, [BYTES_MIXING_V2]: BYTE_MODEL_V2 };

/**
 * A version's model for tables of 2^tableBits entries (the archive records
 * tableBits): small inputs get small tables, so a message does not pay for
 * allocating 50 MB. The match table follows, up to the version's.
 */
export function byteModelParams(tableBits: number, version: ByteModelParams = BYTE_MODEL_V2): ByteModelParams {
  return { ...version, tableBits, matchBits: Math.min(version.matchBits, tableBits) };
}

/**
 * The table size the encoder picks for a text of `bytes` (unknown: the
 * largest): each byte visits two 16-slot blocks per context, so about
 * 32 slots a byte keep collisions rare, up to the version's largest.
 */
export function tableBitsFor(bytes: number | undefined, version: ByteModelParams = BYTE_MODEL_V2): number {
  if (bytes === undefined) return version.tableBits;
  const bits = Math.ceil(Math.log2(Math.max(1, bytes))) + 5;
  return Math.max(12, Math.min(version.tableBits, bits));
}

const HALF = PROB_ONE >> 1;
/** Match lengths are told apart up to this (longer ones share the last). */
const MATCH_LENGTHS = 16;
/** Bytes of context of the match model's second table. */
const LONG_MATCH = 24;
const INITIAL_WEIGHT = Math.floor(65536 * 0.15);
/** Mixer weight sets: no match / a short one / a long one, times the partial byte. */
const WEIGHT_BANDS = 3;
const APM_RATE = 6;

/** Bytes the tables of a model take (not counting the match model's history): what a decoder allocates. */
export function byteModelMemory(params: ByteModelParams = BYTE_MODEL_V2): number {
  const contexts = params.orders.length + 2 + params.extraContexts.length;
  // a 32-bit word per slot (probability, count, bit history), a check byte per block
  const hashed = contexts * (4 + (params.checkedBlocks ? 1 / 16 : 0)) * 2 ** params.tableBits;
  const histories = params.bitHistories ? contexts * 8 * 256 * 3 : 0;
  const match = 2 * 4 * 2 ** params.matchBits; // the 6- and 24-byte position tables
  const apms = 2 * 2 * 65536 * 33;
  const direct = 3 * (256 + 65536);
  const inputs = contexts * (params.bitHistories ? 2 : 1) + 5;
  const weights = 4 * inputs * 256 * (WEIGHT_BANDS + 1);
  return hashed + histories + match + apms + direct + weights;
}

function hash2(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  return Math.imul(h, 0xc2b2ae3d) ^ (h >>> 13);
}

/** Letters, digits and every byte of a multi-byte UTF-8 character. */
function isWordByte(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c >= 128;
}

function clampProbability(p: number): number {
  return p < 1 ? 1 : p > PROB_ONE - 1 ? PROB_ONE - 1 : p;
}

/** An adaptive counter's step toward the bit that came (exact: a floor of an integer quotient). */
function stepToward(p: number, seen: number, target: number): number {
  return clampProbability(p + Math.floor(((target - p) * RECIPROCAL[seen]!) / 65536));
}

/** `stepToward` for slot `s` of a probability table and its counts. */
function train(p: Uint16Array, n: Uint8Array, s: number, target: number, limit: number): void {
  const k = n[s]!;
  p[s] = stepToward(p[s]!, k, target);
  if (k < limit) n[s] = k + 1;
}

/**
 * A bit history's next state. A state is 0 (never seen) or: bit 7 the last
 * bit, bit 6 set once both bits were seen, bits 0..5 the run of the last
 * bit (1..63).
 */
function nextHistory(state: number, bit: number): number {
  if (!state) return (bit << 7) | 1;
  if (state >> 7 === bit) return (state & 0xc0) | Math.min(63, (state & 63) + 1);
  return (bit << 7) | 64 | 1;
}

/** An APM's 33 points per context, starting as the identity along the stretch. */
function apmTable(contexts: number): Uint16Array {
  const t = new Uint16Array(contexts * 33);
  for (let j = 0; j < 33; j++) t[j] = squash((j - 16) * 256);
  // (copies of the first context's points, doubling: quick for 65,536 contexts)
  for (let done = 33; done < t.length; done *= 2) t.copyWithin(done, 0, Math.min(done, t.length - done));
  return t;
}

export class ByteModel {
  private readonly contexts: number;
  /**
   * Per hashed context, one 32-bit word a slot: the 16-bit probability, the
   * count (bits 16..23) and the bit history (bits 24..31, version 2), so a
   * nibble's 16 slots are one 64-byte cache line; with checkedBlocks, a
   * check byte per block in its own array (the three candidates share a line).
   */
  private readonly slots: Uint32Array[];
  private readonly checks: Uint8Array[];
  /** With bitHistories: per context x bit position x history, a learned probability. */
  private readonly historyP: Uint16Array;
  private readonly historyN: Uint8Array;
  private readonly historySlot: Int32Array;
  private readonly mask: number;
  /** Per hashed context: this byte's hash, the slot block of the current nibble, the slot of the current bit. */
  private readonly hashes: Int32Array;
  private readonly block: Int32Array;
  private readonly slot: Int32Array;
  /** Order 0 (the partial byte alone) and order 1 (last byte x partial byte), direct. */
  private readonly p0 = new Uint16Array(256).fill(HALF);
  private readonly n0 = new Uint8Array(256);
  private readonly p1 = new Uint16Array(65536).fill(HALF);
  private readonly n1 = new Uint8Array(65536);
  /** Match model: the bytes so far (a ring once 2^historyBits are held), where each context last ended. */
  private history: Uint8Array;
  private length = 0;
  private readonly lastSeen: Int32Array;
  private readonly lastSeenLong: Int32Array;
  private matchPtr = 0;
  private matchLength = 0;
  private readonly matchP = new Uint16Array(MATCH_LENGTHS * 2).fill(HALF);
  private readonly matchN = new Uint8Array(MATCH_LENGTHS * 2);
  /** The match's counter for this bit; -1 when no match predicts it. */
  private matchSlot = -1;
  /** Mixer: inputs are each hashed context's stretch, orders 0 and 1, the match, a bias. */
  private readonly inputs: number;
  private readonly x: Int32Array;
  private readonly w: Int32Array;
  private wBase = 0;
  private readonly v: Int32Array;
  private vBase = 0;
  private mixedA = 0;
  private mixedB = 0;
  private mixed = HALF;
  /** APMs: by last byte x partial byte, and by a hash of the last two bytes x partial byte. */
  private readonly apm1 = apmTable(65536);
  private readonly apm2 = apmTable(65536);
  private apmIndex1 = 0;
  private apmIndex2 = 0;
  /** Partial byte with a leading 1 (1..255); the current nibble's bits with a leading 1 (1..15). */
  private c0 = 1;
  private nibble = 1;
  private bitPos = 0;
  /** The last 4 bytes and the 4 before them, the current word's hash and the one before it. */
  private c4 = 0;
  private c8 = 0;
  private word = 0;
  private previousWord = 0;
  /** Field separators so far in the line; its indentation, and whether it is still being read. */
  private fields = 0;
  private indent = 0;
  private inIndent = true;
  /** Where the current and the previous line start. */
  private lineStart = 0;
  private previousLine = 0;

  constructor(private readonly params: ByteModelParams = BYTE_MODEL_V1) {
    this.contexts = params.orders.length + 2 + params.extraContexts.length;
    this.mask = (1 << params.tableBits) - 1;
    this.slots = Array.from({ length: this.contexts }, () => new Uint32Array(1 << params.tableBits).fill(HALF));
    this.checks = Array.from({ length: params.checkedBlocks ? this.contexts : 0 }, () => new Uint8Array(1 << (params.tableBits - 4)));
    const histories = params.bitHistories ? this.contexts : 0;
    this.historyP = new Uint16Array(histories * 8 * 256).fill(HALF);
    this.historyN = new Uint8Array(histories * 8 * 256);
    this.historySlot = new Int32Array(histories);
    this.hashes = new Int32Array(this.contexts);
    this.block = new Int32Array(this.contexts);
    this.slot = new Int32Array(this.contexts);
    this.lastSeen = new Int32Array(1 << params.matchBits).fill(-1);
    this.lastSeenLong = new Int32Array(1 << params.matchBits).fill(-1);
    this.history = new Uint8Array(1 << Math.min(16, params.historyBits));
    this.inputs = this.contexts + 5 + histories;
    this.x = new Int32Array(this.inputs);
    this.w = new Int32Array(this.inputs * 256 * WEIGHT_BANDS).fill(INITIAL_WEIGHT);
    this.v = new Int32Array(this.inputs * 256).fill(INITIAL_WEIGHT);
    this.startByte();
  }

  /** Probability (1..65535, of 65536) that the next bit is 1. */
  predict(): number {
    const { x, c0 } = this;
    const k = this.contexts;
    const histories = this.historySlot.length > 0;
    for (let i = 0; i < k; i++) {
      const s = (this.slot[i] = this.block[i]! + this.nibble);
      const v = this.slots[i]![s]!;
      x[i] = v & 0xff0000 ? stretch(v & 0xffff) : 0;
      if (histories) {
        // the slot's bit history, through its context's table for this bit position
        const state = v >>> 24;
        const j = (this.historySlot[i] = ((i << 3) + this.bitPos) * 256 + state);
        x[k + 5 + i] = state ? stretch(this.historyP[j]!) : 0;
      }
    }
    const s1 = ((this.c4 & 255) << 8) | c0;
    x[k] = stretch(this.p0[c0]!);
    x[k + 1] = this.n1[s1] ? stretch(this.p1[s1]!) : 0;
    // the match: the byte that followed the context's last occurrence, while its bits agree with this one's
    this.matchSlot = -1;
    let matchVote = 0;
    if (this.matchLength > 0) {
      const predicted = this.history[this.matchPtr & (this.history.length - 1)]! | 256;
      if (predicted >>> (8 - this.bitPos) === c0) {
        const expected = (predicted >>> (7 - this.bitPos)) & 1;
        this.matchSlot = Math.min(this.matchLength, MATCH_LENGTHS - 1) * 2 + expected;
        // and a vote that grows with the match's length, so long repeats are trusted from the start
        matchVote = (expected ? 1 : -1) * Math.min(this.matchLength, 32) * 32;
      }
    }
    x[k + 2] = this.matchSlot >= 0 ? stretch(this.matchP[this.matchSlot]!) : 0;
    x[k + 3] = matchVote;
    x[k + 4] = 256;
    const band = this.matchSlot < 0 ? 0 : this.matchLength < 16 ? 1 : 2;
    this.wBase = (band * 256 + c0) * this.inputs;
    this.vBase = (this.c4 & 255) * this.inputs;
    let dot = 0;
    let dot2 = 0;
    for (let i = 0; i < this.inputs; i++) {
      dot += this.w[this.wBase + i]! * x[i]!;
      dot2 += this.v[this.vBase + i]! * x[i]!;
    }
    const xA = Math.floor(dot / 65536);
    const xB = Math.floor(dot2 / 65536);
    this.mixedA = squash(xA);
    this.mixedB = squash(xB);
    this.mixed = squash(Math.floor((xA + xB) / 2));
    const a1 = this.refine(this.apm1, s1, 1);
    const a2 = this.refine(this.apm2, hash2(this.c4 & 0xffff, c0) >>> 16, 2);
    return clampProbability((2 * this.mixed + 3 * a1 + 3 * a2) >> 3);
  }

  /** An APM's interpolated refinement of the mixer's probability in context `c`; remembers the nearer point for `update`. */
  private refine(t: Uint16Array, c: number, which: 1 | 2): number {
    const s = stretch(this.mixed) + STRETCH_MAX + 1; // 1..8191
    const j = s >> 8;
    const w = s & 255;
    const base = c * 33 + j;
    const nearer = w < 128 ? base : base + 1;
    if (which === 1) this.apmIndex1 = nearer;
    else this.apmIndex2 = nearer;
    return (t[base]! * (256 - w) + t[base + 1]! * w) >> 8;
  }

  /** Learns the bit that came (after `predict`). */
  update(bit: number): void {
    const target = bit ? PROB_ONE : 0;
    const limit = this.params.limit;
    const histories = this.params.bitHistories;
    for (let i = 0; i < this.contexts; i++) {
      const t = this.slots[i]!;
      const s = this.slot[i]!;
      const v = t[s]!;
      const p = v & 0xffff;
      const n = (v >>> 16) & 255;
      let h = v >>> 24;
      const p2 = stepToward(p, n, target);
      if (histories) {
        if (h) train(this.historyP, this.historyN, this.historySlot[i]!, target, limit);
        h = nextHistory(h, bit);
      }
      t[s] = (p2 | ((n < limit ? n + 1 : n) << 16) | (h << 24)) >>> 0;
    }
    train(this.p0, this.n0, this.c0, target, limit);
    train(this.p1, this.n1, ((this.c4 & 255) << 8) | this.c0, target, limit);
    if (this.matchSlot >= 0) train(this.matchP, this.matchN, this.matchSlot, target, limit);
    const err = target - this.mixedA;
    const err2 = target - this.mixedB;
    const rate = this.params.rate;
    for (let i = 0; i < this.inputs; i++) {
      const j = this.wBase + i;
      const wi = this.w[j]! + Math.floor((this.x[i]! * err * rate) / 2 ** 20);
      this.w[j] = wi > 2 ** 22 ? 2 ** 22 : wi < -(2 ** 22) ? -(2 ** 22) : wi;
      const jv = this.vBase + i;
      const vi = this.v[jv]! + Math.floor((this.x[i]! * err2 * rate) / 2 ** 20);
      this.v[jv] = vi > 2 ** 22 ? 2 ** 22 : vi < -(2 ** 22) ? -(2 ** 22) : vi;
    }
    const t16 = bit ? PROB_ONE - 1 : 1;
    this.apm1[this.apmIndex1] = this.apm1[this.apmIndex1]! + ((t16 - this.apm1[this.apmIndex1]!) >> APM_RATE);
    this.apm2[this.apmIndex2] = this.apm2[this.apmIndex2]! + ((t16 - this.apm2[this.apmIndex2]!) >> APM_RATE);
    this.c0 = (this.c0 << 1) | bit;
    this.nibble = (this.nibble << 1) | bit;
    if (++this.bitPos === 8) this.endByte(this.c0 & 255);
    else if (this.bitPos === 4) this.nextNibble();
  }

  private at(pos: number): number {
    return this.history[pos & (this.history.length - 1)]!;
  }

  private endByte(c: number): void {
    if (this.length === this.history.length && this.history.length < 2 ** this.params.historyBits) {
      const grown = new Uint8Array(this.history.length * 2);
      grown.set(this.history);
      this.history = grown;
    }
    this.history[this.length & (this.history.length - 1)] = c;
    this.length++;
    this.c8 = (this.c8 << 8) | (this.c4 >>> 24);
    this.c4 = (this.c4 << 8) | c;
    if (isWordByte(c)) this.word = hash2(this.word, c);
    else if (this.word) {
      this.previousWord = this.word;
      this.word = 0;
    }
    if (c === 10) {
      this.previousLine = this.lineStart;
      this.lineStart = this.length;
      this.fields = 0;
      this.indent = 0;
      this.inIndent = true;
    } else {
      if (c === 44 || c === 9 || c === 59 || c === 124) this.fields++;
      if (this.inIndent && (c === 32 || c === 9)) this.indent++;
      else this.inIndent = false;
    }
    this.followMatch(c);
    this.c0 = 1;
    this.bitPos = 0;
    this.startByte();
  }

  /** Extends the match while it predicted right; otherwise looks the last matchMin bytes up. */
  private followMatch(c: number): void {
    if (this.matchLength > 0 && this.at(this.matchPtr) === c) {
      this.matchLength++;
      this.matchPtr++;
    } else this.matchLength = 0;
    const min = this.params.matchMin;
    if (this.length < min) return;
    // two tables: the last 6 bytes' last occurrence, and the last LONG_MATCH bytes' (which finds the right one of many short repeats)
    let h = 0;
    for (let i = this.length - min; i < this.length; i++) h = hash2(h, this.at(i));
    const shortAt = this.remember(this.lastSeen, h >>> (32 - this.params.matchBits));
    let longAt = -1;
    if (this.length >= LONG_MATCH) {
      for (let i = this.length - LONG_MATCH; i < this.length - min; i++) h = hash2(h, this.at(i));
      longAt = this.remember(this.lastSeenLong, h >>> (32 - this.params.matchBits));
    }
    if (this.matchLength > 0) return;
    // the longer of the two verified matches
    const longLen = longAt >= 0 ? this.matchingLength(longAt) : 0;
    const shortLen = shortAt >= 0 && shortAt !== longAt ? this.matchingLength(shortAt) : 0;
    const [len, at] = longLen >= shortLen ? [longLen, longAt] : [shortLen, shortAt];
    if (len >= min) {
      this.matchLength = len;
      this.matchPtr = at;
    }
  }

  /** Where the context of slot `i` last ended (-1: never); records this position. */
  private remember(table: Int32Array, i: number): number {
    const at = table[i]!;
    table[i] = this.length;
    return at;
  }

  /** How many bytes before `at` equal the last ones (hashes collide), within what the ring still holds. */
  private matchingLength(at: number): number {
    const oldest = Math.max(0, this.length - this.history.length);
    let len = 0;
    while (len < 65535 && at - 1 - len >= oldest && this.at(at - 1 - len) === this.at(this.length - 1 - len)) len++;
    return len;
  }

  /** This byte's context hashes. */
  private startByte(): void {
    const orders = this.params.orders;
    for (let i = 0; i < orders.length; i++) {
      const o = orders[i]!;
      const low = o >= 4 ? this.c4 : this.c4 & ((1 << (8 * o)) - 1);
      const high = o > 4 ? this.c8 & ((1 << (8 * (o - 4))) - 1) : 0;
      this.hashes[i] = hash2(hash2(low, high), o);
    }
    this.hashes[orders.length] = hash2(this.word, 0x3a6f);
    const column = this.length - this.lineStart;
    const above = this.previousLine + column < this.lineStart ? this.at(this.previousLine + column) : 256;
    this.hashes[orders.length + 1] = hash2(hash2(above, this.c4 & 255), 0x5c01);
    let i = orders.length + 2;
    for (const kind of this.params.extraContexts) this.hashes[i++] = this.extraHash(kind);
    this.nextNibble();
  }

  private extraHash(kind: ExtraContext): number {
    switch (kind) {
      case 'fieldWord':
        return hash2(hash2(this.fields, this.word), 0x3334);
      case 'indent':
        return hash2(hash2(this.indent, this.inIndent ? 0 : this.c4 & 0xffff), 0x4444);
      case 'wordPair':
        return hash2(hash2(this.word, this.previousWord), 0x1111);
      case 'sparse':
        return hash2(this.c4 & 0xffff00, 0x2222);
    }
  }

  /** Slot blocks of 16 for the next four bits: one cache line per context and nibble. */
  private nextNibble(): void {
    this.nibble = 1;
    if (!this.params.checkedBlocks) {
      for (let i = 0; i < this.contexts; i++) this.block[i] = hash2(this.hashes[i]!, this.c0) & this.mask & ~15;
      return;
    }
    for (let i = 0; i < this.contexts; i++) {
      const h = hash2(this.hashes[i]!, this.c0);
      // a check byte is never 0, so a fresh block matches nothing
      const check = ((h >>> 24) & 255) | 1;
      const c = this.checks[i]!;
      const t = this.slots[i]!;
      const b0 = h & this.mask & ~15;
      const b1 = b0 ^ 16;
      const b2 = b0 ^ 32;
      let b = c[b0 >> 4] === check ? b0 : c[b1 >> 4] === check ? b1 : c[b2 >> 4] === check ? b2 : -1;
      if (b < 0) {
        // take over the least used (slot 1 is seen each time its block is)
        const u0 = (t[b0 + 1]! >>> 16) & 255;
        const u1 = (t[b1 + 1]! >>> 16) & 255;
        b = u0 <= u1 ? b0 : b1;
        if (((t[b2 + 1]! >>> 16) & 255) < Math.min(u0, u1)) b = b2;
        c[b >> 4] = check;
        for (let j = b + 1; j < b + 16; j++) t[j] = HALF;
      }
      this.block[i] = b;
    }
  }
}
