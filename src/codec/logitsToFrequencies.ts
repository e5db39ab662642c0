/**
 * Integer logits -> the coder's frequency table. Pure integer arithmetic (all
 * values are integers below 2^53 in JS numbers), so every JS engine gives the
 * same table for the same logits. Specified in docs/numerics.md ("Logits to
 * frequencies"); both engines, exact and hub, end here.
 *
 * Logits are in units of 1/256 bit: p(v) is proportional to 2^(logit[v] / 256).
 */
import { CumulativeTable, type FrequencyTable } from './frequencyTable.js';

export const FREQ_BITS = 24;
export const FREQ_TOTAL = 2 ** FREQ_BITS;
export const MAX_VOCAB = 2 ** 17;
/** Logit units per bit. */
export const LOGIT_ONE_BIT = 256;

/** EXP2_Q23[f] = round(2^23 * 2^(-f/256)), f = 0..255 (docs/numerics.md). */
export const EXP2_Q23: Int32Array = Int32Array.from([
  8388608, 8365926, 8343305, 8320745, 8298246, 8275808, 8253431, 8231114, 8208857, 8186661, 8164525, 8142448,
  8120432, 8098475, 8076577, 8054738, 8032959, 8011238, 7989576, 7967973, 7946428, 7924941, 7903512, 7882142,
  7860829, 7839574, 7818376, 7797235, 7776152, 7755126, 7734156, 7713244, 7692387, 7671588, 7650844, 7630157,
  7609525, 7588949, 7568429, 7547965, 7527555, 7507201, 7486902, 7466658, 7446469, 7426334, 7406253, 7386227,
  7366255, 7346338, 7326473, 7306663, 7286906, 7267203, 7247553, 7227956, 7208412, 7188921, 7169482, 7150096,
  7130763, 7111482, 7092253, 7073076, 7053950, 7034877, 7015855, 6996885, 6977965, 6959097, 6940280, 6921514,
  6902799, 6884134, 6865520, 6846956, 6828442, 6809978, 6791564, 6773200, 6754886, 6736621, 6718406, 6700240,
  6682122, 6664054, 6646035, 6628065, 6610143, 6592269, 6574444, 6556667, 6538938, 6521257, 6503624, 6486039,
  6468501, 6451011, 6433567, 6416171, 6398822, 6381520, 6364265, 6347056, 6329894, 6312779, 6295709, 6278686,
  6261709, 6244778, 6227892, 6211052, 6194258, 6177509, 6160805, 6144147, 6127533, 6110965, 6094441, 6077962,
  6061528, 6045138, 6028792, 6012490, 5996233, 5980019, 5963850, 5947724, 5931642, 5915603, 5899607, 5883655,
  5867746, 5851880, 5836057, 5820276, 5804539, 5788844, 5773191, 5757581, 5742012, 5726486, 5711002, 5695560,
  5680159, 5664801, 5649483, 5634207, 5618973, 5603779, 5588627, 5573516, 5558445, 5543416, 5528427, 5513478,
  5498570, 5483702, 5468874, 5454087, 5439339, 5424632, 5409964, 5395336, 5380747, 5366198, 5351688, 5337217,
  5322786, 5308393, 5294039, 5279725, 5265449, 5251211, 5237012, 5222851, 5208729, 5194645, 5180599, 5166591,
  5152621, 5138688, 5124794, 5110937, 5097117, 5083335, 5069589, 5055882, 5042211, 5028577, 5014980, 5001420,
  4987896, 4974409, 4960959, 4947544, 4934167, 4920825, 4907519, 4894250, 4881016, 4867818, 4854656, 4841529,
  4828438, 4815382, 4802361, 4789376, 4776426, 4763511, 4750630, 4737785, 4724974, 4712198, 4699457, 4686749,
  4674077, 4661438, 4648834, 4636264, 4623728, 4611225, 4598757, 4586322, 4573921, 4561553, 4549219, 4536918,
  4524651, 4512416, 4500215, 4488047, 4475911, 4463809, 4451739, 4439701, 4427697, 4415725, 4403785, 4391877,
  4380002, 4368158, 4356347, 4344568, 4332820, 4321105, 4309421, 4297768, 4286147, 4274558, 4263000, 4251473,
  4239977, 4228512, 4217079, 4205676,
]);

/**
 * 2^(-t/256) in Q23 (for t >= 0), floored through shifts; 0 once t >= 24*256,
 * where the result would be below one unit.
 */
export function exp2NegQ23(t: number): number {
  const whole = t >> 8;
  return whole >= 24 ? 0 : EXP2_Q23[t & 255]! >> whole;
}

/**
 * Frequencies summing to FREQ_TOTAL, each >= 1:
 *   e[v] = exp2NegQ23(min(max - logit[v], 24*256))
 *   f[v] = 1 + floor(e[v] * (FREQ_TOTAL - V) / sum(e))
 *   the remainder goes to the first symbol with the largest logit.
 */
export function logitsToFrequencies(logits: ArrayLike<number>, out?: Uint32Array): Uint32Array {
  const n = logits.length;
  if (n < 1 || n > MAX_VOCAB) throw new RangeError(`vocabulary size ${n} outside 1..${MAX_VOCAB}`);
  const freqs = out ?? new Uint32Array(n);
  let max = logits[0]!;
  let argmax = 0;
  for (let i = 1; i < n; i++) {
    const l = logits[i]!;
    if (l > max) {
      max = l;
      argmax = i;
    }
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = max - logits[i]!;
    const e = t >= 24 * 256 ? 0 : exp2NegQ23(t);
    freqs[i] = e;
    sum += e;
  }
  const spread = FREQ_TOTAL - n; // sum >= 2^23 because e[argmax] = 2^23
  let used = 0;
  for (let i = 0; i < n; i++) {
    const f = 1 + Math.floor((freqs[i]! * spread) / sum);
    freqs[i] = f;
    used += f;
  }
  freqs[argmax] = freqs[argmax]! + (FREQ_TOTAL - used);
  return freqs;
}

export function logitsToTable(logits: ArrayLike<number>): CumulativeTable {
  return new CumulativeTable(logitsToFrequencies(logits));
}

/** Makes the coder's table from a row of logits; each table is valid until the next call. */
export interface TableMaker {
  table(logits: Int32Array): FrequencyTable;
  /** Gives back what it holds (a kernel's memory). */
  dispose?(): void;
}

/**
 * logitsToTable with its buffers kept between calls: a coder asks for one
 * table per token, and two fresh 8,192-entry arrays each time kept the
 * garbage collector busy. Each table is valid until the next call.
 */
export class TableBuilder implements TableMaker {
  private freqs = new Uint32Array(0);
  private cum = new Float64Array(0);

  table(logits: ArrayLike<number>): CumulativeTable {
    if (this.freqs.length !== logits.length) {
      this.freqs = new Uint32Array(logits.length);
      this.cum = new Float64Array(logits.length + 1);
    }
    return new CumulativeTable(logitsToFrequencies(logits, this.freqs), this.cum);
  }
}
