/**
 * A pool of worker_threads for the Node front ends, each with its own copy
 * of the model. Cancelling terminates the busy threads at once and starts
 * fresh ones, so the pool stays usable.
 */
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { NodeWorkerApi } from '../../workers/node.worker.js';
import type { BackendChoice } from '../capabilities.js';
import { CancelledError } from '../codec/errors.js';
import { poolRunner, type ChunkRunner } from './runner.js';
import { reviveError } from './transferErrors.js';

export interface PoolOptions {
  model?: string;
  backend?: BackendChoice;
  threads?: number;
  batch?: number;
}

class Slot {
  readonly worker: Worker;
  readonly api: Comlink.Remote<NodeWorkerApi>;
  /** Rejects when the thread dies or is terminated, so no call waits forever. */
  readonly gone: Promise<never>;
  readonly ready: Promise<string>;

  constructor(data: { model: string; backend: BackendChoice; batch: number }) {
    this.worker = new Worker(new URL('../../workers/node.worker.boot.mjs', import.meta.url), { workerData: data });
    this.api = Comlink.wrap<NodeWorkerApi>(nodeEndpoint(this.worker));
    this.gone = new Promise<never>((_, reject) => {
      this.worker.once('error', (e) => reject(reviveError(e)));
      this.worker.once('exit', () => reject(new CancelledError('The worker thread stopped.')));
    });
    this.gone.catch(() => {});
    this.ready = Promise.race([this.api.ready(), this.gone]);
    this.ready.catch(() => {});
  }
}

export class NodePool {
  readonly size: number;
  readonly runner: ChunkRunner;
  private slots: Slot[];
  private closed = false;

  private constructor(private readonly opts: Required<PoolOptions>) {
    this.size = opts.threads;
    this.slots = this.spawn();
    const runners: ChunkRunner[] = Array.from({ length: this.size }, (_, i) => ({
      encode: (chunks, signal, steering, archivePrompt) => this.call(i, signal, (api) => api.encode(chunks, steering, archivePrompt)),
      decode: (jobs, signal, onTokens, archivePrompt) => this.call(i, signal, (api) => api.decode(jobs, onTokens && Comlink.proxy(onTokens), archivePrompt)),
    }));
    this.runner = poolRunner(runners, opts.batch);
  }

  static async create(opts: PoolOptions = {}): Promise<NodePool> {
    const pool = new NodePool({
      model: opts.model ?? 'llmz-base',
      backend: opts.backend ?? 'auto',
      threads: Math.max(1, opts.threads ?? availableParallelism()),
      batch: opts.batch ?? 8,
    });
    try {
      await Promise.all(pool.slots.map((s) => s.ready));
    } catch (e) {
      await pool.close();
      throw reviveError(e);
    }
    return pool;
  }

  private spawn(): Slot[] {
    const { model, backend, batch } = this.opts;
    return Array.from({ length: this.size }, () => new Slot({ model, backend, batch }));
  }

  private async call<T>(i: number, signal: AbortSignal | undefined, job: (api: Comlink.Remote<NodeWorkerApi>) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw new CancelledError();
    const slot = this.slots[i]!;
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        reject(new CancelledError());
        void this.restart();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await slot.ready;
      return await Promise.race([job(slot.api), slot.gone, aborted]);
    } catch (e) {
      throw signal?.aborted ? new CancelledError() : reviveError(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stop whatever the threads are doing and start fresh ones. */
  async restart(): Promise<void> {
    if (this.closed) return;
    const old = this.slots;
    this.slots = this.spawn();
    await Promise.all(old.map((s) => s.worker.terminate()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

export const createNodePool = (opts: PoolOptions = {}) => NodePool.create(opts);
