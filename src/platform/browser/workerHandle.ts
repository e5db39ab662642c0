/**
 * A browser Worker as RemoteWorker's WorkerHandle. (Each caller still writes
 * `new Worker(new URL('./x.ts', import.meta.url), { type: 'module' })` itself:
 * Vite finds and bundles workers by that literal form.)
 */
import type { WorkerHandle } from '../shared/remoteWorker.js';

export function workerHandle(worker: Worker): WorkerHandle {
  return { endpoint: worker, terminate: () => worker.terminate(), onExit: (listener) => worker.addEventListener('error', listener, { once: true }) };
}
