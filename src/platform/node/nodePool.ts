/**
 * A pool of worker_threads for the Node front ends, each with its own copy
 * of the model. Cancelling terminates the busy threads at once; the next
 * call starts fresh ones, so the pool stays usable.
 */
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../../codec/errors.js';
import type { BackendChoice } from '../../model/capabilities.js';
import { CPU_BATCH, DEFAULT_MODEL, defaultThreads } from '../../pipeline/defaults.js';
import { poolRunner, type ChunkRunner } from '../../pipeline/runner.js';
import { remoteChunkRunner, type ChunkCoderApi } from '../shared/chunkCoderWorker.js';
import { RemoteWorker, type WorkerHandle } from '../shared/remoteWorker.js';
import { PACKAGE_ROOT } from './nodeModelSource.js';
import { chunkWorkerEntry } from './workerEntry.js';

export interface PoolOptions {
  /** A model name or path, as `--model` takes it. */
  model?: string;
  backend?: BackendChoice;
  threads?: number;
  batch?: number;
}

/** (decided once: the bundle's sources do not change under a running pool) */
let entry: URL | null = null;

function spawnThread(): WorkerHandle {
  entry ??= chunkWorkerEntry(new URL('./', import.meta.url), PACKAGE_ROOT);
  const worker = new Worker(entry);
  return {
    endpoint: nodeEndpoint(worker),
    terminate: () => worker.terminate(),
    onExit: (listener) => {
      worker.once('error', listener);
      worker.once('exit', () => listener(new CancelledError('The worker thread stopped.')));
    },
  };
}

export class NodePool {
  readonly size: number;
  readonly runner: ChunkRunner;
  private readonly threads: RemoteWorker<ChunkCoderApi>[];

  private constructor(opts: Required<PoolOptions>) {
    this.size = opts.threads;
    const spec = { model: opts.model, backend: opts.backend, batch: opts.batch };
    this.threads = Array.from({ length: this.size }, () => new RemoteWorker<ChunkCoderApi>(spawnThread, (api) => api.load(spec)));
    this.runner = poolRunner(this.threads.map(remoteChunkRunner), opts.batch);
  }

  /** A pool whose threads have all loaded the model (a model that does not load fails here). */
  static async create(opts: PoolOptions = {}): Promise<NodePool> {
    const pool = new NodePool({
      model: opts.model ?? DEFAULT_MODEL,
      backend: opts.backend ?? 'auto',
      threads: Math.max(1, opts.threads ?? defaultThreads(availableParallelism())),
      batch: opts.batch ?? CPU_BATCH,
    });
    try {
      await Promise.all(pool.threads.map((t) => t.ready()));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}

export const createNodePool = (opts: PoolOptions = {}) => NodePool.create(opts);
