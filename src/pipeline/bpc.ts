/**
 * Model cross-entropy of a text with a sliding window (as in the OpenCompass
 * LLM-compression evaluation): windows of `block` tokens every `stride`
 * tokens, each position scored once, in the window that first reaches it.
 * Bits are those of the coder's own frequency tables, so they are what the
 * compressor pays before chunking and container overhead.
 */
import { CancelledError, UsageError } from '../codec/errors.js';
import { FREQ_TOTAL, logitsToFrequencies } from '../codec/logitsToFrequencies.js';
import type { LoadedModel } from '../model/loadedModel.js';
import { bosShifted } from '../model/bosShifted.js';

export interface CrossEntropy {
  tokens: number;
  bits: number;
  windows: number;
}

export async function crossEntropy(
  model: LoadedModel,
  ids: Int32Array,
  block: number,
  stride: number,
  opts: { batch?: number; signal?: AbortSignal; onWindow?: (done: number, total: number) => void } = {},
): Promise<CrossEntropy> {
  const { bos, vocab: V, maxPos } = model.identity.config;
  if (block < 1 || block > maxPos - 1) throw new UsageError(`--block must be 1..${maxPos - 1} for this model.`);
  if (stride < 1 || stride > block) throw new UsageError('--stride must be 1..block.');
  const starts: number[] = [];
  for (let s = 0; ; s += stride) {
    starts.push(s);
    if (s + block >= ids.length) break;
  }
  const batch = opts.batch ?? 4;
  const freqs = new Uint32Array(V);
  let bits = 0;
  let scoredUpTo = 0; // positions below this already counted
  for (let b = 0; b < starts.length; b += batch) {
    if (opts.signal?.aborted) throw new CancelledError();
    const group = starts.slice(b, b + batch);
    const seqs = group.map((s) => bosShifted(ids.subarray(s, Math.min(ids.length, s + block)), bos));
    const logits = await model.engine.prefill(seqs);
    group.forEach((s, g) => {
      const n = seqs[g]!.length;
      for (let t = Math.max(0, scoredUpTo - s); t < n; t++) {
        logitsToFrequencies(logits[g]!.subarray(t * V, (t + 1) * V), freqs);
        bits -= Math.log2(freqs[ids[s + t]!]! / FREQ_TOTAL);
      }
      scoredUpTo = Math.max(scoredUpTo, s + n);
    });
    opts.onWindow?.(Math.min(b + batch, starts.length), starts.length);
  }
  return { tokens: ids.length, bits, windows: starts.length };
}
