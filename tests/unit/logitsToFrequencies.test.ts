import { describe, expect, it } from 'vitest';
import { EXP2_Q23, FREQ_TOTAL, logitsToFrequencies } from '../../src/codec/logitsToFrequencies.js';
import { rng } from '../helpers/fixtures.js';

describe('logits to frequencies', () => {
  it('has the table the spec defines', () => {
    for (let f = 0; f < 256; f++) expect(EXP2_Q23[f]).toBe(Math.round(2 ** 23 * 2 ** (-f / 256)));
  });

  it('gives every symbol >= 1 and sums to exactly 2^24', () => {
    const r = rng(1);
    for (const V of [1, 2, 257, 8192, 2 ** 17]) {
      for (const spread of [0, 10, 5000, 1e6, 2 ** 30]) {
        const logits = Int32Array.from({ length: V }, () => Math.floor((r() - 0.5) * spread));
        const f = logitsToFrequencies(logits);
        let sum = 0;
        let min = Infinity;
        for (const x of f) {
          min = Math.min(min, x);
          sum += x;
        }
        expect(min).toBeGreaterThanOrEqual(1);
        expect(sum).toBe(FREQ_TOTAL);
      }
    }
  });

  it('follows the logits: 256 units more is twice as likely', () => {
    const f = logitsToFrequencies(Int32Array.from([0, 256, 512, -100000]));
    expect(f[2]! / f[1]!).toBeCloseTo(2, 3);
    expect(f[1]! / f[0]!).toBeCloseTo(2, 3);
    expect(f[3]).toBe(1);
  });

  it('is invariant to shifting all logits', () => {
    const r = rng(2);
    const a = Int32Array.from({ length: 1000 }, () => Math.floor(r() * 9000));
    const b = a.map((x) => x - 123456);
    expect(logitsToFrequencies(a)).toEqual(logitsToFrequencies(b));
  });

  it('rejects empty and oversized vocabularies', () => {
    expect(() => logitsToFrequencies(new Int32Array(0))).toThrow(RangeError);
    expect(() => logitsToFrequencies(new Int32Array(2 ** 17 + 1))).toThrow(RangeError);
  });
});
