/**
 * Node worker_threads entry: one model per thread, coding the chunks the
 * pool hands it. The API type is taken from this module's exports.
 */
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadModelFromDisk } from '../src/cli/modelStore.js';
import { decodeChunks, encodeChunks, type CodedChunk, type DecodeJob, type Steering } from '../src/pipeline/chunkCoder.js';
import type { BackendChoice } from '../src/capabilities.js';

const { model: modelName, backend, batch } = workerData as { model: string; backend: BackendChoice; batch: number };
const model = loadModelFromDisk(modelName, backend);

const api = {
  async ready(): Promise<string> {
    return (await model).engine.backend;
  },
  async encode(chunks: Int32Array[], steering?: Steering, archivePrompt?: Int32Array | null): Promise<CodedChunk[]> {
    return encodeChunks(await model, chunks, batch, undefined, steering, archivePrompt);
  },
  async decode(jobs: DecodeJob[], onTokens?: (n: number) => void, archivePrompt?: Int32Array | null): Promise<Int32Array[]> {
    return decodeChunks(await model, jobs, batch, undefined, onTokens, archivePrompt);
  },
};

export type NodeWorkerApi = typeof api;
Comlink.expose(api, nodeEndpoint(parentPort!));
