/**
 * The encoder's per-archive prompt: soft prompt vectors fitted to the input
 * by gradient descent on the relaxed (float) model, starting from the
 * model's best domain prompt for the input, then quantised and coded under a
 * hyper-prior. Only the quantised result reaches the integer engine, on both
 * sides, so this float path may differ between devices without harm.
 */
import type { ExactWeights } from '../model/exact/weights.js';
import { bosShifted } from '../model/bosShifted.js';
import { encodePrompt, type CodedPrompt, type PriorKind } from './promptPriors.js';
import { RelaxedModel } from './relaxedModel.js';

export interface LearnOptions {
  /** Chunks of the input to learn from (spread over what is offered). */
  sampleChunks?: number;
  /** Tokens of each sampled chunk (a prompt matters most at the start). */
  sampleTokens?: number;
  steps?: number;
  /** Vectors to learn when the model has no domain prompt to start from. */
  vectors?: number;
  prior?: PriorKind;
  /** Tokens of the whole input, when known: how far the sample's gain extends. */
  totalTokens?: number;
  signal?: AbortSignal;
  onStep?: (step: number, steps: number) => void;
}

export interface LearnedPrompt {
  coded: CodedPrompt;
  /** Relaxed-model bits of the held-out sample: without a prompt, after the best domain prompt, after the coded prompt. */
  sampleBits: { none: number; reference: number; learned: number };
  /** Expected saving on the whole input in bits, minus the prompt's own bits (may be negative). */
  expectedNetBits: number;
}

interface Sample {
  inputs: Int32Array;
  targets: Int32Array;
}

const cache = new WeakMap<ExactWeights, RelaxedModel>();
export const relaxedModelOf = (W: ExactWeights) => {
  let m = cache.get(W);
  if (!m) cache.set(W, (m = new RelaxedModel(W)));
  return m;
};

function sampleOf(chunks: Int32Array[], bos: number, count: number, tokens: number): Sample[] {
  const picked: Int32Array[] = [];
  const n = Math.min(count, chunks.length);
  for (let k = 0; k < n; k++) picked.push(chunks[Math.floor((k * chunks.length) / n)]!);
  return picked.map((ids) => {
    const targets = ids.subarray(0, Math.min(tokens, ids.length));
    return { inputs: bosShifted(targets, bos), targets };
  });
}

function bitsOf(model: RelaxedModel, prompt: Float64Array, sample: Sample[]): number {
  return sample.reduce((a, s) => a + model.loss(prompt, s.inputs, s.targets, false).bits, 0);
}

/** A prompt fitted in floats, before quantisation: the reference it moved from and by how much. */
export interface FittedPrompt {
  delta: Float64Array;
  reference: Int32Array | null;
  referenceIndex: number;
  /** Chunks the fit did not see, for judging it. */
  sample: Sample[];
  /** Held-out chunks to whole-input chunks. */
  scale: number;
  sampleBits: { none: number; reference: number };
}

/**
 * Learns a prompt on `chunks` (token ids) and codes it under `prior`, trying
 * a few quantiser steps and keeping the one with the best expected net gain.
 */
export async function learnPrompt(W: ExactWeights, chunks: Int32Array[], opts: LearnOptions = {}): Promise<LearnedPrompt> {
  return codeFitted(W, await fitPrompt(W, chunks, opts), opts.prior ?? 'empirical');
}

/** The gradient-descent half of learnPrompt. */
export async function fitPrompt(W: ExactWeights, chunks: Int32Array[], opts: LearnOptions = {}): Promise<FittedPrompt> {
  const model = relaxedModelOf(W);
  const d = W.config.dim;
  const bos = W.config.bos;
  // fitted on every other sampled chunk, judged on the rest: a prompt fitted on
  // a few dozen tokens flatters itself there, and the decision to keep it needs
  // an honest estimate
  const picked = sampleOf(chunks, bos, 2 * (opts.sampleChunks ?? 6), opts.sampleTokens ?? 32);
  const sample = picked.filter((_, k) => k % 2 === 0);
  const heldOut = picked.length > 1 ? picked.filter((_, k) => k % 2 === 1) : sample;
  const totalTokens = opts.totalTokens ?? 0;
  // a prompt does most on the first tokens of a chunk: scale by chunks, not tokens
  const chunksTotal = Math.max(chunks.length, Math.round(totalTokens / Math.max(1, ...chunks.map((c) => c.length))));
  const scale = chunksTotal / heldOut.length;

  const none = bitsOf(model, new Float64Array(0), sample);
  let refIndex = 0;
  let refBits = none;
  W.prompts.forEach((p, i) => {
    const bits = bitsOf(model, Float64Array.from(p.vectors), sample);
    if (bits < refBits) [refBits, refIndex] = [bits, i + 1];
  });
  const reference = refIndex ? W.prompts[refIndex - 1]!.vectors : null;
  let start: Float64Array;
  if (reference) start = Float64Array.from(reference);
  else {
    const P = opts.vectors ?? 4;
    const e = model.embedding(bos);
    start = new Float64Array(P * d);
    for (let k = 0; k < P; k++) start.set(e, k * d);
  }
  const rms = Math.sqrt(start.reduce((a, x) => a + x * x, 0) / start.length) || 1;

  // Adam on the difference from the start
  const delta = new Float64Array(start.length);
  const m = new Float64Array(start.length);
  const v = new Float64Array(start.length);
  const lr = 0.03 * rms;
  const steps = opts.steps ?? 16;
  const prompt = new Float64Array(start.length);
  for (let step = 1; step <= steps; step++) {
    if (opts.signal?.aborted) break;
    for (let i = 0; i < prompt.length; i++) prompt[i] = start[i]! + delta[i]!;
    const grad = new Float64Array(start.length);
    for (const s of sample) {
      const g = model.loss(prompt, s.inputs, s.targets, true).grad!;
      for (let i = 0; i < g.length; i++) grad[i] = grad[i]! + g[i]!;
    }
    for (let i = 0; i < delta.length; i++) {
      m[i] = 0.9 * m[i]! + 0.1 * grad[i]!;
      v[i] = 0.999 * v[i]! + 0.001 * grad[i]! ** 2;
      const mh = m[i]! / (1 - 0.9 ** step);
      const vh = v[i]! / (1 - 0.999 ** step);
      delta[i] = delta[i]! - (lr * mh) / (Math.sqrt(vh) + 1e-12);
    }
    opts.onStep?.(step, steps);
    // a step takes a second or more: let cancellation and progress messages through
    await new Promise((r) => setTimeout(r, 0));
  }

  const noneHeld = bitsOf(model, new Float64Array(0), heldOut);
  const refHeld = reference ? bitsOf(model, Float64Array.from(reference), heldOut) : noneHeld;
  return { delta, reference, referenceIndex: refIndex, sample: heldOut, scale, sampleBits: { none: noneHeld, reference: refHeld } };
}

/** The quantise-and-code half: the step (or level count) with the best expected net gain under `prior`. */
export function codeFitted(W: ExactWeights, fitted: FittedPrompt, prior: PriorKind): LearnedPrompt {
  const model = relaxedModelOf(W);
  const d = W.config.dim;
  const { delta, reference, referenceIndex: refIndex, sample, scale } = fitted;
  const { none, reference: refBits } = fitted.sampleBits;
  const deltaRms = Math.sqrt(delta.reduce((a, x) => a + x * x, 0) / delta.length) || 1;
  let best: LearnedPrompt | null = null;
  const candidates = prior === 'lloyd-max' ? [4, 8, 16].map((levels) => ({ step: 1, levels })) : [0.5, 1, 2].map((k) => ({ step: k * deltaRms }));
  for (const q of candidates) {
    const coded = encodePrompt(delta, d, reference, refIndex, prior, q);
    const learned = bitsOf(model, Float64Array.from(coded.vectors), sample);
    // against the better of no prompt and the reference: what 'max' gets without it
    const expectedNetBits = (Math.min(none, refBits) - learned) * scale - coded.bytes.length * 8;
    if (!best || expectedNetBits > best.expectedNetBits) best = { coded, sampleBits: { none, reference: refBits, learned }, expectedNetBits };
  }
  return best!;
}
