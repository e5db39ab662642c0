/**
 * What the mixer reads of the LM's table, recorded where the LM runs so the
 * encoder's mixing can run elsewhere (docs/mixing.md, "Where the encoder
 * mixes"): per token, the frequency and cumulative frequency of the token and
 * of each candidate the token models propose. Candidates depend only on
 * tokens, so a worker knows them without the mixer; the mixer's learned state
 * passes from round to round, so the encoder mixes on one thread, in order,
 * while the LM runs every chunk in parallel as before mixing existed.
 */
import type { FrequencyTable } from '../codec/frequencyTable.js';
import { TokenModels } from './tokenModels.js';

/** Symbols recorded per token: the token and up to (1 + orders) candidates. */
export const FEATURE_SLOTS = 5;

/** A chunk's recorded table entries: FEATURE_SLOTS per token (symbol -1: unused). */
export interface TokenFeatures {
  symbols: Int32Array;
  lows: Int32Array;
  freqs: Int32Array;
  /** Each token's table total. */
  totals: Int32Array;
}

/** Records, token by token, what the mixer will read of each table. */
export class FeatureRecorder {
  private readonly features: TokenFeatures;
  private readonly candidates: Int32Array;
  private readonly masks: Int32Array;

  constructor(
    private readonly models: TokenModels,
    tokens: number,
  ) {
    if (1 + 1 + models.orders.length > FEATURE_SLOTS) throw new RangeError('too many candidates to record');
    const n = tokens * FEATURE_SLOTS;
    this.features = { symbols: new Int32Array(n).fill(-1), lows: new Int32Array(n), freqs: new Int32Array(n), totals: new Int32Array(tokens) };
    this.candidates = new Int32Array(1 + models.orders.length);
    this.masks = new Int32Array(1 + models.orders.length);
  }

  /** Token t of the chunk, coded with `table`. */
  record(t: number, table: FrequencyTable, token: number): void {
    const f = this.features;
    f.totals[t] = table.total;
    const at = t * FEATURE_SLOTS;
    const put = (k: number, s: number) => {
      f.symbols[at + k] = s;
      f.lows[at + k] = table.low(s);
      f.freqs[at + k] = table.get(s);
    };
    put(0, token);
    const n = this.models.propose(this.candidates, this.masks);
    for (let i = 0; i < n; i++) put(1 + i, this.candidates[i]!);
    this.models.push(token);
  }

  finish(): TokenFeatures {
    return this.features;
  }
}

/** The recorded entries of one token as a table: enough for encoding that token with the mixer, nothing more. */
export class FeatureTable implements FrequencyTable {
  readonly symbolCount: number;
  total = 0;
  private at = 0;

  constructor(
    private readonly features: TokenFeatures,
    vocab: number,
  ) {
    this.symbolCount = vocab;
  }

  /** Points the table at token t. */
  token(t: number): this {
    this.at = t * FEATURE_SLOTS;
    this.total = this.features.totals[t]!;
    return this;
  }

  private slot(symbol: number): number {
    const s = this.features.symbols;
    for (let k = 0; k < FEATURE_SLOTS; k++) if (s[this.at + k] === symbol) return this.at + k;
    throw new RangeError(`symbol ${symbol} was not recorded for this token`);
  }

  get(symbol: number): number {
    return this.features.freqs[this.slot(symbol)]!;
  }
  low(symbol: number): number {
    return this.features.lows[this.slot(symbol)]!;
  }
  high(symbol: number): number {
    const i = this.slot(symbol);
    return this.features.lows[i]! + this.features.freqs[i]!;
  }
  symbolAt(): number {
    throw new RangeError('a feature table only encodes');
  }
}
