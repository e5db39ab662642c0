/**
 * Coding of whole chunks with a model: the unit of work a worker does.
 * Exact engines: encoding runs the engine's prefill over each chunk; decoding
 * advances all chunks of a batch one token per engine step, in lockstep.
 * Lockstep engines (float hub models): both sides step every group of `batch`
 * chunks in one fixed-size batch, token by token, so both compute the same.
 */
import { CancelledError, CorruptArchiveError } from '../codec/errors.js';
import { ARCHIVE_PROMPT, MAX_MODEL_PROMPTS } from '../format/container.js';
import type { FrequencyTable } from '../codec/frequencyTable.js';
import { TableBuilder, type TableMaker } from '../codec/logitsToFrequencies.js';
import { RangeDecoder, RangeEncoder } from '../codec/rangeCoder.js';
import type { LoadedModel } from '../model/loadedModel.js';
import { STEPS_PER_YIELD, yieldToHost } from './yieldToHost.js';
import { bosShifted } from '../model/bosShifted.js';
import { isLockstep, type LockstepEngine, type RowVisitor } from '../model/types.js';
import { HistoryCache, KeptHistoryBuilder, type HistoryRequest, type RoundContext } from '../mixing/history.js';
import { FeatureRecorder, type TokenFeatures } from '../mixing/features.js';
import { TokenMixer, type MixerState } from '../mixing/tokenMixer.js';
import { TokenModels } from '../mixing/tokenModels.js';
import { predictorOfMask, type ChunkBits } from './bitsMap.js';

export interface DecodeJob {
  payload: Uint8Array;
  /** Tokens in the chunk. */
  count: number;
  /** The model's soft prompt it was coded after (0: none). */
  prompt?: number;
  /** Coded by the adaptive mixer (docs/mixing.md); needs the request's history. */
  mixed?: boolean;
}

/** A coded chunk and the soft prompt it was coded after (0: none). */
export interface CodedChunk {
  payload: Uint8Array;
  prompt: number;
  /** What each token cost in `payload` (the bits view). */
  bits: Float32Array;
  /** When it was coded after the archive's prompt: the best coding without it (the encoder may yet drop that prompt). */
  fallback?: CodedChunk;
  /** With mixing: what the mixer will read of each token's table (the encoder mixes them in order: EncoderMixing). */
  features?: TokenFeatures;
  /** With mixing: the same tokens coded by the adaptive mixer, once the encoder has mixed them (it keeps the smaller). */
  mixed?: Uint8Array;
  /** What each token cost in `mixed`, and which model predicted it. */
  mixedBits?: ChunkBits;
}

/** A decoded chunk's tokens and, with mixing, what its mixer learned. */
export interface DecodedChunk {
  ids: Int32Array;
  learned?: MixerState;
  /** What each token cost as it was coded (the bits view). */
  bits: ChunkBits;
}

/** Chunks to code: their token ids, and the prompts the encoder may try. */
export interface EncodeRequest {
  chunks: Int32Array[];
  /** Whether to try the model's domain prompts (default 'off'). */
  steering?: Steering;
  /** The archive's own soft prompt, a candidate under steering 'max'. */
  archivePrompt?: Int32Array | null;
  /** Mixing on (exact engines, steering other than 'max'): each chunk's history, for recording its features (docs/mixing.md). */
  history?: HistoryRequest;
}

/** Chunks to decode, and the archive's own prompt if it carries one. */
export interface DecodeRequest {
  jobs: DecodeJob[];
  archivePrompt?: Int32Array | null;
  /** The round all these jobs belong to, when the archive mixes (every job's mixer then runs: mixed ones decode with it). */
  round?: RoundContext;
}

/** Told how many tokens were decoded since the last call. */
export type TokenListener = (tokens: number) => void;

/**
 * Whether the encoder tries the model's domain soft prompts on each chunk:
 * 'auto' tries each on the chunk's first PROBE_TOKENS and codes the chunk
 * after the best; 'max' codes the whole chunk with each and keeps the
 * smallest; 'off' (the default) never uses them. Measured on the shipped
 * model (docs/steering.md): 'max' saves 0.2-0.5% for 5x the encoding work,
 * so it is for those who ask.
 */
export type Steering = 'off' | 'auto' | 'max';
export const PROBE_TOKENS = 64;

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
  onTokens?: TokenListener,
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

/**
 * Payload of each chunk (`chunks[i]` are its token ids). `archivePrompt`: the
 * archive's own prompt (index ARCHIVE_PROMPT), a candidate under 'max'.
 */
export async function encodeChunks(
  signal: AbortSignal | undefined,
  model: LoadedModel,
  { chunks, steering = 'off', archivePrompt, history }: EncodeRequest,
  batch: number,
  onTokens?: TokenListener,
  kept = new KeptHistoryBuilder(),
): Promise<CodedChunk[]> {
  const { engine } = model;
  const { bos, vocab: V } = model.identity.config;
  if (isLockstep(engine)) {
    if (history) throw new RangeError('mixing needs an exact engine');
    const out: CodedChunk[] = [];
    for (let b = 0; b < chunks.length; b += batch) {
      const group = chunks.slice(b, b + batch);
      const encoders = group.map(() => new RangeEncoder());
      const bits = group.map((c) => new Float32Array(c.length));
      const tables = new TableBuilder();
      const visit = (g: number, t: number, logits: Int32Array) => {
        const table = tables.table(logits);
        encoders[g]!.encode(table, group[g]![t]!);
        bits[g]![t] = codeLength(table, group[g]![t]!);
        return group[g]![t]!;
      };
      await stepGroup(engine, group.map((c) => c.length), bos, visit, signal, onTokens);
      out.push(...encoders.map((e, g) => ({ payload: e.finish(), prompt: 0, bits: bits[g]! })));
    }
    return out;
  }
  const { dim, maxPos } = model.identity.config;
  // (a prompt must leave room for BOS and the chunk within the model's positions)
  const longest = Math.max(0, ...chunks.map((c) => c.length));
  const fits = (v: Int32Array) => v.length / dim + 1 + longest <= maxPos;
  const candidates: { index: number; vectors: Int32Array }[] =
    steering === 'off' ? [] : (model.prompts ?? []).slice(0, MAX_MODEL_PROMPTS).map((p, i) => ({ index: i + 1, vectors: p.vectors }));
  if (steering === 'max' && archivePrompt) candidates.push({ index: ARCHIVE_PROMPT, vectors: archivePrompt });
  const prompts = candidates.filter((p) => fits(p.vectors));
  if (history && steering === 'max') throw new RangeError("mixing is not combined with steering 'max'");
  const out: CodedChunk[] = [];
  const tables = tableMakerFor(engine);
  const builder = history ? kept.take() : null;
  const histories = history ? new HistoryCache(history, builder!) : null;
  // One chunk's logits row by row (k: 0 for no prompt, else candidate k - 1), each read right away:
  // engines that can hand them over a block at a time never hold a chunk's (1,024 x 8,192 int32 = 32 MB).
  const prefillRows = async (x: Int32Array, k: number, visit: RowVisitor) => {
    const prompt = k ? prompts[k - 1]!.vectors : null;
    if (engine.prefillRows) return engine.prefillRows(x, prompt, visit);
    const rows = (await engine.prefill([x], [prompt]))[0]!;
    for (let t = 0; t < x.length; t++) visit(t, rows.subarray(t * V, (t + 1) * V));
  };
  // Engines that prefill several chunks per submission (WebGPU) get as many as their row budget holds
  // when no prompt is tried: their logits wait here until each chunk is coded.
  const perSubmission = !prompts.length && engine.prefillRowBudget ? Math.max(1, Math.floor(engine.prefillRowBudget / (longest + 1))) : 1;
  const prefetched = new Map<number, Int32Array>();
  const chunkRows = async (i: number, input: Int32Array, k: number, visit: RowVisitor) => {
    if (perSubmission === 1 || k) return prefillRows(input, k, visit);
    if (!prefetched.has(i)) {
      const group = chunks.slice(i, i + perSubmission).map((ids) => bosShifted(ids, bos));
      (await engine.prefill(group)).forEach((rows, g) => prefetched.set(i + g, rows));
    }
    const rows = prefetched.get(i)!;
    prefetched.delete(i);
    for (let t = 0; t < input.length; t++) visit(t, rows.subarray(t * V, (t + 1) * V));
  };
  // the LM alone; with a recorder, also what the mixer will read of the same tables
  const code = async (i: number, ids: Int32Array, input: Int32Array, k: number, recorder?: FeatureRecorder) => {
    const enc = new RangeEncoder();
    const bits = new Float32Array(ids.length);
    await chunkRows(i, input, k, (t, logits) => {
      const table = tables.table(logits);
      enc.encode(table, ids[t]!);
      bits[t] = codeLength(table, ids[t]!);
      recorder?.record(t, table, ids[t]!);
    });
    return { payload: enc.finish(), bits, ...(recorder && { features: recorder.finish() }) };
  };
  const indexOf = (k: number) => (k ? prompts[k - 1]!.index : 0);
  try {
    for (const [i, ids] of chunks.entries()) {
      await yieldToHost();
      if (signal?.aborted) throw new CancelledError();
      const input = bosShifted(ids, bos);
      let chosen = 0;
      if (prompts.length && steering === 'max') {
        // every candidate on the whole chunk: keep the smallest payload (ties: the earlier candidate),
        // and the smallest without the archive's prompt in case that prompt does not pay for itself
        let best: CodedChunk | null = null;
        let without: CodedChunk | null = null;
        for (let k = 0; k <= prompts.length; k++) {
          const c = { prompt: indexOf(k), ...(await code(i, ids, input, k)) };
          if (!best || c.payload.length < best.payload.length) best = c;
          if (c.prompt !== ARCHIVE_PROMPT && (!without || c.payload.length < without.payload.length)) without = c;
        }
        out.push(best!.prompt === ARCHIVE_PROMPT ? { ...best!, fallback: without! } : best!);
        onTokens?.(ids.length);
        continue;
      }
      if (prompts.length) {
        // every candidate on the chunk's first tokens; the chunk is coded after the best there
        const probe = input.subarray(0, Math.min(input.length, PROBE_TOKENS));
        let bestBits = Infinity;
        for (let k = 0; k <= prompts.length; k++) {
          let bits = 0;
          await prefillRows(probe, k, (t, logits) => (bits += codeLength(tables.table(logits), ids[t]!)));
          if (bits < bestBits) [bestBits, chosen] = [bits, k];
        }
      }
      const recorder = histories ? new FeatureRecorder(new TokenModels(ids.length, histories.forChunk(i)), ids.length) : undefined;
      out.push({ prompt: indexOf(chosen), ...(await code(i, ids, input, chosen, recorder)) });
      onTokens?.(ids.length);
    }
  } finally {
    tables.dispose?.();
    if (builder) kept.giveBack(builder);
  }
  return out;
}

/** The fastest table maker the engine has (wasm kernels make them in SIMD), else the TS one; the same tables either way. */
function tableMakerFor(engine: { tableMaker?(): TableMaker | null }): TableMaker {
  return engine.tableMaker?.() ?? new TableBuilder();
}

/** A chunk's mixer: over the round's history, starting from what the round before learned. */
function newMixer(round: RoundContext, base: TokenModels | null, tokens: number, vocab: number): TokenMixer {
  const mixer = new TokenMixer(new TokenModels(tokens, base), vocab);
  if (round.learned) mixer.startFrom(round.learned);
  return mixer;
}

/** A chunk's payload must end where its tokens do (RangeDecoder.hasTrailingBytes). */
function refuseTrailingBytes(decoder: RangeDecoder): void {
  if (decoder.hasTrailingBytes) {
    throw new CorruptArchiveError('The archive has data after its end: it was damaged or joined with other data (llmz opens one archive per file).');
  }
}

/** Bits the coder spends on `symbol` with this table. */
function codeLength(table: FrequencyTable, symbol: number): number {
  return Math.log2(table.total / table.get(symbol));
}

/**
 * Token ids of each chunk. `onTokens` reports progress (tokens decoded since
 * the last call); `archivePrompt`: the archive's own prompt, if it has one.
 */
export async function decodeChunks(
  signal: AbortSignal | undefined,
  model: LoadedModel,
  { jobs, archivePrompt, round }: DecodeRequest,
  batch: number,
  onTokens?: TokenListener,
  kept = new KeptHistoryBuilder(),
): Promise<DecodedChunk[]> {
  const { engine } = model;
  const { bos, vocab: V } = model.identity.config;
  const out: DecodedChunk[] = [];
  if (isLockstep(engine)) {
    if (jobs.some((j) => j.prompt)) throw new CorruptArchiveError('The archive names soft prompts, which hub models do not have: it is damaged.');
    if (jobs.some((j) => j.mixed)) throw new CorruptArchiveError('The archive mixes chunks that a hub model coded, which llmz never does: it is damaged.');
    for (let b = 0; b < jobs.length; b += batch) {
      const group = jobs.slice(b, b + batch);
      const decoders = group.map((j) => new RangeDecoder(j.payload));
      const ids = group.map((j) => new Int32Array(j.count));
      const bits = group.map((j) => new Float32Array(j.count));
      const tables = new TableBuilder();
      const visit = (g: number, t: number, logits: Int32Array) => {
        const table = tables.table(logits);
        const sym = (ids[g]![t] = decoders[g]!.decode(table));
        bits[g]![t] = codeLength(table, sym);
        return sym;
      };
      await stepGroup(engine, group.map((j) => j.count), bos, visit, signal, onTokens);
      decoders.forEach(refuseTrailingBytes);
      out.push(...ids.map((chunk, g) => ({ ids: chunk, bits: { bits: bits[g]! } })));
    }
    return out;
  }
  const tables = tableMakerFor(engine);
  const prompts = model.prompts ?? [];
  if (jobs.some((j) => j.mixed) && !round) throw new RangeError('mixed chunks need their round');
  const builder = round ? kept.take() : null;
  const base = round ? builder!.build(round.tokens) : null;
  const promptOf = (j: DecodeJob) => {
    if (!j.prompt) return null;
    if (j.prompt === ARCHIVE_PROMPT) {
      if (!archivePrompt) throw new CorruptArchiveError("The archive names its own prompt but carries none: it is damaged.");
      return archivePrompt;
    }
    const p = j.prompt <= MAX_MODEL_PROMPTS ? prompts[j.prompt - 1] : undefined;
    if (!p) throw new CorruptArchiveError(`The archive names soft prompt ${j.prompt}, which model "${model.identity.name}" does not have: it is damaged.`);
    return p.vectors;
  };
  try {
    for (let b = 0; b < jobs.length; b += batch) {
      const group = jobs.slice(b, b + batch);
      const decoders = group.map((j) => new RangeDecoder(j.payload));
      const ids = group.map((j) => new Int32Array(j.count));
      const bits = group.map((j) => new Float32Array(j.count));
      const predictedBy = group.map((j) => (j.mixed ? new Uint8Array(j.count) : undefined));
      const vectors = group.map(promptOf);
      const streams = group.map((j, g) => engine.newStream(j.count + (vectors[g] ? vectors[g]!.length / model.identity.config.dim : 0)));
      const next = new Int32Array(group.length).fill(bos);
      // with mixing every chunk's mixer runs (the next round starts from all of them); mixed chunks decode with it
      const mixers = group.map((j) => (round ? newMixer(round, base, j.count, V) : null));
      let live = group.map((_, g) => g);
      try {
        for (const [g, v] of vectors.entries()) if (v) await engine.feedPrompt(streams[g]!, v);
        for (let t = 0; live.length > 0; t++) {
          if (t % STEPS_PER_YIELD === 0) await yieldToHost();
          if (signal?.aborted) throw new CancelledError();
          const decodeRow = (k: number, logits: Int32Array) => {
            const g = live[k]!;
            const table = tables.table(logits.subarray(0, V));
            const mixer = mixers[g];
            let sym: number;
            if (group[g]!.mixed) {
              sym = mixer!.decode(table, decoders[g]!);
              bits[g]![t] = mixer!.lastBits;
              predictedBy[g]![t] = predictorOfMask(mixer!.lastMask);
            } else {
              sym = decoders[g]!.decode(table);
              bits[g]![t] = codeLength(table, sym);
              mixer?.observe(table, sym);
            }
            ids[g]![t] = sym;
            next[g] = sym;
          };
          const stepStreams = live.map((g) => streams[g]!);
          const tokens = Int32Array.from(live, (g) => next[g]!);
          // (stepRows hands each row over in place; step copies them)
          if (engine.stepRows) await engine.stepRows(stepStreams, tokens, decodeRow);
          else (await engine.step(stepStreams, tokens)).forEach((row, k) => decodeRow(k, row));
          onTokens?.(live.length);
          live = live.filter((g) => t + 1 < ids[g]!.length);
        }
      } finally {
        streams.forEach((s) => engine.freeStream(s));
      }
      decoders.forEach(refuseTrailingBytes);
      out.push(
        ...ids.map((chunk, g) => ({
          ids: chunk,
          bits: { bits: bits[g]!, ...(predictedBy[g] ? { predictedBy: predictedBy[g] } : {}) },
          ...(mixers[g] ? { learned: mixers[g]!.state } : {}),
        })),
      );
    }
  } finally {
    tables.dispose?.();
    if (builder) kept.giveBack(builder);
  }
  return out;
}
