/** The model and the worker pool a CLI command codes with. */
import type { LoadedModel } from '../model/loadedModel.js';
import { isLockstep } from '../model/types.js';
import type { ChunkRunner } from '../pipeline/runner.js';
import { HUB_PREFIX, loadModelFromDisk } from '../platform/node/nodeModelSource.js';
import { createNodePool } from '../platform/node/nodePool.js';
import { backendFlag, batchFlag, dtypeFlag, threadCount, type Flags } from './flags.js';

/**
 * The model on this thread. With a worker pool this thread only tokenizes
 * and assembles, so it takes the reference engine, which costs nothing to set
 * up, instead of a second copy of the kernels.
 */
export function coordinatorModel(flags: Flags, modelName: string | undefined): Promise<LoadedModel> {
  if (modelName?.startsWith(HUB_PREFIX)) return loadModelFromDisk(modelName, 'auto', dtypeFlag(flags));
  return loadModelFromDisk(modelName, inline(flags) ? backendFlag(flags) : 'reference');
}

/**
 * The flags with --threads lowered to the chunks there are to code: each
 * worker loads its own copy of the model (a second or so on two cores), and
 * one past the chunk count would load it only to wait. One chunk: no pool.
 */
export function threadsForChunks(flags: Flags, chunks: number): Flags {
  return { ...flags, threads: String(Math.max(1, Math.min(threadCount(flags), chunks))) };
}

/** Chunks coded on this thread: one thread asked for, or the GPU (one device serves every chunk; worker threads would each open it). */
const inline = (flags: Flags) => threadCount(flags) <= 1 || backendFlag(flags) === 'webgpu';

/** Runs `job` with chunks coded on a pool of worker threads, or inline for one thread. */
export async function withRunner<T>(flags: Flags, modelName: string | undefined, model: LoadedModel, job: (runner?: ChunkRunner) => Promise<T>): Promise<T> {
  const threads = threadCount(flags);
  // hub models code on this thread: their batches must be shaped as the decoder will shape them
  if (inline(flags) || isLockstep(model.engine)) return job();
  const pool = await createNodePool({ model: modelName ?? model.identity.name, backend: backendFlag(flags), threads, batch: batchFlag(flags) });
  try {
    return await job(pool.runner);
  } finally {
    await pool.close();
  }
}
