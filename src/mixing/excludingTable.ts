/**
 * Frequency tables for the mixer's decisions: the LM's table with some
 * symbols taken out (once the coder has said "not this one", its share goes
 * to the rest), and a two-symbol table for a yes/no decision.
 */
import type { FrequencyTable } from '../codec/frequencyTable.js';
import { PROB_ONE } from './logistic.js';

/** `base` without the symbols in `excluded` (at most a few; each keeps frequency >= 1 in base). */
export class ExcludingTable implements FrequencyTable {
  readonly symbolCount: number;
  total = 0;
  private base!: FrequencyTable;
  /** Excluded symbols, ascending, and their frequencies in base. */
  private readonly sym: number[] = [];
  private readonly freq: number[] = [];

  constructor(symbolCount: number) {
    this.symbolCount = symbolCount;
  }

  /** Rebuilds over `base` without `excluded` (distinct symbols). */
  reset(base: FrequencyTable, excluded: ArrayLike<number>, count: number): this {
    this.base = base;
    this.sym.length = 0;
    this.freq.length = 0;
    let removed = 0;
    for (let k = 0; k < count; k++) {
      const s = excluded[k]!;
      let i = this.sym.length;
      while (i > 0 && this.sym[i - 1]! > s) i--;
      this.sym.splice(i, 0, s);
      const f = base.get(s);
      this.freq.splice(i, 0, f);
      removed += f;
    }
    this.total = base.total - removed;
    return this;
  }

  private isExcluded(symbol: number): boolean {
    return this.sym.includes(symbol);
  }

  get(symbol: number): number {
    return this.isExcluded(symbol) ? 0 : this.base.get(symbol);
  }

  /** base.low minus the frequencies of excluded symbols below `symbol`. */
  low(symbol: number): number {
    let l = this.base.low(symbol);
    for (let k = 0; k < this.sym.length && this.sym[k]! < symbol; k++) l -= this.freq[k]!;
    return l;
  }

  high(symbol: number): number {
    return this.low(symbol) + this.get(symbol);
  }

  /** Maps `target` back into base's range by stepping over the excluded intervals below it. */
  symbolAt(target: number): number {
    let t = target;
    for (let k = 0; k < this.sym.length; k++) {
      if (this.base.low(this.sym[k]!) <= t) t += this.freq[k]!;
      else break;
    }
    return this.base.symbolAt(t);
  }
}

/** Symbol 0 ("yes") with probability p / 65536, symbol 1 ("no") with the rest. */
export class BitTable implements FrequencyTable {
  readonly symbolCount = 2;
  readonly total = PROB_ONE;
  p = PROB_ONE >> 1;

  get(symbol: number): number {
    return symbol === 0 ? this.p : PROB_ONE - this.p;
  }
  low(symbol: number): number {
    return symbol === 0 ? 0 : this.p;
  }
  high(symbol: number): number {
    return symbol === 0 ? this.p : PROB_ONE;
  }
  symbolAt(target: number): number {
    return target < this.p ? 0 : 1;
  }
}
