/**
 * The one worker protocol for coding chunks, behind both worker entries
 * (src/platform/browser/chunk.worker.ts, src/platform/node/chunk.worker.ts):
 * `load` once, then `encode` / `decode` requests (src/pipeline/runner.ts).
 * The functions know nothing of comlink; `exposeChunkCoder` exposes them and
 * `remoteChunkRunner` turns a RemoteWorker of them back into a ChunkRunner.
 */
import * as Comlink from 'comlink';
import { UsageError } from '../../codec/errors.js';
import type { BackendChoice } from '../../model/capabilities.js';
import type { LoadedModel } from '../../model/loadedModel.js';
import { decodeChunks, encodeChunks, type DecodeRequest, type EncodeRequest, type TokenListener } from '../../pipeline/chunkCoder.js';
import type { ChunkRunner } from '../../pipeline/runner.js';
import { KeptHistoryBuilder } from '../../mixing/history.js';
import { guardErrors } from './errorTransfer.js';
import type { RemoteWorker } from './remoteWorker.js';

export interface ChunkCoderSpec {
  /** The model as this platform's loader names it (Node: a name or path; browser: the URL of its folder). */
  model: string;
  backend: BackendChoice;
  /** Chunks stepped together. */
  batch: number;
  /** The model file's SHA-256 as the registry lists it (the browser's helpers check it; Node's loader looks it up). */
  sha256?: string;
}

export type ChunkModelLoader = (spec: ChunkCoderSpec) => Promise<LoadedModel>;

function chunkCoder(loadModel: ChunkModelLoader) {
  let loaded: { model: Promise<LoadedModel>; batch: number } | null = null;
  // (each round's mixing history builds on the last this worker built: src/mixing/history.ts)
  const histories = new KeptHistoryBuilder();
  const ready = () => {
    if (!loaded) throw new UsageError('The chunk worker was used before load().');
    return loaded;
  };
  return {
    /** Loads the model (once); returns the backend it runs on. */
    async load(spec: ChunkCoderSpec): Promise<string> {
      loaded ??= { model: loadModel(spec), batch: spec.batch };
      return (await loaded.model).engine.backend;
    },
    async encode(request: EncodeRequest, onTokens?: TokenListener) {
      const { model, batch } = ready();
      return encodeChunks(undefined, await model, request, batch, onTokens, histories);
    },
    async decode(request: DecodeRequest, onTokens?: TokenListener) {
      const { model, batch } = ready();
      return decodeChunks(undefined, await model, request, batch, onTokens, histories);
    },
  };
}

export type ChunkCoderApi = ReturnType<typeof chunkCoder>;

/** What a chunk worker entry calls: serve the protocol on `endpoint`, loading models with `loadModel`. */
export function exposeChunkCoder(endpoint: Comlink.Endpoint, loadModel: ChunkModelLoader): void {
  Comlink.expose(guardErrors(chunkCoder(loadModel)), endpoint);
}

/** A ChunkRunner on a remote chunk coder (cancel terminates it: see RemoteWorker). */
export function remoteChunkRunner(worker: RemoteWorker<ChunkCoderApi>): ChunkRunner {
  return {
    encode: (signal, request, onTokens) => worker.call(signal, (api) => api.encode(request, onTokens && Comlink.proxy(onTokens))),
    decode: (signal, request, onTokens) => worker.call(signal, (api) => api.decode(request, onTokens && Comlink.proxy(onTokens))),
  };
}
