/**
 * The adaptive mixing layer on its own (src/mixing/): its integer tables,
 * the tables it codes with, the line-ending transform, the round schedule
 * and the token mixer's round trip over a stand-in LM.
 */
import { describe, expect, it } from 'vitest';
import { CheckedFrequencyTable, CumulativeTable } from '../../src/codec/frequencyTable.js';
import { RangeDecoder, RangeEncoder } from '../../src/codec/rangeCoder.js';
import { BitTable, ExcludingTable } from '../../src/mixing/excludingTable.js';
import { firstOfRound, HistoryBuilder, KeptHistoryBuilder, roundOf, TokenLog } from '../../src/mixing/history.js';
import { fromLineFeeds, LineFeedFolder, LineFeedUnfolder, toLineFeeds, usesCrlf } from '../../src/mixing/lineEndings.js';
import { floorDiv, log2Fixed, oddsStretch, squash, stretch, STRETCH_MAX } from '../../src/mixing/logistic.js';
import { FeatureRecorder, FeatureTable } from '../../src/mixing/features.js';
import { meanState, TokenMixer } from '../../src/mixing/tokenMixer.js';
import { TokenModels } from '../../src/mixing/tokenModels.js';
import { rng } from '../helpers/fixtures.js';

describe('integer logistic arithmetic', () => {
  it('floorDiv is exact where the float quotient rounds up to an integer', () => {
    expect(floorDiv(2 ** 53 - 1, 2 ** 53 - 2)).toBe(1);
    expect(floorDiv(2 ** 52 - 1, 2 ** 26)).toBe(2 ** 26 - 1);
    expect(floorDiv(7, 7)).toBe(1);
    expect(floorDiv(6, 7)).toBe(0);
    const r = rng(1);
    for (let i = 0; i < 10000; i++) {
      const b = 1 + Math.floor(r() * 2 ** 30);
      const a = Math.floor(r() * 2 ** 52);
      const q = floorDiv(a, b);
      expect(q * b <= a && (q + 1) * b > a).toBe(true);
    }
  });

  it('squash rises from 1 to 65535, stretch inverts it, and both are odd-symmetric', () => {
    let prev = 0;
    for (let x = -STRETCH_MAX; x <= STRETCH_MAX; x++) {
      const p = squash(x);
      expect(p).toBeGreaterThanOrEqual(prev);
      prev = p;
      expect(squash(x) + squash(-x)).toBeGreaterThanOrEqual(65535);
      expect(squash(x) + squash(-x)).toBeLessThanOrEqual(65536);
    }
    expect(squash(0)).toBe(32768);
    expect(squash(-STRETCH_MAX)).toBe(1);
    expect(squash(STRETCH_MAX)).toBe(65535);
    for (let p = 1; p < 65536; p += 7) expect(squash(stretch(p))).toBeGreaterThanOrEqual(p);
    // 1/256 bit of log-odds: p = 3/4 is log2(3) = 1.585 bits
    expect(Math.abs(stretch(49152) - 256 * Math.log2(3))).toBeLessThan(2);
  });

  it('log2Fixed is within 1/128 bit of log2, and exact at powers of two', () => {
    for (let k = 0; k < 31; k++) expect(log2Fixed(2 ** k)).toBe(256 * k);
    const r = rng(2);
    for (let i = 0; i < 20000; i++) {
      const n = 1 + Math.floor(r() * (2 ** 31 - 2));
      expect(Math.abs(log2Fixed(n) - 256 * Math.log2(n))).toBeLessThanOrEqual(2);
    }
    expect(oddsStretch(1, 1)).toBe(0);
    expect(oddsStretch(2 ** 24, 1)).toBe(STRETCH_MAX);
  });
});

describe('the tables the mixer codes with', () => {
  it('an excluding table is the base table with the excluded symbols taken out, for every target', () => {
    const r = rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + Math.floor(r() * 40);
      const freqs = Array.from({ length: n }, () => 1 + Math.floor(r() * 50));
      const base = new CumulativeTable(freqs);
      const k = Math.min(n - 1, Math.floor(r() * 5));
      const excluded = [...new Set(Array.from({ length: k }, () => Math.floor(r() * n)))];
      const table = new CheckedFrequencyTable(new ExcludingTable(n).reset(base, excluded, excluded.length));
      const kept = freqs.map((f, s) => (excluded.includes(s) ? 0 : f));
      const expected = new CumulativeTable(kept);
      expect(table.total).toBe(expected.total);
      for (let s = 0; s < n; s++) {
        expect(table.get(s)).toBe(kept[s]);
        expect(table.low(s)).toBe(expected.low(s));
      }
      for (let t = 0; t < table.total; t++) {
        const s = table.symbolAt(t);
        expect(excluded).not.toContain(s);
        expect(s).toBe(expected.symbolAt(t));
      }
    }
  });

  it('a yes/no table codes both answers at the extremes of its probability', () => {
    for (const p of [1, 2, 32768, 65534, 65535]) {
      const bit = new BitTable();
      bit.p = p;
      const checked = new CheckedFrequencyTable(bit);
      const answers = [0, 1, 1, 0, 0, 0, 1];
      const enc = new RangeEncoder();
      for (const a of answers) enc.encode(checked, a);
      const dec = new RangeDecoder(enc.finish());
      expect(answers.map(() => dec.decode(checked))).toEqual(answers);
    }
  });
});

describe('the line-ending transform', () => {
  const cases = ['', '\r', '\n', '\r\n', '\r\r\n', '\n\r', 'a\r\nb\nc\rd\r\n', '\r\n\r\n\n\r\r', 'no newline', '\n\n\r\n'];
  it('round-trips every edge case, whole and in slices of every size', () => {
    for (const c of cases) {
      const bytes = new TextEncoder().encode(c);
      const { text, exceptions } = toLineFeeds(bytes);
      expect(fromLineFeeds(text, exceptions)).toEqual(bytes);
      for (let size = 1; size <= 3; size++) {
        const folder = new LineFeedFolder();
        const parts: number[] = [];
        for (let i = 0; i < bytes.length; i += size) parts.push(...folder.push(bytes.subarray(i, i + size)));
        parts.push(...folder.end());
        expect(Uint8Array.from(parts)).toEqual(text);
        expect(folder.exceptions).toEqual(exceptions);
        const unfolder = new LineFeedUnfolder(exceptions);
        const back: number[] = [];
        for (let i = 0; i < text.length; i += size) back.push(...unfolder.push(text.subarray(i, i + size)));
        expect(Uint8Array.from(back)).toEqual(bytes);
      }
    }
  });

  it('round-trips random bytes rich in CR and LF, and takes CR LF out of CRLF text', () => {
    const r = rng(4);
    for (let trial = 0; trial < 300; trial++) {
      const bytes = Uint8Array.from({ length: Math.floor(r() * 200) }, () => [10, 13, 65, 0, 255][Math.floor(r() * 5)]!);
      const { text, exceptions } = toLineFeeds(bytes);
      expect(fromLineFeeds(text, exceptions)).toEqual(bytes);
    }
    const crlf = new TextEncoder().encode('one\r\ntwo\r\nthree\r\n');
    expect(usesCrlf(crlf)).toBe(true);
    expect(usesCrlf(new TextEncoder().encode('one\ntwo\r\nthree\n'))).toBe(false);
    const { text, exceptions } = toLineFeeds(crlf);
    expect(new TextDecoder().decode(text)).toBe('one\ntwo\nthree\n');
    expect(exceptions).toEqual([]);
  });
});

describe('rounds', () => {
  it('double from one chunk up to the width, then stay that wide; every chunk is in exactly one', () => {
    expect(Array.from({ length: 40 }, (_, k) => roundOf(k, 16))).toEqual([
      0, 1, 2, 2, 3, 3, 3, 3, ...Array(8).fill(4), ...Array(16).fill(5), ...Array(8).fill(6),
    ]);
    for (const w of [1, 2, 3, 5, 12, 16, 64]) {
      for (let k = 0; k < 300; k++) {
        const r = roundOf(k, w);
        expect(firstOfRound(r, w)).toBeLessThanOrEqual(k);
        expect(firstOfRound(r + 1, w)).toBeGreaterThan(k);
        expect(firstOfRound(r + 1, w) - firstOfRound(r, w)).toBeLessThanOrEqual(w);
      }
    }
  });

  it('the token log hands out any stretch it holds and forgets whole chunks only', () => {
    const log = new TokenLog();
    log.append(Int32Array.of(1, 2, 3));
    log.append(Int32Array.of(4, 5));
    log.append(Int32Array.of(6));
    expect([...log.slice(1, 5)]).toEqual([2, 3, 4, 5]);
    log.dropBefore(4);
    expect([...log.slice(3, 6)]).toEqual([4, 5, 6]);
    expect(() => log.slice(2, 4)).toThrow(RangeError);
    expect(log.startOf(2)).toBe(5);
    expect(() => log.startOf(4)).toThrow(RangeError);
  });
});

describe('the token mixer', () => {
  /** A stand-in LM: a fixed random table per (previous token mod 7), so some tokens are likely and others not. */
  function fakeLm(vocab: number, seed: number): (prev: number) => CumulativeTable {
    const r = rng(seed);
    const tables = Array.from({ length: 7 }, () => new CumulativeTable(Array.from({ length: vocab }, () => 1 + Math.floor(r() ** 4 * 5000))));
    return (prev) => tables[((prev % 7) + 7) % 7]!;
  }

  /** Tokens with repeats (a phrase that recurs with changes) and noise. */
  function tokens(n: number, vocab: number, seed: number): Int32Array {
    const r = rng(seed);
    const phrase = Array.from({ length: 30 }, () => Math.floor(r() * vocab));
    return Int32Array.from({ length: n }, (_, i) => (r() < 0.8 ? phrase[i % 30]! : Math.floor(r() * vocab)));
  }

  function code(ids: Int32Array, vocab: number, lm: (prev: number) => CumulativeTable, base: TokenModels | null) {
    const mixer = new TokenMixer(new TokenModels(ids.length, base), vocab);
    const enc = new RangeEncoder();
    let lmBits = 0;
    let prev = -1;
    for (const t of ids) {
      const table = lm(prev);
      lmBits += Math.log2(table.total / table.get(t));
      mixer.encode(new CheckedFrequencyTable(table), t, enc);
      prev = t;
    }
    return { payload: enc.finish(), lmBits, state: mixer.state };
  }

  function decode(payload: Uint8Array, n: number, vocab: number, lm: (prev: number) => CumulativeTable, base: TokenModels | null) {
    const mixer = new TokenMixer(new TokenModels(n, base), vocab);
    const dec = new RangeDecoder(payload);
    const out = new Int32Array(n);
    let prev = -1;
    for (let i = 0; i < n; i++) prev = out[i] = mixer.decode(new CheckedFrequencyTable(lm(prev)), dec);
    expect(dec.hasTrailingBytes).toBe(false);
    return { ids: out, state: mixer.state };
  }

  it('decodes what it encoded, learns the repeats (far below the LM alone) and ends in the same state both ways', () => {
    const V = 300;
    const lm = fakeLm(V, 5);
    const ids = tokens(2000, V, 6);
    const enc = code(ids, V, lm, null);
    expect(enc.payload.length * 8).toBeLessThan(enc.lmBits * 0.6);
    const dec = decode(enc.payload, ids.length, V, lm, null);
    expect(dec.ids).toEqual(ids);
    expect(dec.state).toEqual(enc.state);
  });

  it('with a history of earlier tokens, codes smaller still, and decodes', () => {
    const V = 300;
    const lm = fakeLm(V, 7);
    const history = tokens(3000, V, 8);
    const base = new HistoryBuilder().build(history);
    const ids = tokens(500, V, 8).map((t, i) => history[i + 100]!); // a stretch the history has seen
    const without = code(ids, V, lm, null);
    const withHistory = code(ids, V, lm, base);
    expect(withHistory.payload.length).toBeLessThan(without.payload.length * 0.5);
    expect(decode(withHistory.payload, ids.length, V, lm, base).ids).toEqual(ids);
  });

  it('round-trips tokens no model predicts, the first and last of the vocabulary, and a one-token chunk', () => {
    const V = 50;
    const lm = fakeLm(V, 9);
    for (const ids of [Int32Array.of(0), Int32Array.of(V - 1), Int32Array.from({ length: 300 }, (_, i) => (i * 7919) % V), new Int32Array(300).fill(V - 1)]) {
      const { payload } = code(ids, V, lm, null);
      expect(decode(payload, ids.length, V, lm, null).ids).toEqual(ids);
    }
  });

  it('the mean of states is exact integers, the same in any order, and a mixer can start from it', () => {
    const V = 100;
    const lm = fakeLm(V, 10);
    const states = [11, 12, 13].map((s) => code(tokens(400, V, s), V, lm, null).state);
    const a = meanState(states);
    const b = meanState([states[2]!, states[0]!, states[1]!]);
    expect(a).toEqual(b);
    expect([...a.weights].every(Number.isInteger)).toBe(true);
    const m = new TokenMixer(new TokenModels(10), V);
    m.startFrom(a);
    expect(m.state).toEqual(a);
  });

  it('a history built on the last codes as a fresh build of it does, and is rebuilt where it must be', () => {
    const V = 300;
    const lm = fakeLm(V, 16);
    const stream = tokens(3200, V, 17);
    const ids = Int32Array.from({ length: 400 }, (_, i) => stream[(i * 5) % 3000]!);
    const builder = new HistoryBuilder();
    let last: TokenModels | null = null;
    // [from, to) of the stream, and whether the builder can extend the last history (tables: 2^12 entries up to 2,048 tokens)
    const steps: [number, number, boolean][] = [
      [0, 1500, false],
      [0, 2000, true], // same start, same table size
      [0, 2100, false], // 2^13-entry tables now
      [0, 3000, true],
      [100, 3100, false], // the window moved: another start
      [100, 2900, false], // shorter
    ];
    for (const [from, to, extends_] of steps) {
      const history = stream.slice(from, to);
      const built = builder.build(history)!;
      expect(built === last).toBe(extends_);
      last = built;
      const fresh = code(ids, V, lm, new HistoryBuilder().build(history));
      const reused = code(ids, V, lm, built);
      expect(reused.payload).toEqual(fresh.payload);
      expect(reused.state).toEqual(fresh.state);
    }
    expect(builder.build(new Int32Array(0))).toBeNull();
  });

  it('a kept history builder is never lent to two requests at once', () => {
    const kept = new KeptHistoryBuilder();
    const a = kept.take();
    const b = kept.take();
    expect(b).not.toBe(a);
    kept.giveBack(a);
    expect(kept.take()).toBe(a);
  });

  it("coding from a worker's recorded features gives the payload coding from the tables gives", () => {
    const V = 300;
    const lm = fakeLm(V, 14);
    const history = tokens(800, V, 15);
    const base = new HistoryBuilder().build(history);
    const ids = tokens(600, V, 15);
    const recorder = new FeatureRecorder(new TokenModels(ids.length, base), ids.length);
    let prev = -1;
    for (const [t, id] of ids.entries()) {
      recorder.record(t, lm(prev), id);
      prev = id;
    }
    const features = recorder.finish();
    const table = new FeatureTable(features, V);
    const mixer = new TokenMixer(new TokenModels(ids.length, base), V);
    const enc = new RangeEncoder();
    for (const [t, id] of ids.entries()) mixer.encode(table.token(t), id, enc);
    expect(enc.finish()).toEqual(code(ids, V, lm, base).payload);
    expect(() => table.token(0).get(ids[0]! === 0 ? 1 : 0)).toThrow(RangeError); // only what was recorded
  });
});
