/**
 * The browser worker: holds the model and runs the pipeline off the main
 * thread. Its API type is taken from this module's exports; the client
 * calls it through comlink's `wrap<CodecApi>()`.
 *
 * On the wasm backend it spreads chunks over helper workers (one per extra
 * core); on WebGPU it works alone with larger batches, the GPU being shared.
 */
import * as Comlink from 'comlink';
import type { BackendChoice } from '../src/capabilities.js';
import { readArchive } from '../src/format/container.js';
import type { LoadedModel } from '../src/model/loadedModel.js';
import { loadModelFromUrl } from '../src/pipeline/browserModel.js';
import { compress, decompress } from '../src/pipeline/compressor.js';
import type { ProgressListener } from '../src/pipeline/progress.js';
import { localRunner, poolRunner, type ChunkRunner } from '../src/pipeline/runner.js';
import type { ChunkWorkerApi } from './chunk.worker.js';

export interface CodecConfig {
  modelUrl: string;
  backend: BackendChoice;
}

const CPU_BATCH = 8;
const GPU_BATCH = 32;
const HELPERS = Math.max(0, Math.min(7, (self.navigator?.hardwareConcurrency ?? 1) - 1));

let config: CodecConfig = { modelUrl: '', backend: 'auto' };
let model: Promise<LoadedModel> | null = null;
let helpers: Promise<ChunkRunner[]> | null = null;

function ensureModel(onProgress?: ProgressListener): Promise<LoadedModel> {
  model ??= loadModelFromUrl(config.modelUrl, onProgress, config.backend);
  model.catch(() => (model = null));
  return model;
}

/** This worker plus its helpers as one runner; helpers start on first use. */
async function runnerFor(m: LoadedModel): Promise<ChunkRunner> {
  if (m.engine.backend === 'webgpu' || HELPERS === 0) return localRunner(m, m.engine.backend === 'webgpu' ? GPU_BATCH : CPU_BATCH);
  helpers ??= Promise.all(
    Array.from({ length: HELPERS }, async () => {
      const api = Comlink.wrap<ChunkWorkerApi>(new Worker(new URL('./chunk.worker.ts', import.meta.url), { type: 'module' }));
      await api.load(config.modelUrl, m.engine.backend as BackendChoice);
      return {
        encode: (chunks: Int32Array[]) => api.encode(chunks, CPU_BATCH),
        decode: (jobs: { payload: Uint8Array; count: number }[], _signal?: AbortSignal, onTokens?: (n: number) => void) =>
          api.decode(jobs, CPU_BATCH, onTokens && Comlink.proxy(onTokens)),
      } satisfies ChunkRunner;
    }),
  ).catch(() => []); // helpers only add speed: without them this worker codes alone
  const extra = await helpers;
  return extra.length ? poolRunner([localRunner(m, CPU_BATCH), ...extra], CPU_BATCH) : localRunner(m, CPU_BATCH);
}

const api = {
  configure(c: CodecConfig): void {
    config = c;
    model = null;
    helpers = null;
  },
  async loadModel(onProgress?: ProgressListener) {
    const m = await ensureModel(onProgress);
    const workers = m.engine.backend === 'webgpu' ? 1 : 1 + HELPERS;
    return { name: m.identity.name, backend: m.engine.backend, contextTokens: m.contextTokens, sha256: m.identity.sha256, workers };
  },
  async compress(input: Uint8Array, onProgress?: ProgressListener): Promise<Uint8Array> {
    const m = await ensureModel(onProgress);
    const out = await compress(input, m, { onProgress, runner: await runnerFor(m) });
    return Comlink.transfer(out, [out.buffer]);
  },
  async decompress(archive: Uint8Array, onProgress?: ProgressListener): Promise<Uint8Array> {
    const { header } = readArchive(archive); // typed errors before any download
    const needsModel = header.chunks.some((c) => c.kind === 'model');
    const m = needsModel ? await ensureModel(onProgress) : null;
    const out = await decompress(archive, m, { onProgress, runner: m ? await runnerFor(m) : undefined });
    return Comlink.transfer(out, [out.buffer]);
  },
};

export type CodecApi = typeof api;
Comlink.expose(api);
