/**
 * The coder's view of a probability distribution: integer frequencies over
 * symbols 0..symbolCount-1 with a fixed total. (nayuki's FrequencyTable.)
 */
export interface FrequencyTable {
  readonly symbolCount: number;
  /** Sum of all frequencies. */
  readonly total: number;
  get(symbol: number): number;
  /** Sum of the frequencies of the symbols below `symbol`. */
  low(symbol: number): number;
  /** low(symbol) + get(symbol). */
  high(symbol: number): number;
  /** The symbol whose [low, high) holds `target` (0 <= target < total). */
  symbolAt(target: number): number;
}

/** A table over a cumulative array (cum[0] = 0, cum[s + 1] - cum[s] = frequency of s), with O(log n) lookup. */
export class PrefixTable implements FrequencyTable {
  readonly total: number;

  /** `cum`: symbolCount + 1 non-decreasing integers starting at 0 (read, not copied). */
  constructor(
    protected readonly cum: Float64Array | Int32Array,
    readonly symbolCount: number,
  ) {
    if (cum.length < symbolCount + 1) throw new RangeError('cumulative array too short');
    this.total = cum[symbolCount]!;
  }

  get(symbol: number): number {
    return this.cum[symbol + 1]! - this.cum[symbol]!;
  }
  low(symbol: number): number {
    return this.cum[symbol]!;
  }
  high(symbol: number): number {
    return this.cum[symbol + 1]!;
  }
  symbolAt(target: number): number {
    const cum = this.cum;
    let lo = 0;
    let hi = this.symbolCount; // invariant: cum[lo] <= target < cum[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! <= target) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}

/** A table over frequencies: their cumulative array is built here. */
export class CumulativeTable extends PrefixTable {
  /** `cum`: room for freqs.length + 1 entries to reuse (a coder builds one table per token). */
  constructor(freqs: ArrayLike<number>, cum = new Float64Array(freqs.length + 1)) {
    const n = freqs.length;
    if (cum.length < n + 1) throw new RangeError('cumulative buffer too small');
    cum[0] = 0;
    for (let i = 0; i < n; i++) cum[i + 1] = cum[i]! + freqs[i]!;
    super(cum, n);
  }
}

/** Wraps a table and throws on any inconsistency; used by tests around every table. */
export class CheckedFrequencyTable implements FrequencyTable {
  constructor(private readonly inner: FrequencyTable) {
    if (!Number.isSafeInteger(inner.total) || inner.total <= 0) throw new RangeError('total must be a positive integer');
    if (inner.symbolCount < 1) throw new RangeError('need at least one symbol');
  }
  get symbolCount(): number {
    return this.inner.symbolCount;
  }
  get total(): number {
    return this.inner.total;
  }
  private check(symbol: number): void {
    if (!Number.isInteger(symbol) || symbol < 0 || symbol >= this.inner.symbolCount) throw new RangeError(`symbol ${symbol} out of range`);
  }
  get(symbol: number): number {
    this.check(symbol);
    const f = this.inner.get(symbol);
    if (!Number.isSafeInteger(f) || f < 0) throw new RangeError('bad frequency');
    if (f !== this.inner.high(symbol) - this.inner.low(symbol)) throw new Error('get != high - low');
    return f;
  }
  low(symbol: number): number {
    this.check(symbol);
    const l = this.inner.low(symbol);
    if (l < 0 || l > this.inner.total) throw new RangeError('low out of range');
    return l;
  }
  high(symbol: number): number {
    this.check(symbol);
    const h = this.inner.high(symbol);
    if (h < this.inner.low(symbol) || h > this.inner.total) throw new RangeError('high out of range');
    if (symbol === this.inner.symbolCount - 1 && h !== this.inner.total) throw new Error('last high != total');
    return h;
  }
  symbolAt(target: number): number {
    if (!Number.isInteger(target) || target < 0 || target >= this.inner.total) throw new RangeError('target out of range');
    const s = this.inner.symbolAt(target);
    this.check(s);
    if (!(this.inner.low(s) <= target && target < this.inner.high(s))) throw new Error('symbolAt returned a wrong symbol');
    return s;
  }
}
