/**
 * Float logits (nats) -> the integer logits the coder takes (1/256 bit).
 * One rounding of one IEEE multiplication per entry: the same floats give the
 * same integers on every JS engine, so the frequency table is as reproducible
 * as the floats themselves. Non-finite values (a broken model) map to the
 * bottom of the range instead of poisoning the table.
 */
import { LOGIT_ONE_BIT } from '../../codec/logitsToFrequencies.js';

const BITS_PER_NAT = LOGIT_ONE_BIT / Math.LN2;
const LIMIT = 2 ** 30;

export function floatToIntLogits(nats: ArrayLike<number>, out: Int32Array = new Int32Array(nats.length)): Int32Array {
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(nats[i]! * BITS_PER_NAT);
    out[i] = v > LIMIT ? LIMIT : v >= -LIMIT ? v : -LIMIT; // NaN fails both tests -> -LIMIT
  }
  return out;
}
