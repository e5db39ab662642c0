/**
 * The browser worker: holds the model and runs the pipeline off the main
 * thread. Its API type is taken from this module's exports; the client
 * calls it through comlink's `wrap<CodecApi>()`.
 */
import * as Comlink from 'comlink';
import { compress, decompress } from '../src/pipeline/compressor.js';
import { loadModelFromUrl } from '../src/pipeline/browserModel.js';
import type { LoadedModel } from '../src/model/loadedModel.js';
import type { ProgressListener } from '../src/pipeline/progress.js';
import { readArchive } from '../src/format/container.js';
import { localRunner, poolRunner, type ChunkRunner } from '../src/pipeline/runner.js';
import type { ChunkWorkerApi } from './chunk.worker.js';

const BATCH = 8;
/** Extra chunk workers besides this one: one per further core. */
const HELPERS = Math.max(0, Math.min(7, (self.navigator?.hardwareConcurrency ?? 1) - 1));
let helpers: Promise<ChunkRunner[]> | null = null;

/** This worker plus its helpers, as one runner; helpers start on first use. */
async function runnerFor(m: LoadedModel, url: string): Promise<ChunkRunner> {
  helpers ??= Promise.all(
    Array.from({ length: HELPERS }, async () => {
      const api = Comlink.wrap<ChunkWorkerApi>(new Worker(new URL('./chunk.worker.ts', import.meta.url), { type: 'module' }));
      await api.load(url);
      return {
        encode: (chunks: Int32Array[]) => api.encode(chunks, BATCH),
        decode: (jobs: { payload: Uint8Array; count: number }[], _signal?: AbortSignal, onTokens?: (n: number) => void) =>
          api.decode(jobs, BATCH, onTokens && Comlink.proxy(onTokens)),
      } satisfies ChunkRunner;
    }),
  ).catch(() => []); // helpers are an optimisation: without them this worker codes alone
  const extra = await helpers;
  return extra.length ? poolRunner([localRunner(m, BATCH), ...extra], BATCH) : localRunner(m, BATCH);
}

let model: Promise<LoadedModel> | null = null;
let modelUrl = '';

function ensureModel(url: string, onProgress?: ProgressListener): Promise<LoadedModel> {
  if (!model || url !== modelUrl) {
    modelUrl = url;
    model = loadModelFromUrl(url, onProgress);
    model.catch(() => (model = null));
  }
  return model;
}

const api = {
  async loadModel(url: string, onProgress?: ProgressListener) {
    const m = await ensureModel(url, onProgress);
    return { name: m.identity.name, backend: m.engine.backend, contextTokens: m.contextTokens, sha256: m.identity.sha256, workers: 1 + HELPERS };
  },
  async compress(url: string, input: Uint8Array, onProgress?: ProgressListener): Promise<Uint8Array> {
    const m = await ensureModel(url, onProgress);
    const out = await compress(input, m, { onProgress, runner: await runnerFor(m, url) });
    return Comlink.transfer(out, [out.buffer]);
  },
  async decompress(url: string, archive: Uint8Array, onProgress?: ProgressListener): Promise<Uint8Array> {
    const { header } = readArchive(archive); // typed errors before any download
    const needsModel = header.chunks.some((c) => c.kind === 'model');
    const m = needsModel ? await ensureModel(url, onProgress) : null;
    const out = await decompress(archive, m, { onProgress, runner: m ? await runnerFor(m, url) : undefined });
    return Comlink.transfer(out, [out.buffer]);
  },
};

export type CodecApi = typeof api;
Comlink.expose(api);
