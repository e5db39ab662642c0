/**
 * The pipeline's defaults, in one place: every front end (the app's worker,
 * the Node pool, the CLI, benchmarks) takes them from here.
 */

/** The model used when nobody names one. */
export const DEFAULT_MODEL = 'llmz-base';

/** Chunks stepped together by the exact engine on a CPU backend (decode's lockstep batch). */
export const CPU_BATCH = 8;

/**
 * The same on WebGPU, where one step of the whole batch is one submission and
 * one readback: wider fills the GPU better (KV caches: 3 MB a stream for
 * llmz-base). Archives that mix decode a round (16 chunks) at a time.
 */
export const GPU_BATCH = 64;

/** The decode batch of an exact engine on `backend` when nobody names one. */
export const exactBatch = (backend: string) => (backend === 'webgpu' ? GPU_BATCH : CPU_BATCH);

/** Lockstep (hub) engines batch this many chunks unless told otherwise; the archive records it. */
export const LOCKSTEP_BATCH = 4;

/** Worker threads the CLI uses when not told: the machine's cores, at most this many. */
export const MAX_DEFAULT_THREADS = 8;

/** Threads for `cores` cores when the user names none. */
export const defaultThreads = (cores: number) => Math.max(1, Math.min(cores, MAX_DEFAULT_THREADS));

/** Helper workers beside the app's codec worker: one per extra core, at most 7. */
export const browserHelpers = (cores: number) => Math.max(0, Math.min(MAX_DEFAULT_THREADS - 1, cores - 1));

/** Chunks coded between progress reports (and the smallest unit handed to a runner). */
export const REPORT_GROUP = 16;

/**
 * Model chunks per mixing round (docs/mixing.md, "Rounds"): each round's
 * chunks see the tokens of every round before. 16 keeps a 2-worker pool's
 * lockstep batches full while decoding; measured against 1, 4 and 64 there.
 */
export const DEFAULT_ROUND_WIDTH = 16;
