import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/codec/errors.js';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { compress } from '../../src/pipeline/compressor.js';
import { poolRunner, type ChunkRunner } from '../../src/pipeline/runner.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { createNodePool, type NodePool } from '../../src/platform/node/nodePool.js';

const TEXT = readFileSync(join(process.cwd(), '../shared/corpus/dev/messages/wiki_4_2048.txt'));
let model: LoadedModel;
let pool: NodePool;

beforeAll(async () => {
  model = await loadModelFromDisk();
  pool = await createNodePool({ threads: 2, batch: 3 });
});
afterAll(() => pool.close());

describe('worker pool (worker_threads)', () => {
  it('gives byte-identical archives to the single-thread path, and decodes them', async () => {
    const single = await compress(TEXT, model, { chunkTokens: 48, batch: 5 });
    const pooled = await compress(TEXT, model, { chunkTokens: 48, runner: pool.runner });
    expect(pooled).toEqual(single);
    expect(await decompress(pooled, model, { runner: pool.runner })).toEqual(new Uint8Array(TEXT));
  });

  // Not a timing test (a busy machine may take any time): the cancel lands while the pool's groups
  // are in flight; no chunks finish after it beyond those groups, and no new request reaches the pool.
  it('stops at once when cancelled: no more than the groups in flight finish after the abort', async () => {
    const own = await createNodePool({ threads: 2, batch: 2 });
    const controller = new AbortController();
    const big = new Uint8Array(Buffer.concat(Array.from({ length: 20 }, () => TEXT)));
    let aborted = false;
    let requestsStartedAfter = 0;
    let chunksFinishedAfter = 0;
    const counting: ChunkRunner = {
      capacity: own.runner.capacity,
      encode: async (signal, request, onTokens) => {
        if (aborted) requestsStartedAfter++;
        const out = await own.runner.encode(signal, request, onTokens);
        if (aborted) chunksFinishedAfter += out.length;
        return out;
      },
      decode: (signal, request, onTokens) => own.runner.decode(signal, request, onTokens),
    };
    const started = performance.now();
    const job = compress(big, model, {
      chunkTokens: 48,
      runner: counting,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'coding' && p.bytesDone > 0 && !aborted) {
          aborted = true;
          controller.abort();
        }
      },
    });
    await expect(job).rejects.toThrow(CancelledError);
    expect(aborted).toBe(true);
    expect(requestsStartedAfter).toBe(0);
    expect(chunksFinishedAfter).toBeLessThanOrEqual(own.runner.capacity!);
    console.log(`cancelled after the first progress: rejected in ${Math.round(performance.now() - started)} ms, ${chunksFinishedAfter} chunks finished after the abort (a figure)`);
    // and the pool still works afterwards
    const again = await compress(TEXT.subarray(0, 300), model, { chunkTokens: 48, runner: own.runner });
    expect(await decompress(again, model)).toEqual(new Uint8Array(TEXT.subarray(0, 300)));
    await own.close();
  });
});

describe('poolRunner', () => {
  it('hands out fair shares of what is left (full groups first, smaller ones at the end) and keeps the order', async () => {
    const seen: number[][] = [[], []];
    const handedOut: number[] = [];
    const runners = seen.map((log) => ({
      encode: async (_s: AbortSignal | undefined, r: { chunks: Int32Array[] }) => (
        log.push(r.chunks.length), handedOut.push(r.chunks.length), r.chunks.map((c) => ({ payload: Uint8Array.of(c[0]!), prompt: 0, bits: new Float32Array(c.length) }))
      ),
      decode: async () => [],
    }));
    const pool = poolRunner(runners, 8);
    const chunks = (n: number) => Array.from({ length: n }, (_, i) => Int32Array.of(i));
    const reset = () => (seen.forEach((l) => (l.length = 0)), (handedOut.length = 0));
    // 22 chunks: two full groups, then fair shares of what is left (3, 2, 1) — not 8, 8, 6
    const mid = await pool.encode(undefined, { chunks: chunks(22) });
    expect(handedOut).toEqual([8, 8, 3, 2, 1]);
    expect(seen.every((l) => l.length > 0), 'both runners worked').toBe(true);
    expect(mid.map((c) => c.payload[0])).toEqual(chunks(22).map((c) => c[0]));
    reset();
    // a small request: split evenly, one group each
    const small = await pool.encode(undefined, { chunks: chunks(11) });
    expect(handedOut).toEqual([6, 5]);
    expect(small.map((c) => c.payload[0])).toEqual(chunks(11).map((c) => c[0]));
    reset();
    // a mixing round of 16: a full group each
    await pool.encode(undefined, { chunks: chunks(16) });
    expect(handedOut).toEqual([8, 8]);
    reset();
    // a big one: full groups while plenty is left, then shrinking
    const big = await pool.encode(undefined, { chunks: chunks(40) });
    expect(handedOut).toEqual([8, 8, 8, 8, 4, 2, 1, 1]);
    expect(big.map((c) => c.payload[0])).toEqual(chunks(40).map((c) => c[0]));
  });
});
