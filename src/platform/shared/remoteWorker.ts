/**
 * A worker (browser Worker or Node worker_thread) seen through comlink, with
 * the two things every caller needs: the signal first on every call, where
 * aborting terminates the worker at once (the only way to stop a busy one)
 * and the next call starts a fresh one; and errors revived by name
 * (errorTransfer.ts). A worker that dies rejects its calls instead of
 * leaving them waiting.
 */
import * as Comlink from 'comlink';
import { CancelledError } from '../../codec/errors.js';
import { reviveError } from './errorTransfer.js';

/** What a platform gives for one started worker. */
export interface WorkerHandle {
  endpoint: Comlink.Endpoint;
  terminate(): unknown;
  /** Called once when the worker fails or stops. */
  onExit(listener: (error: unknown) => void): void;
}

interface Live<Api> {
  handle: WorkerHandle;
  api: Comlink.Remote<Api>;
  /** Rejects when the worker dies or is stopped, so no call on it waits forever. */
  gone: Promise<never>;
  end: (error: unknown) => void;
  /** `init` done (e.g. the model loaded). */
  ready: Promise<unknown>;
}

export class RemoteWorker<Api> {
  private live: Live<Api> | null = null;
  private closed = false;

  /** `init` runs on every fresh worker before its first call (e.g. loading the model). */
  constructor(
    private readonly spawn: () => WorkerHandle,
    private readonly init: (api: Comlink.Remote<Api>) => Promise<unknown> = async () => undefined,
  ) {}

  private start(): Live<Api> {
    const handle = this.spawn();
    const api = Comlink.wrap<Api>(handle.endpoint);
    let end: (error: unknown) => void = () => {};
    const gone = new Promise<never>((_, reject) => (end = reject));
    gone.catch(() => {});
    handle.onExit((e) => end(reviveError(e)));
    const live: Live<Api> = { handle, api, gone, end, ready: Promise.race([this.init(api), gone]) };
    live.ready.catch(() => this.stop(live));
    return live;
  }

  /** Terminates the worker; every call still waiting on it (with a signal or not) ends with CancelledError. */
  private stop(live: Live<Api>): void {
    if (this.live === live) this.live = null;
    live.end(new CancelledError());
    void live.handle.terminate();
  }

  /** Starts the worker if it is not running and waits for `init`. */
  ready(signal?: AbortSignal): Promise<void> {
    return this.call(signal, async () => undefined);
  }

  async call<T>(signal: AbortSignal | undefined, run: (api: Comlink.Remote<Api>) => Promise<T>): Promise<T> {
    if (this.closed) throw new CancelledError('The worker was closed.');
    if (signal?.aborted) throw new CancelledError();
    const live = (this.live ??= this.start());
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        this.stop(live);
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([live.ready, aborted]);
      return await Promise.race([run(live.api), live.gone, aborted]);
    } catch (e) {
      throw signal?.aborted ? new CancelledError() : reviveError(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const live = this.live;
    this.live = null;
    live?.end(new CancelledError('The worker was closed.'));
    if (live) await live.handle.terminate();
  }
}
