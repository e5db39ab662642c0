/**
 * The page's handle on the codec worker. Every call takes the AbortSignal
 * first; aborting terminates the worker (RemoteWorker) and the next call
 * starts a fresh one. The current config travels with every call.
 */
import * as Comlink from 'comlink';
import type { HubChoice } from '../../model/hub/hubChoice.js';
import type { WarningListener } from '../../pipeline/options.js';
import type { ProgressListener } from '../../pipeline/progress.js';
import type { BitsMap } from '../../pipeline/bitsMap.js';
import { RemoteWorker } from '../shared/remoteWorker.js';
import type { CodecApi, CodecConfig } from './codec.worker.js';
import { workerHandle } from './workerHandle.js';

const proxied = <T extends object>(f: T | undefined) => f && Comlink.proxy(f);

export class CodecClient {
  private readonly worker = new RemoteWorker<CodecApi>(() => workerHandle(new Worker(new URL('./codec.worker.ts', import.meta.url), { type: 'module' })));

  constructor(private config: CodecConfig) {}

  listModels(signal?: AbortSignal) {
    return this.worker.call(signal, (api) => api.listModels(this.config));
  }

  /** Compress with another model from now on (decompression always follows the archive). */
  useModel(name: string): void {
    this.config = { ...this.config, model: name };
  }

  /** Compress (and open hub-model archives) with a hub model from now on; null goes back to the app's models. */
  useHub(hub: HubChoice | null): void {
    this.config = { ...this.config, hub: hub ?? undefined };
  }

  loadModel(signal?: AbortSignal, onProgress?: ProgressListener) {
    const config = this.config;
    return this.worker.call(signal, (api) => api.loadModel(config, proxied(onProgress)));
  }

  /** What gzip and brotli -q 11 make of `input` (brotli only up to a size: see classicSizes.ts). */
  classicSizes(signal: AbortSignal | undefined, input: Blob) {
    return this.worker.call(signal, (api) => api.classicSizes(input));
  }

  /** After a ModelIntegrityError: the worker drops the cached copy of `ref`'s files, so the next load downloads them. */
  repairModel(signal: AbortSignal | undefined, ref: string): Promise<void> {
    const config = this.config;
    return this.worker.call(signal, (api) => api.repairModel(config, ref));
  }

  /** The archive of `input` (a File, or text as a Blob), read by the worker in slices, and where its bits went. */
  compress(signal: AbortSignal | undefined, input: Blob, onProgress?: ProgressListener): Promise<{ archive: Blob; bits: BitsMap | null }> {
    const config = this.config;
    return this.worker.call(signal, (api) => api.compress(config, input, proxied(onProgress)));
  }

  /** The restored data and where the archive's bits went; `onData` sees the data arrive, chunk by chunk, in order. */
  decompress(
    signal: AbortSignal | undefined,
    archive: Blob,
    onProgress?: ProgressListener,
    onData?: (bytes: Uint8Array) => void,
    onWarning?: WarningListener,
  ): Promise<{ data: Blob; bits: BitsMap | null }> {
    const config = this.config;
    return this.worker.call(signal, (api) => api.decompress(config, archive, proxied(onProgress), proxied(onData), proxied(onWarning)));
  }
}
