/**
 * Mixing and the line-ending transform through the whole pipeline, with the
 * shipped model: format version 2 where it pays and version 1 where it does
 * not, the same archive whatever the backend, thread count or batch, and
 * every round width decoding.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/format/container.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { compress } from '../../src/pipeline/compressor.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';
import { createNodePool, type NodePool } from '../../src/platform/node/nodePool.js';

const DEV = join(process.cwd(), '../shared/corpus/dev');
// a slice of code: its names and idioms repeat, which is what the adaptive models learn
const CODE = new Uint8Array(readFileSync(join(DEV, 'code.txt'))).subarray(0, 6000);
const MESSAGE = new Uint8Array(readFileSync(join(DEV, 'messages/wiki_4_2048.txt'))).subarray(0, 300);
const opts = { chunkTokens: 96 };
let wasm: LoadedModel;
let reference: LoadedModel;
let pool: NodePool;

beforeAll(async () => {
  wasm = await loadModelFromDisk(undefined, 'wasm');
  reference = await loadModelFromDisk(undefined, 'reference');
  pool = await createNodePool({ threads: 2, batch: 3 });
});
afterAll(() => pool.close());

describe('mixing in the pipeline', () => {
  it('codes a multi-chunk text as version 2, smaller than the LM alone, with mixed and LM-only chunks as each pays', async () => {
    const mixed = await compress(CODE, wasm, opts);
    const plain = await compress(CODE, wasm, { ...opts, mixing: false });
    const { header } = readArchive(mixed);
    expect(header.version).toBe(2);
    expect(header.mixing).toEqual({ id: 1, roundWidth: 16 });
    expect(readArchive(plain).header.version).toBe(1);
    // (a few KB give the adaptive models little to learn: docs/mixing.md has the figures on whole files)
    expect(mixed.length).toBeLessThan(plain.length);
    expect(header.chunks.filter((c) => c.mixed).length).toBeGreaterThan(header.chunks.length / 4);
    expect(await decompress(mixed, wasm)).toEqual(CODE);
  });

  it('gives the same archive on the reference and wasm engines, on one thread and a pool, and decodes it with any batch', async () => {
    // (small chunks: several rounds, and the slow reference engine stays quick; the repeat gives the mixer something to win)
    const small = new Uint8Array([...CODE.subarray(0, 800), ...CODE.subarray(0, 800)]);
    const few = { chunkTokens: 40, roundWidth: 4 };
    const a = await compress(small, wasm, few);
    expect(readArchive(a).header.chunks.some((c) => c.mixed)).toBe(true);
    expect(await compress(small, reference, few)).toEqual(a);
    expect(await compress(small, wasm, { ...few, runner: pool.runner })).toEqual(a);
    for (const batch of [1, 4]) expect(await decompress(a, wasm, { batch })).toEqual(small);
    expect(await decompress(a, reference, { batch: 2 })).toEqual(small);
    expect(await decompress(a, wasm, { runner: pool.runner })).toEqual(small);
  });

  it('every round width decodes; one-chunk rounds (each chunk sees all before it) code smallest', async () => {
    const sizes: number[] = [];
    for (const roundWidth of [1, 4, 64]) {
      const a = await compress(CODE, wasm, { ...opts, roundWidth });
      expect(readArchive(a).header.mixing?.roundWidth).toBe(roundWidth);
      expect(await decompress(a, wasm, { runner: pool.runner })).toEqual(CODE);
      sizes.push(a.length);
    }
    expect(sizes[0]).toBeLessThan(sizes[2]!);
  });

  it('a message the mixer cannot shrink stays a version-1 archive, byte for byte', async () => {
    const a = await compress(MESSAGE, wasm);
    const plain = await compress(MESSAGE, wasm, { mixing: false });
    const { header } = readArchive(a);
    if (header.version === 1) expect(a).toEqual(plain);
    else expect(a.length).toBeLessThan(plain.length);
    expect(await decompress(a, wasm)).toEqual(MESSAGE);
  });
});

describe('the line-ending transform in the pipeline', () => {
  const crlf = new TextEncoder().encode(new TextDecoder().decode(CODE.subarray(0, 2500)).replace(/\n/g, '\r\n'));

  it('codes CRLF text as LF text: much smaller than without the transform, and restores every CR', async () => {
    const a = await compress(crlf, wasm, opts);
    const without = await compress(crlf, wasm, { ...opts, lineEndings: false });
    const { header } = readArchive(a);
    expect(header.transform?.kind).toBe('lf');
    expect(header.transform?.exceptions).toEqual([]);
    expect(header.transform?.codedLength).toBe(crlf.length - (crlf.length - 2500));
    expect(a.length).toBeLessThan(without.length * 0.92);
    expect(await decompress(a, wasm)).toEqual(crlf);
    expect(await decompress(without, wasm)).toEqual(crlf);
  });

  it('mixed endings, lone CRs and a one-chunk compact archive round-trip', async () => {
    const mixedEndings = new TextEncoder().encode('first\r\nsecond\nthird\r\r\nfourth\rfifth\r\n\r\nend\n');
    const a = await compress(mixedEndings, wasm);
    const { header } = readArchive(a);
    expect(header.model.name).toBe(''); // compact form
    expect(header.transform?.exceptions.length).toBe(2);
    expect(await decompress(a, wasm)).toEqual(mixedEndings);
    const b = await compress(mixedEndings, wasm, { mixing: false, compact: false });
    expect(readArchive(b).header.version).toBe(2);
    expect(await decompress(b, wasm)).toEqual(mixedEndings);
  });
});
