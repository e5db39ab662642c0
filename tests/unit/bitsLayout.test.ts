/** The bits view's arithmetic (src/ui/bits/bitsLayout.ts): pages, whole characters, summary and chart. */
import { describe, expect, it } from 'vitest';
import { PREDICTED_BY, type BitsMap } from '../../src/pipeline/bitsMap.js';
import { chartBars, costClass, PAGE_SPANS, pageByteRange, pageCount, pagePieces, spanAt, spanOffsets, summarize } from '../../src/ui/bits/bitsLayout.js';

/** A text cut into spans of 1-5 bytes wherever they fall, characters of 1-4 bytes split too. */
function fixture(chars: number, seed = 3) {
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
  const alphabet = ['a', 'b', ' ', '\n', 'é', 'ж', '中', '😀'];
  let text = '';
  for (let i = 0; i < chars; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
  const bytes = new TextEncoder().encode(text);
  const lengths: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = Math.min(bytes.length - at, 1 + Math.floor(rand() * 5));
    lengths.push(n);
    at += n;
  }
  const n = lengths.length;
  const map: BitsMap = {
    lengths: Uint32Array.from(lengths),
    bits: Float32Array.from(lengths, (l, i) => l * (i % 7)),
    predictedBy: Uint8Array.from(lengths, (_, i) => [PREDICTED_BY.lm, PREDICTED_BY.match, PREDICTED_BY.context][i % 3]!),
    tokensPerSpan: 1,
    headerBytes: 10,
    payloadBytes: 100,
  };
  return { text, bytes, map, n };
}

describe('bits view layout', () => {
  it('pages cover every span exactly once, in whole characters, and give back the text', () => {
    const { text, bytes, map, n } = fixture(9000);
    const offsets = spanOffsets(map);
    expect(pageCount(map)).toBe(Math.ceil(n / PAGE_SPANS));
    const seen = new Uint8Array(n);
    let joined = '';
    for (let p = 0; p < pageCount(map); p++) {
      const { from, to } = pageByteRange(map, offsets, p);
      for (const q of pagePieces(map, offsets, p, bytes.subarray(from, to))) {
        for (let s = q.span; s < q.span + q.spans; s++) seen[s]!++;
        expect(q.text).not.toContain('\ufffd'); // never half a character
        joined += q.text;
      }
    }
    expect(seen.every((x) => x === 1)).toBe(true);
    expect(joined).toBe(text);
  });

  it('finds the span of a byte, sums bits and tokens for the summary, and draws bars over the whole file', () => {
    const { bytes, map, n } = fixture(3000);
    const offsets = spanOffsets(map);
    expect(spanAt(offsets, 0)).toBe(0);
    expect(spanAt(offsets, bytes.length - 1)).toBe(n - 1);
    const k = 37;
    expect(spanAt(offsets, offsets[k]!)).toBe(k);
    expect(spanAt(offsets, offsets[k + 1]! - 1)).toBe(k);
    const s = summarize(map);
    expect(s.bytes).toBe(bytes.length);
    expect(s.bits).toBeCloseTo(map.bits.reduce((a, b) => a + b, 0), 3);
    expect(s.predicted.match).toBeCloseTo(Math.floor((n + 1) / 3) / n, 2);
    // spans cost 0, 1, …, 6 bits a byte in turn (3 on average): the costliest tenth of the bytes, all at 6, holds 0.6 / 3 of the bits
    expect(s.costliest.bitShare).toBeCloseTo(0.2, 1);
    const bars = chartBars(map, offsets);
    expect(bars[0]!.start).toBe(0);
    expect(bars[bars.length - 1]!.end).toBe(bytes.length);
    const weighted = bars.reduce((a, b) => a + b.bitsPerByte * (b.end - b.start), 0);
    expect(weighted / bytes.length).toBeCloseTo(s.bits / s.bytes, 0);
  });

  it('puts a cost in its colour class by bits per byte', () => {
    expect(costClass(0, 4)).toBe(0);
    expect(costClass(2, 4)).toBe(1); // 0.5 bits a byte
    expect(costClass(80, 10)).toBe(6);
    expect(costClass(3, 0)).toBe(4); // (an empty piece: its bits alone)
  });
});
