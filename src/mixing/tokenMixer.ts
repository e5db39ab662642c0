/**
 * Codes one token with the LM's table and the adaptive token models
 * (docs/mixing.md, "Coding a token").
 *
 * The models propose a few candidate tokens. For each distinct candidate c,
 * in a fixed order, a yes/no decision "is the next token c?" is coded with a
 * probability mixed from the LM's own odds for c (given the candidates
 * already refused) and each proposing model's learned confidence; the first
 * "yes" ends the token. After only "no"s the token is coded with the LM's
 * table minus the refused candidates, so nothing the LM knew is lost: with
 * the mixer's initial weights every decision has exactly the LM's odds.
 *
 * The encoder, the decoder and `observe` (chunks the encoder kept LM-only)
 * run the same steps and the same updates, so their states never part.
 */
import type { FrequencyTable } from '../codec/frequencyTable.js';
import type { RangeDecoder, RangeEncoder } from '../codec/rangeCoder.js';
import { LogisticMixer, ProbabilityMap } from './adaptive.js';
import { BitTable, ExcludingTable } from './excludingTable.js';
import { floorDiv, oddsStretch, PROB_ONE, stretch } from './logistic.js';
import { MATCH_CONTEXTS, TokenModels } from './tokenModels.js';

/** The mixer's constants; `MIXING_V1` is what archives with mixing id 1 use. */
export interface MixerParams {
  /** Initial weights (1/65536) of the LM's odds, the match model's and each slot order's confidence. */
  initial: { lm: number; match: number; slot: number };
  /** Mixer learning rate (w += x * err * rate / 2^20). */
  rate: number;
  /** APM update shift. */
  apmRate: number;
  /** Weight of the APM in the final probability, out of 4. */
  apmShare: number;
}

/** Chosen by the sweep in docs/mixing.md (whole realworld files, W16). */
export const MIXING_V1: MixerParams = {
  initial: { lm: 65536, match: 32768, slot: 16384 },
  rate: 48,
  apmRate: 5,
  apmShare: 3,
};

const LM_BUCKETS = 4;

/** Which of four bands the LM's log-odds for a candidate fall in (< -4 bits, < 0, < 4, more). */
function lmBucket(x: number): number {
  return x < -1024 ? 0 : x < 0 ? 1 : x < 1024 ? 2 : 3;
}

export class TokenMixer {
  private readonly mixer: LogisticMixer;
  private readonly apm: ProbabilityMap;
  private readonly excluding: ExcludingTable;
  private readonly bit = new BitTable();
  /** Mixer inputs: the LM, the match model, one per slot order, a bias. */
  private readonly bias: number;
  private readonly candidates: Int32Array;
  private readonly masks: Int32Array;
  private readonly refused: Int32Array;
  private readonly orders: number;
  /** Ideal cost of the tokens coded so far, in bits (for measurements; not part of the format). */
  bits = 0;
  /** The last token's ideal cost in bits (the bits view; not part of the format). */
  lastBits = 0;
  /** Which models proposed the last token when a "yes" coded it (bit 0: match, bit 1 + k: slot order k); 0: the LM's table coded it. */
  lastMask = 0;

  constructor(
    public models: TokenModels,
    vocab: number,
    private readonly params: MixerParams = MIXING_V1,
  ) {
    const orders = (this.orders = models.orders.length);
    const inputs = 2 + orders + 1;
    this.bias = inputs - 1;
    [this.candidates, this.masks, this.refused] = [new Int32Array(1 + orders), new Int32Array(1 + orders), new Int32Array(1 + orders)];
    const { lm, match, slot } = params.initial;
    this.mixer = new LogisticMixer(inputs, (1 << (1 + orders)) * LM_BUCKETS, [lm, match, ...Array(orders).fill(slot), 0], params.rate);
    // APM contexts: the match's context (0 when it did not propose) x how many models proposed the candidate
    // (measured equal to "which models" within 0.2%, with a third of the state)
    this.apm = new ProbabilityMap(MATCH_CONTEXTS * (orders + 2), params.apmRate);
    this.excluding = new ExcludingTable(vocab);
  }

  /** Starts from what another mixer learned (weights and map), e.g. the last chunk of the round before. */
  learnFrom(other: TokenMixer): void {
    this.mixer.copyFrom(other.mixer);
    this.apm.copyFrom(other.apm);
  }

  /** What this mixer has learned: its weights and map, as integers. */
  get state(): MixerState {
    return { weights: Float64Array.from(this.mixer.weights), points: Int32Array.from(this.apm.points) };
  }

  /** Starts from a learned state (the mean of the round before: meanState). */
  startFrom(state: MixerState): void {
    if (state.weights.length !== this.mixer.weights.length || state.points.length !== this.apm.points.length) throw new RangeError('mixer state of another shape');
    this.mixer.weights.set(state.weights);
    this.apm.points.set(state.points);
  }

  encode(table: FrequencyTable, token: number, enc: RangeEncoder): void {
    this.run(table, token, enc, null);
  }

  decode(table: FrequencyTable, dec: RangeDecoder): number {
    return this.run(table, -1, null, dec);
  }

  /** The updates of coding `token`, with nothing coded (a chunk the encoder kept LM-only). */
  observe(table: FrequencyTable, token: number): void {
    this.run(table, token, null, null);
  }

  /** Distinct candidates for the next token and which models proposed each (TokenModels.propose). */
  private gather(): number {
    return this.models.propose(this.candidates, this.masks);
  }

  /** Probability (1..65535) that the next token is candidate i, `excludedFreq` of the table already refused. */
  private probability(table: FrequencyTable, i: number, remaining: number): number {
    const m = this.models;
    const c = this.candidates[i]!;
    const mask = this.masks[i]!;
    const f = table.get(c);
    const xLm = oddsStretch(f, remaining - f);
    const mixer = this.mixer;
    mixer.setInput(0, xLm);
    mixer.setInput(1, mask & 1 ? stretch(m.matchHits.get(m.matchContext)) : 0);
    let proposers = mask & 1;
    for (let k = 0; k < this.orders; k++) {
      const on = mask & (2 << k);
      if (on) proposers++;
      mixer.setInput(2 + k, on ? stretch(m.slotHits.get(TokenModels.slotContext(k, m.slotCount[k]!))) : 0);
    }
    mixer.setInput(this.bias, 256);
    const p = mixer.mix(mask * LM_BUCKETS + lmBucket(xLm));
    const matchCtx = mask & 1 ? m.matchContext : 0;
    const refined = this.apm.refine(p, matchCtx * (this.orders + 2) + proposers);
    const share = this.params.apmShare;
    const q = (p * (4 - share) + refined * share) >> 2;
    return q < 1 ? 1 : q >= PROB_ONE ? PROB_ONE - 1 : q;
  }

  private run(table: FrequencyTable, known: number, enc: RangeEncoder | null, dec: RangeDecoder | null): number {
    const n = this.gather();
    let remaining = table.total;
    let refused = 0;
    let token = -1;
    let bits = 0;
    this.lastMask = 0;
    for (let i = 0; i < n; i++) {
      const c = this.candidates[i]!;
      const p = this.probability(table, i, remaining);
      this.bit.p = p;
      let yes: boolean;
      if (dec) yes = dec.decode(this.bit) === 0;
      else {
        yes = known === c;
        enc?.encode(this.bit, yes ? 0 : 1);
      }
      bits += Math.log2(PROB_ONE / (yes ? p : PROB_ONE - p));
      this.mixer.update(yes);
      this.apm.update(yes);
      if (yes) {
        token = c;
        this.lastMask = this.masks[i]!;
        break;
      }
      this.refused[refused++] = c;
      remaining -= table.get(c);
    }
    if (token < 0) {
      const rest = refused ? this.excluding.reset(table, this.refused, refused) : table;
      if (dec) token = dec.decode(rest);
      else {
        token = known;
        enc?.encode(rest, token);
      }
      bits += Math.log2(rest.total / rest.get(token));
    }
    this.lastBits = bits;
    this.bits += bits;
    this.models.push(token);
    return token;
  }
}


/** A mixer's learned numbers (all integers): what one round hands the next (docs/mixing.md, "Rounds"). */
export interface MixerState {
  weights: Float64Array;
  points: Int32Array;
}

/** floor(a / n) for an integer a (either sign) and 1 <= n < 2^31, exact. */
function floorMean(a: number, n: number): number {
  return a >= 0 ? floorDiv(a, n) : -floorDiv(-a + n - 1, n);
}

/**
 * The element-wise mean (floored) of the states of a round's chunks, in
 * integers: sums of integers are exact whatever their order, so every
 * worker split gives the same mean.
 */
export function meanState(states: MixerState[]): MixerState {
  const n = states.length;
  if (!n) throw new RangeError('no states to average');
  const weights = new Float64Array(states[0]!.weights.length);
  const points = new Int32Array(states[0]!.points.length);
  for (let i = 0; i < weights.length; i++) {
    let sum = 0;
    for (const s of states) sum += s.weights[i]!;
    weights[i] = floorMean(sum, n);
  }
  for (let i = 0; i < points.length; i++) {
    let sum = 0;
    for (const s of states) sum += s.points[i]!;
    points[i] = floorMean(sum, n);
  }
  return { weights, points };
}
