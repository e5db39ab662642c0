import { describe, expect, it } from 'vitest';
import { CheckedFrequencyTable, CumulativeTable, type FrequencyTable } from '../../src/codec/frequencyTable.js';
import { RangeDecoder, RangeEncoder } from '../../src/codec/rangeCoder.js';
import { rng } from '../helpers/fixtures.js';

function roundTrip(tables: FrequencyTable[], symbols: number[]): Uint8Array {
  const enc = new RangeEncoder();
  const parts: Uint8Array[] = [];
  symbols.forEach((s, i) => {
    enc.encode(new CheckedFrequencyTable(tables[i % tables.length]!), s);
    if (i % 1000 === 0) parts.push(enc.drain()); // streaming: bytes leave as they are ready
  });
  parts.push(enc.finish());
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (bytes.set(p, o), (o += p.length));
  const dec = new RangeDecoder(bytes);
  const out = symbols.map((_, i) => dec.decode(new CheckedFrequencyTable(tables[i % tables.length]!)));
  expect(out).toEqual(symbols);
  expect(dec.bytesRead).toBeLessThanOrEqual(bytes.length);
  return bytes;
}

/** -log2 p summed, in bytes. */
function idealBytes(tables: FrequencyTable[], symbols: number[]): number {
  let bits = 0;
  symbols.forEach((s, i) => {
    const t = tables[i % tables.length]!;
    bits -= Math.log2(t.get(s) / t.total);
  });
  return bits / 8;
}

function sample(t: FrequencyTable, r: () => number): number {
  return t.symbolAt(Math.floor(r() * t.total));
}

const TOTAL = 2 ** 24;

/** Frequencies proportional to `weights`, each >= 1, summing to 2^24. */
function tableFrom(weights: number[]): CumulativeTable {
  const sum = weights.reduce((a, b) => a + b, 0);
  const f = weights.map((w) => 1 + Math.floor((w / sum) * (TOTAL - weights.length)));
  f[0]! += TOTAL - f.reduce((a, b) => a + b, 0);
  return new CumulativeTable(f);
}

describe('range coder', () => {
  it('codes the empty message in zero bytes', () => {
    expect(roundTrip([tableFrom([1, 1])], []).length).toBe(0);
  });

  it('codes one symbol', () => {
    for (const s of [0, 1, 2]) roundTrip([tableFrom([1, 2, 3])], [s]);
  });

  it('codes a one-symbol alphabet in zero bytes', () => {
    expect(roundTrip([new CumulativeTable([TOTAL])], new Array(1000).fill(0)).length).toBe(0);
  });

  it('codes every symbol of a 2^17-symbol alphabet', () => {
    const t = tableFrom(Array.from({ length: 2 ** 17 }, (_, i) => 1 + (i % 7)));
    roundTrip([t], Array.from({ length: 2 ** 17 }, (_, i) => i));
  });

  it('handles extreme skew, p = 1 - 2^-24, both ways', () => {
    const t = new CumulativeTable([TOTAL - 1, 1]);
    const syms = Array.from({ length: 20000 }, (_, i) => (i % 5000 === 4999 ? 1 : 0));
    const bytes = roundTrip([t], syms);
    expect(bytes.length).toBeLessThan(Math.ceil(idealBytes([t], syms)) + 8);
    roundTrip([new CumulativeTable([1, TOTAL - 1])], new Array(20000).fill(1));
  });

  it('propagates carries through runs of 0xFF (underflow cases)', () => {
    // Intervals hugging the top of the range force low to sit just below a byte boundary.
    const top = new CumulativeTable([1, TOTAL - 2, 1]);
    const r = rng(7);
    const syms = Array.from({ length: 50000 }, () => (r() < 0.5 ? 2 : r() < 0.5 ? 0 : 1));
    roundTrip([top], syms);
    roundTrip([top], new Array(5000).fill(2));
    roundTrip([top], new Array(5000).fill(0));
  });

  it('round-trips random distributions', () => {
    const r = rng(11);
    for (let k = 0; k < 20; k++) {
      const n = 2 + Math.floor(r() * 3000);
      const tables = Array.from({ length: 5 }, () => tableFrom(Array.from({ length: n }, () => r() ** 8)));
      const syms = Array.from({ length: 2000 }, (_, i) => sample(tables[i % 5]!, r));
      roundTrip(tables, syms);
    }
  });

  it('round-trips 10^6 symbols', () => {
    const r = rng(3);
    const t = tableFrom(Array.from({ length: 300 }, (_, i) => 1 / (i + 1)));
    const syms = Array.from({ length: 1_000_000 }, () => sample(t, r));
    roundTrip([t], syms);
  });

  it('stays within 0.1% of the ideal size for skewed and flat distributions (10^5 symbols)', () => {
    const r = rng(5);
    const V = 50000;
    const zipf = tableFrom(Array.from({ length: V }, (_, i) => 1 / (i + 1) ** 1.1));
    const flat = tableFrom(new Array(V).fill(1));
    const peaked = tableFrom(Array.from({ length: V }, (_, i) => (i === 0 ? 5000 : 1 / (i + 1))));
    for (const t of [zipf, flat, peaked]) {
      const syms = Array.from({ length: 100_000 }, () => sample(t, r));
      const size = roundTrip([t], syms).length;
      const ideal = idealBytes([t], syms);
      expect(size).toBeGreaterThanOrEqual(Math.floor(ideal) - 1);
      expect(size / ideal).toBeLessThan(1.001);
    }
  });

  it('rejects a zero-frequency symbol', () => {
    expect(() => new RangeEncoder().encode(new CumulativeTable([0, TOTAL]), 0)).toThrow(RangeError);
  });
});

describe('checked frequency table', () => {
  it('catches an inconsistent table', () => {
    const broken: FrequencyTable = { symbolCount: 2, total: 10, get: () => 5, low: (s) => s * 5, high: (s) => s * 5 + 5, symbolAt: () => 0 };
    const t = new CheckedFrequencyTable(broken);
    expect(t.symbolAt(3)).toBe(0);
    expect(() => t.symbolAt(7)).toThrow();
    expect(() => t.get(2)).toThrow(RangeError);
  });
});
