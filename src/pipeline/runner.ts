/**
 * Where chunks get coded: on this thread, or spread over a pool of workers.
 * Chunks are independent, so the archive is the same whichever runs them.
 */
import type { LoadedModel } from '../model/loadedModel.js';
import { decodeChunks, encodeChunks, type CodedChunk, type DecodeJob, type Steering } from './chunkCoder.js';

export interface ChunkRunner {
  /** Chunks it can work on at once (a pool: workers x batch); groups handed to it should be at least this big. */
  readonly capacity?: number;
  /** `archivePrompt`: the archive's own soft prompt, a candidate under steering 'max'. */
  encode(chunks: Int32Array[], signal?: AbortSignal, steering?: Steering, archivePrompt?: Int32Array | null): Promise<CodedChunk[]>;
  decode(jobs: DecodeJob[], signal?: AbortSignal, onTokens?: (n: number) => void, archivePrompt?: Int32Array | null): Promise<Int32Array[]>;
}

export function localRunner(model: LoadedModel, batch = 8): ChunkRunner {
  return {
    encode: (chunks, signal, steering, archivePrompt) => encodeChunks(model, chunks, batch, signal, steering, archivePrompt),
    decode: (jobs, signal, onTokens, archivePrompt) => decodeChunks(model, jobs, batch, signal, onTokens, archivePrompt),
  };
}

/**
 * Hands groups of `groupSize` chunks to whichever runner is free, so a slow
 * group does not hold the others back.
 */
export function poolRunner(runners: ChunkRunner[], groupSize: number): ChunkRunner {
  async function spread<I, O>(items: I[], run: (r: ChunkRunner, group: I[]) => Promise<O[]>): Promise<O[]> {
    const out: O[] = new Array(items.length);
    let next = 0;
    await Promise.all(
      runners.map(async (r) => {
        while (next < items.length) {
          const start = next;
          next += groupSize;
          const res = await run(r, items.slice(start, start + groupSize));
          res.forEach((o, k) => (out[start + k] = o));
        }
      }),
    );
    return out;
  }
  return {
    capacity: runners.length * groupSize,
    encode: (chunks, signal, steering, archivePrompt) => spread(chunks, (r, g) => r.encode(g, signal, steering, archivePrompt)),
    decode: (jobs, signal, onTokens, archivePrompt) => spread(jobs, (r, g) => r.decode(g, signal, onTokens, archivePrompt)),
  };
}
