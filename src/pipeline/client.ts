/**
 * The main thread's handle on the codec worker. Every call takes an
 * AbortSignal; aborting terminates the worker (the only way to stop a busy
 * one at once) and the next call starts a fresh one.
 */
import * as Comlink from 'comlink';
import type { CodecApi, CodecConfig, HubChoice } from '../../workers/codec.worker.js';
import { CancelledError } from '../codec/errors.js';
import type { ProgressListener } from './progress.js';
import { reviveError } from './transferErrors.js';

export class CodecClient {
  private worker: Worker | null = null;
  private api: Comlink.Remote<CodecApi> | null = null;

  constructor(private config: CodecConfig) {}

  private remote(): Comlink.Remote<CodecApi> {
    if (!this.api) {
      this.worker = new Worker(new URL('../../workers/codec.worker.ts', import.meta.url), { type: 'module' });
      this.api = Comlink.wrap<CodecApi>(this.worker);
      void this.api.configure(this.config);
    }
    return this.api;
  }

  private reset(): void {
    this.worker?.terminate();
    this.worker = null;
    this.api = null;
  }

  private async call<T>(signal: AbortSignal | undefined, run: (api: Comlink.Remote<CodecApi>) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw new CancelledError();
    const api = this.remote();
    let onAbort: () => void = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        this.reset();
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([run(api), aborted]);
    } catch (e) {
      throw reviveError(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  listModels(signal?: AbortSignal) {
    return this.call(signal, (api) => api.listModels());
  }

  /** Compress with another model from now on (decompression always follows the archive). */
  useModel(name: string): void {
    this.config = { ...this.config, model: name };
    void this.api?.configure(this.config);
  }

  /** Compress (and open hub-model archives) with a hub model from now on; null goes back to the app's models. */
  useHub(hub: HubChoice | null): void {
    this.config = { ...this.config, hub: hub ?? undefined };
    void this.api?.configure(this.config);
  }

  loadModel(signal?: AbortSignal, onProgress?: ProgressListener) {
    return this.call(signal, (api) => api.loadModel(onProgress && Comlink.proxy(onProgress)));
  }

  /** The archive of `input` (a File, or text as a Blob), read by the worker in slices. */
  compress(input: Blob, signal?: AbortSignal, onProgress?: ProgressListener): Promise<Blob> {
    return this.call(signal, (api) => api.compress(input, onProgress && Comlink.proxy(onProgress)));
  }

  /** The restored data; `onData` sees it arrive, chunk by chunk, in order. */
  decompress(archive: Blob, signal?: AbortSignal, onProgress?: ProgressListener, onData?: (bytes: Uint8Array) => void): Promise<Blob> {
    return this.call(signal, (api) => api.decompress(archive, onProgress && Comlink.proxy(onProgress), onData && Comlink.proxy(onData)));
  }
}
