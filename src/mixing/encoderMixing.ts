/**
 * The encoder's mixing pass (docs/mixing.md, "Where the encoder mixes"):
 * model chunks in order, each from the features its worker recorded, with
 * the round bookkeeping the decoder repeats — so the encoder's LM work
 * needs no rounds at all, and only this cheap pass runs in order.
 */
import { RangeEncoder } from '../codec/rangeCoder.js';
import { FeatureTable, type TokenFeatures } from './features.js';
import { HistoryBuilder, MixingRounds, type RoundContext } from './history.js';
import { TokenMixer } from './tokenMixer.js';
import { TokenModels } from './tokenModels.js';

/** A chunk as the mixer coded it, and what each token cost (the bits view). */
export interface MixedChunk {
  payload: Uint8Array;
  /** Ideal bits of each token. */
  bits: Float32Array;
  /** TokenMixer.lastMask of each token: which models proposed it (0: the LM's table coded it). */
  masks: Uint8Array;
}

export class EncoderMixing {
  readonly rounds: MixingRounds;
  private context: RoundContext | null = null;
  private base: TokenModels | null = null;
  /** Each round's history built on the last (history.ts). */
  private readonly histories = new HistoryBuilder();
  private next = 0;

  constructor(
    roundWidth: number,
    private readonly vocab: number,
  ) {
    this.rounds = new MixingRounds(roundWidth);
  }

  /** The mixed payload of model chunk k (k = 0, 1, … in order), from its tokens and recorded features. */
  mix(k: number, ids: Int32Array, features: TokenFeatures): MixedChunk {
    if (k !== this.next++) throw new RangeError('the encoder mixes model chunks in order');
    const context = this.rounds.contextFor(k);
    if (context !== this.context) {
      this.context = context;
      this.base = this.histories.build(context.tokens);
    }
    const mixer = new TokenMixer(new TokenModels(ids.length, this.base), this.vocab);
    if (context.learned) mixer.startFrom(context.learned);
    const table = new FeatureTable(features, this.vocab);
    const enc = new RangeEncoder();
    const bits = new Float32Array(ids.length);
    const masks = new Uint8Array(ids.length);
    for (let t = 0; t < ids.length; t++) {
      mixer.encode(table.token(t), ids[t]!, enc);
      bits[t] = mixer.lastBits;
      masks[t] = mixer.lastMask;
    }
    this.rounds.learn([mixer.state]);
    return { payload: enc.finish(), bits, masks };
  }
}
