/**
 * Integer adaptive probabilities (paq8's StateMap and APM, in llmz's 16-bit
 * logistic domain): every update is a floor of an exact product over a power
 * of two, so all engines agree.
 */
import { PROB_ONE, squash, stretch, STRETCH_MAX } from './logistic.js';

/** RECIPROCAL[n] = floor(2^16 / (n + 1.5)): an update weight that falls as a context is seen more. */
export const RECIPROCAL = Int32Array.from({ length: 256 }, (_, n) => Math.floor((2 ** 17) / (2 * n + 3)));

/**
 * One probability per context, learning fast while a context is new and
 * settling down to 1/(limit + 1.5) later (paq8's StateMap).
 */
export class ContextProbabilities {
  private readonly p: Int32Array;
  private readonly seen: Uint8Array;

  constructor(
    contexts: number,
    private readonly limit = 127,
    initial = PROB_ONE >> 1,
  ) {
    this.p = new Int32Array(contexts).fill(initial);
    this.seen = new Uint8Array(contexts);
  }

  /** Takes over another table's learned state (a chunk starting from its history's). */
  copyFrom(other: ContextProbabilities): void {
    this.p.set(other.p);
    this.seen.set(other.seen);
  }

  /** Probability (1..65535) that the event happens in context `c`. */
  get(c: number): number {
    const p = this.p[c]!;
    return p < 1 ? 1 : p >= PROB_ONE ? PROB_ONE - 1 : p;
  }

  update(c: number, happened: boolean): void {
    const n = this.seen[c]!;
    const p = this.p[c]!;
    this.p[c] = p + Math.floor(((happened ? PROB_ONE : 0) - p) * RECIPROCAL[n]! / PROB_ONE);
    if (n < this.limit) this.seen[c] = n + 1;
  }
}

/**
 * An adaptive probability map (paq8's APM): refines a probability in a
 * context by interpolating between 33 learned points along its stretch.
 */
export class ProbabilityMap {
  private readonly t: Int32Array;
  private index = 0;

  constructor(
    contexts: number,
    private readonly rate = 7,
  ) {
    this.t = new Int32Array(contexts * 33);
    for (let c = 0; c < contexts; c++) for (let j = 0; j < 33; j++) this.t[c * 33 + j] = squash((j - 16) * 256);
  }

  /** The refined probability of `p` in context `c`; remembers where, for `update`. */
  refine(p: number, c: number): number {
    const x = stretch(p) + STRETCH_MAX + 1; // 1..8191
    const j = x >> 8;
    const w = x & 255;
    const base = c * 33 + j;
    this.index = w < 128 ? base : base + 1;
    return (this.t[base]! * (256 - w) + this.t[base + 1]! * w) >> 8;
  }

  /** Takes over another map's learned points (same shape). */
  copyFrom(other: ProbabilityMap): void {
    this.t.set(other.t);
  }

  /** The learned points, for averaging across chunks (MixerState). */
  get points(): Int32Array {
    return this.t;
  }

  update(happened: boolean): void {
    const i = this.index;
    const target = happened ? PROB_ONE - 1 : 1;
    this.t[i] = this.t[i]! + ((target - this.t[i]!) >> this.rate);
  }
}

/**
 * Logistic mixing (paq8's Mixer): p = squash(sum w_i x_i / 2^16), weights
 * 1/65536 units in one of several sets chosen per prediction, trained online
 * to cut coding cost: w_i += x_i * err * rate / 2^20.
 */
export class LogisticMixer {
  private readonly w: Float64Array;
  private readonly x: Int32Array;
  private set = 0;
  private p = PROB_ONE >> 1;

  constructor(
    readonly inputs: number,
    sets: number,
    initial: number[],
    private readonly rate: number,
  ) {
    this.w = new Float64Array(inputs * sets);
    for (let s = 0; s < sets; s++) for (let i = 0; i < inputs; i++) this.w[s * inputs + i] = initial[i] ?? 0;
    this.x = new Int32Array(inputs);
  }

  /** Takes over another mixer's weights (same shape). */
  copyFrom(other: LogisticMixer): void {
    this.w.set(other.w);
  }

  /** The weights, for averaging across chunks (MixerState). */
  get weights(): Float64Array {
    return this.w;
  }

  /** Input i of the next prediction (log-odds, 1/256 bit). */
  setInput(i: number, x: number): void {
    this.x[i] = x;
  }

  mix(set: number): number {
    this.set = set;
    const o = set * this.inputs;
    let dot = 0;
    for (let i = 0; i < this.inputs; i++) dot += this.w[o + i]! * this.x[i]!;
    this.p = squash(Math.floor(dot / 65536));
    return this.p;
  }

  update(happened: boolean): void {
    const err = (happened ? PROB_ONE : 0) - this.p;
    const o = this.set * this.inputs;
    for (let i = 0; i < this.inputs; i++) {
      const wi = this.w[o + i]! + Math.floor((this.x[i]! * err * this.rate) / 2 ** 20);
      // (bounded, so every product stays an exact integer)
      this.w[o + i] = wi > 2 ** 22 ? 2 ** 22 : wi < -(2 ** 22) ? -(2 ** 22) : wi;
    }
  }
}
