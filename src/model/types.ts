/**
 * What the pipeline needs from a model. Engines return integer logits (units
 * of 1/256 bit) so the frequency table is a pure function of them; see
 * docs/numerics.md.
 */
import type { TableMaker } from '../codec/logitsToFrequencies.js';
import { MODEL_FINGERPRINT_BYTES, TOKENIZER_FINGERPRINT_BYTES, type ModelStamp } from '../format/container.js';

export interface ModelConfig {
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  maxPos: number;
  bos: number;
}

export interface ModelIdentity {
  name: string;
  /** Hex SHA-256 of the model file. */
  sha256: string;
  /** Hex SHA-256 of the tokenizer.json the model was trained with. */
  tokenizerSha256: string;
  numericsId: number;
  config: ModelConfig;
}

/** Sees the logits of position t (a view valid only during the call). */
export type RowVisitor = (t: number, logits: Int32Array) => void;

/** One decoding stream (one chunk) with its KV cache. */
export interface StreamHandle {
  readonly id: number;
}

export interface Engine {
  readonly identity: ModelIdentity;
  /** Which implementation runs the kernels ("ts", "wasm", "webgpu", …). */
  readonly backend: string;
  /**
   * Logits for every position of every sequence: result[b] has
   * seqs[b].length * vocab entries; row p predicts the token after seqs[b][p].
   * With `prompts[b]`, sequence b runs after that soft prompt (see feedPrompt).
   */
  prefill(seqs: Int32Array[], prompts?: (Int32Array | null)[]): Promise<Int32Array[]>;
  /** A fresh stream; `maxTokens` bounds its KV cache, soft prompt included (default: the model's maximum). */
  newStream(maxTokens?: number): StreamHandle;
  /**
   * Runs a fresh stream over a soft prompt (docs/numerics.md, "Soft prompts"):
   * P vectors of `dim` int32, given directly as residual-stream values, at
   * positions 0..P-1; the stream's tokens follow at P.
   */
  feedPrompt(stream: StreamHandle, prompt: Int32Array): Promise<void>;
  /** Feed one token to each stream; returns each stream's logits for the next position. */
  step(streams: StreamHandle[], tokens: Int32Array): Promise<Int32Array[]>;
  freeStream(stream: StreamHandle): void;
  dispose(): void;
  /**
   * prefill of one sequence whose logits go to `visit` position by position, in order, each a view
   * valid only during that call: no chunk-sized logits array, in JS or in kernel memory.
   */
  prefillRows?(seq: Int32Array, prompt: Int32Array | null, visit: RowVisitor): Promise<void>;
  /**
   * step whose logits go to `visit` stream by stream (t is the stream's index), each a view valid
   * only during that call: no copies of a step's logits (the decoder reads each row once).
   */
  stepRows?(streams: StreamHandle[], tokens: Int32Array, visit: RowVisitor): Promise<void>;
  /**
   * Rows one `prefill` call runs in one submission (a GPU: several chunks at
   * once); absent: the encoder prefills chunk by chunk (prefillRows).
   */
  readonly prefillRowBudget?: number;
  /** The coder's tables made faster than src/codec's TS (the same integers); null or absent: use TableBuilder. Dispose it after use. */
  tableMaker?(): TableMaker | null;
}

/** A fixed set of rows advanced one token per call. */
export interface BatchStepper {
  /** Feed one token per row; returns each row's logits for the next position. */
  step(tokens: Int32Array): Promise<Int32Array[]>;
  dispose(): void;
}

/**
 * An engine whose numbers depend on how the work is shaped (float models run by
 * onnxruntime: batch size, prefill vs step). Coding is therefore done the same
 * way on both sides: groups of chunks stepped token by token in a batch of a
 * fixed, recorded size (src/pipeline/chunkCoder.ts). Its `prefill` is only
 * for measurements (llmz bpc), never for coding.
 */
export interface LockstepEngine {
  readonly kind: 'lockstep';
  readonly identity: ModelIdentity;
  readonly backend: string;
  /** What the archive records about where its numbers came from. */
  readonly origin: EngineOrigin;
  prefill(seqs: Int32Array[]): Promise<Int32Array[]>;
  openBatch(rows: number): Promise<BatchStepper>;
  dispose(): void;
}

export interface EngineOrigin {
  dtype: string;
  backend: string;
  /** Adapter or CPU description. */
  device: string;
  /** Hub revision, or "local". */
  revision: string;
}

export type AnyEngine = Engine | LockstepEngine;

export function isLockstep(engine: AnyEngine): engine is LockstepEngine {
  return (engine as LockstepEngine).kind === 'lockstep';
}

/** What an archive records of a model: fingerprints are prefixes of the hex SHA-256s (docs/format.md). */
export function stampOf(identity: ModelIdentity): ModelStamp {
  return {
    name: identity.name,
    fingerprint: identity.sha256.slice(0, 2 * MODEL_FINGERPRINT_BYTES),
    tokenizerFingerprint: identity.tokenizerSha256.slice(0, 2 * TOKENIZER_FINGERPRINT_BYTES),
    numericsId: identity.numericsId,
  };
}
