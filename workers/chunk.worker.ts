/**
 * A browser worker that only codes chunks (the pool's helpers); the codec
 * worker tokenizes, plans and assembles. Its API type is its own exports.
 */
import * as Comlink from 'comlink';
import { decodeChunks, encodeChunks, type CodedChunk, type DecodeJob, type Steering } from '../src/pipeline/chunkCoder.js';
import { loadModelFromUrl } from '../src/pipeline/browserModel.js';
import type { LoadedModel } from '../src/model/loadedModel.js';
import type { BackendChoice } from '../src/capabilities.js';

let model: Promise<LoadedModel> | null = null;

const api = {
  async load(url: string, backend: BackendChoice): Promise<string> {
    model ??= loadModelFromUrl(url, undefined, backend);
    return (await model).engine.backend;
  },
  async encode(chunks: Int32Array[], batch: number, steering?: Steering, archivePrompt?: Int32Array | null): Promise<CodedChunk[]> {
    return encodeChunks(await model!, chunks, batch, undefined, steering, archivePrompt);
  },
  async decode(jobs: DecodeJob[], batch: number, onTokens?: (n: number) => void, archivePrompt?: Int32Array | null): Promise<Int32Array[]> {
    return decodeChunks(await model!, jobs, batch, undefined, onTokens, archivePrompt);
  },
};

export type ChunkWorkerApi = typeof api;
Comlink.expose(api);
