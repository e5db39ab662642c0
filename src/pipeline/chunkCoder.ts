/**
 * Coding of whole chunks with a model: the unit of work a worker does.
 * Exact engines: encoding runs the engine's prefill over each chunk; decoding
 * advances all chunks of a batch one token per engine step, in lockstep.
 * Lockstep engines (float hub models): both sides step every group of `batch`
 * chunks in one fixed-size batch, token by token, so both compute the same.
 */
import { CancelledError } from '../codec/errors.js';
import { TableBuilder } from '../codec/logitsToFrequencies.js';
import { RangeDecoder, RangeEncoder } from '../codec/rangeCoder.js';
import type { LoadedModel } from '../model/loadedModel.js';
import { isLockstep, type LockstepEngine } from '../model/types.js';

export interface DecodeJob {
  payload: Uint8Array;
  /** Tokens in the chunk. */
  count: number;
}

/** The engine input that predicts `ids`: BOS, then every token but the last. */
export function bosShifted(ids: Int32Array, bos: number): Int32Array {
  const seq = new Int32Array(ids.length);
  seq[0] = bos;
  seq.set(ids.subarray(0, ids.length - 1), 1);
  return seq;
}

/** Payload of each chunk (`chunks[i]` are its token ids). */
/**
 * Steps a group of chunks in one batch of `counts.length` rows for
 * max(counts) steps. Row g is fed BOS, then the token `visit` returned for
 * its previous position; rows whose chunk has ended are fed BOS and ignored.
 */
async function stepGroup(
  engine: LockstepEngine,
  counts: number[],
  bos: number,
  visit: (g: number, t: number, logits: Int32Array) => number,
  signal?: AbortSignal,
  onTokens?: (n: number) => void,
): Promise<void> {
  const V = engine.identity.config.vocab;
  const stepper = await engine.openBatch(counts.length);
  const next = new Int32Array(counts.length).fill(bos);
  const steps = Math.max(...counts);
  try {
    for (let t = 0; t < steps; t++) {
      if (signal?.aborted) throw new CancelledError();
      const logits = await stepper.step(next);
      let live = 0;
      for (let g = 0; g < counts.length; g++) {
        if (t >= counts[g]!) {
          next[g] = bos;
          continue;
        }
        next[g] = visit(g, t, logits[g]!.subarray(0, V));
        live++;
      }
      onTokens?.(live);
    }
  } finally {
    stepper.dispose();
  }
}

export async function encodeChunks(model: LoadedModel, chunks: Int32Array[], batch: number, signal?: AbortSignal): Promise<Uint8Array[]> {
  const { engine } = model;
  const { bos, vocab: V } = model.identity.config;
  if (isLockstep(engine)) {
    const out: Uint8Array[] = [];
    for (let b = 0; b < chunks.length; b += batch) {
      const group = chunks.slice(b, b + batch);
      const encoders = group.map(() => new RangeEncoder());
      const tables = new TableBuilder();
      const visit = (g: number, t: number, logits: Int32Array) => {
        encoders[g]!.encode(tables.table(logits), group[g]![t]!);
        return group[g]![t]!;
      };
      await stepGroup(engine, group.map((c) => c.length), bos, visit, signal);
      out.push(...encoders.map((e) => e.finish()));
    }
    return out;
  }
  const out: Uint8Array[] = [];
  const tables = new TableBuilder();
  for (let b = 0; b < chunks.length; b += batch) {
    if (signal?.aborted) throw new CancelledError();
    const group = chunks.slice(b, b + batch);
    const logits = await engine.prefill(group.map((ids) => bosShifted(ids, bos)));
    group.forEach((ids, g) => {
      const enc = new RangeEncoder();
      const rows = logits[g]!;
      for (let t = 0; t < ids.length; t++) enc.encode(tables.table(rows.subarray(t * V, (t + 1) * V)), ids[t]!);
      out.push(enc.finish());
    });
  }
  return out;
}

/** Token ids of each chunk. `onTokens` reports progress (tokens decoded since the last call). */
export async function decodeChunks(
  model: LoadedModel,
  jobs: DecodeJob[],
  batch: number,
  signal?: AbortSignal,
  onTokens?: (n: number) => void,
): Promise<Int32Array[]> {
  const { engine } = model;
  const { bos, vocab: V } = model.identity.config;
  const out: Int32Array[] = [];
  if (isLockstep(engine)) {
    for (let b = 0; b < jobs.length; b += batch) {
      const group = jobs.slice(b, b + batch);
      const decoders = group.map((j) => new RangeDecoder(j.payload));
      const ids = group.map((j) => new Int32Array(j.count));
      const tables = new TableBuilder();
      const visit = (g: number, t: number, logits: Int32Array) => (ids[g]![t] = decoders[g]!.decode(tables.table(logits)));
      await stepGroup(engine, group.map((j) => j.count), bos, visit, signal, onTokens);
      out.push(...ids);
    }
    return out;
  }
  const tables = new TableBuilder();
  for (let b = 0; b < jobs.length; b += batch) {
    const group = jobs.slice(b, b + batch);
    const decoders = group.map((j) => new RangeDecoder(j.payload));
    const ids = group.map((j) => new Int32Array(j.count));
    const streams = group.map((j) => engine.newStream(j.count));
    const next = new Int32Array(group.length).fill(bos);
    let live = group.map((_, g) => g);
    try {
      for (let t = 0; live.length > 0; t++) {
        if (signal?.aborted) throw new CancelledError();
        const logits = await engine.step(
          live.map((g) => streams[g]!),
          Int32Array.from(live, (g) => next[g]!),
        );
        live.forEach((g, k) => {
          const sym = decoders[g]!.decode(tables.table(logits[k]!.subarray(0, V)));
          ids[g]![t] = sym;
          next[g] = sym;
        });
        onTokens?.(live.length);
        live = live.filter((g) => t + 1 < ids[g]!.length);
      }
    } finally {
      streams.forEach((s) => engine.freeStream(s));
    }
    out.push(...ids);
  }
  return out;
}
