/**
 * Where chunks get coded: on this thread, or spread over a pool of workers.
 * Chunks are independent, so the archive is the same whichever runs them.
 * Every runner takes the same two requests (chunkCoder.ts), the signal first,
 * in-process or across a worker boundary (src/platform/shared/chunkCoderWorker.ts).
 */
import type { LoadedModel } from '../model/loadedModel.js';
import { historyWindow, KeptHistoryBuilder, type HistoryRequest } from '../mixing/history.js';
import { decodeChunks, encodeChunks, type CodedChunk, type DecodedChunk, type DecodeRequest, type EncodeRequest, type TokenListener } from './chunkCoder.js';

export interface ChunkRunner {
  /** Chunks it can work on at once (a pool: workers x batch); groups handed to it should be at least this big. */
  readonly capacity?: number;
  /** `onTokens`: told the tokens of each chunk as it is coded (progress from inside a group). */
  encode(signal: AbortSignal | undefined, request: EncodeRequest, onTokens?: TokenListener): Promise<CodedChunk[]>;
  /** `onTokens`: told the tokens decoded by each step. */
  decode(signal: AbortSignal | undefined, request: DecodeRequest, onTokens?: TokenListener): Promise<DecodedChunk[]>;
}

export function localRunner(model: LoadedModel, batch: number): ChunkRunner {
  // (each round's mixing history builds on the last: history.ts)
  const histories = new KeptHistoryBuilder();
  return {
    encode: (signal, request, onTokens) => encodeChunks(signal, model, request, batch, onTokens, histories),
    decode: (signal, request, onTokens) => decodeChunks(signal, model, request, batch, onTokens, histories),
  };
}

/**
 * Hands groups of chunks to whichever runner is free, so a slow group does
 * not hold the others back; archives do not depend on the split. Groups are
 * at most `groupSize`. A runner's first group is an even share of what the
 * runners not yet started have left (11 chunks on 2: 6 and 5; a round of 16
 * on 2 with groups of 8: 8 and 8); after that a runner that comes back takes
 * ceil(remaining / runners), so the groups shrink towards the end and the
 * runners finish together (22 chunks: 8, 8, 3, 2, 1 — 12 and 10 chunks — not
 * 8, 8, 6, where one runner coded 14 while the other waited).
 */
export function poolRunner(runners: ChunkRunner[], groupSize: number): ChunkRunner {
  async function spread<I, O>(items: I[], run: (r: ChunkRunner, group: I[], start: number) => Promise<O[]>): Promise<O[]> {
    const out: O[] = new Array(items.length);
    let next = 0;
    let started = 0;
    await Promise.all(
      runners.map(async (r) => {
        for (let first = true; next < items.length; first = false) {
          const start = next;
          const sharers = first ? runners.length - started++ : runners.length;
          const size = Math.max(1, Math.min(groupSize, Math.ceil((items.length - start) / sharers)));
          next += size;
          const res = await run(r, items.slice(start, start + size), start);
          res.forEach((o, k) => (out[start + k] = o));
        }
      }),
    );
    return out;
  }
  return {
    capacity: runners.length * groupSize,
    encode: (signal, request, onTokens) =>
      spread(request.chunks, (r, chunks, start) => r.encode(signal, { ...request, chunks, history: historyPart(request.history, start, chunks.length) }, onTokens)),
    decode: (signal, request, onTokens) =>
      spread(request.jobs, (r, jobs) => r.decode(signal, { ...request, jobs }, onTokens)),
  };
}

/** The part of an encoder's history request that chunks [start, start + n) need: their ends, and only the tokens those reach. */
function historyPart(h: HistoryRequest | undefined, start: number, n: number): HistoryRequest | undefined {
  if (!h) return undefined;
  const ends = h.ends.slice(start, start + n);
  const from = historyWindow(ends[0]!).from;
  return { tokens: h.tokens.subarray(from - h.start, ends[ends.length - 1]! - h.start), start: from, ends };
}
