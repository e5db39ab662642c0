import { beforeAll, describe, expect, it } from 'vitest';
import { LlmzError } from '../../src/codec/errors.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { BYTES_MIXING_V2 } from '../../src/format/codingBlock.js';
import { readArchive } from '../../src/format/container.js';
import { compress } from '../../src/pipeline/compressor.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { rng } from '../helpers/fixtures.js';
import { tinyModel } from '../helpers/models.js';

const CASES = 10_000;

/** Damage of the kinds files and links meet: bit flips, cuts, insertions, overwrites. */
function mutate(a: Uint8Array, r: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(r() * n);
  const kind = pick(6);
  if (kind === 0) return a.subarray(0, pick(a.length)); // truncated
  const b = a.slice();
  if (kind === 1) { const at = pick(b.length); b[at] = b[at]! ^ (1 << pick(8)); }
  else if (kind === 2) for (let i = 0, n = 1 + pick(4); i < n; i++) { const at = pick(b.length); b[at] = b[at]! ^ (1 << pick(8)); }
  else if (kind === 3) b[pick(b.length)] = pick(256);
  else if (kind === 4) {
    const at = pick(b.length + 1);
    return Uint8Array.from([...b.subarray(0, at), pick(256), ...b.subarray(at)]);
  } else {
    const at = pick(b.length);
    return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
  }
  return b;
}

let model: LoadedModel;
let original: Uint8Array;
let archive: Uint8Array;
let compactArchive: Uint8Array;
let bytesArchive: Uint8Array;
let bytesOriginal: Uint8Array;
const message = new TextEncoder().encode('the other thin theory; ');

beforeAll(async () => {
  model = await tinyModel({ seed: 8, dim: 16, layers: 1, heads: 2, ffn: 16, maxPos: 64 });
  original = new Uint8Array([...new TextEncoder().encode('the thin theory in the other; '.repeat(4)), 0, 1, 2, 3, 0xff, 0xfe, 0, 0, 9]);
  // the LM's coding (the byte model would win on this tiny random model), and the byte model's (mixing id 3)
  archive = await compress(original, model, { chunkTokens: 24, storeIncompressible: false, byteModel: false });
  compactArchive = await compress(message, model, { chunkTokens: 60, storeIncompressible: false, byteModel: false });
  bytesOriginal = new TextEncoder().encode('id,name,score\r\n' + Array.from({ length: 60 }, (_, i) => `${i},item ${i % 7},${(i * 37) % 101}\r\n`).join(''));
  bytesArchive = await compress(bytesOriginal, model, { chunkTokens: 24 });
});

async function fuzz(good: Uint8Array, expected: Uint8Array, seed: number, cases = CASES): Promise<Map<string, number>> {
  const r = rng(seed);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < cases; i++) {
    const bad = mutate(good, r);
    let outcome: string;
    try {
      const out = await decompress(bad, model);
      expect(out).toEqual(expected);
      outcome = 'original';
    } catch (e) {
      if (!(e instanceof LlmzError)) throw new Error(`case ${i}: untyped ${String(e)}`);
      outcome = e.name;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  console.log(Object.fromEntries(outcomes));
  return outcomes;
}

describe('decoder fuzz', () => {
  it(`every one of ${CASES} damaged archives ends in a typed error or the exact original`, async () => {
    const outcomes = await fuzz(archive, original, 2024);
    // Each damage kind was met, and most damage is caught before it reaches the model.
    expect(outcomes.get('CorruptArchiveError')).toBeGreaterThan(CASES / 10);
    expect(outcomes.get('TruncatedArchiveError') ?? 0).toBeGreaterThan(0);
  });

  it(`the compact one-chunk form too (${CASES} damaged archives, no header check: the CRC catches it)`, async () => {
    expect(compactArchive[3]).toBe(2); // the compact flag
    const outcomes = await fuzz(compactArchive, message, 2025);
    expect(outcomes.get('CorruptArchiveError')).toBeGreaterThan(CASES / 10);
    expect(outcomes.get('TruncatedArchiveError') ?? 0).toBeGreaterThan(0);
  });

  // (fewer: damage in a version-2 archive is caught by the whole CRC-32, after the model has decoded every byte)
  it(`archives of the byte model with the line-ending transform too (${CASES / 5} damaged archives)`, async () => {
    expect(readArchive(bytesArchive).header.mixing?.id).toBe(BYTES_MIXING_V2);
    expect(readArchive(bytesArchive).header.transform?.kind).toBe('lf');
    const outcomes = await fuzz(bytesArchive, bytesOriginal, 2026, CASES / 5);
    expect(outcomes.get('CorruptArchiveError')).toBeGreaterThan(CASES / 50);
  });
});
