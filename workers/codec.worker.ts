/**
 * The browser worker: holds the model and runs the pipeline off the main
 * thread. Its API type is taken from this module's exports; the client
 * calls it through comlink's `wrap<CodecApi>()`.
 *
 * On the wasm backend it spreads chunks over helper workers (one per extra
 * core); on WebGPU it works alone with larger batches, the GPU being shared.
 * Archives name their model: decompression loads that one when it is one of
 * the app's models (public/models/index.json).
 */
import * as Comlink from 'comlink';
import type { BackendChoice } from '../src/capabilities.js';
import type { LoadedModel } from '../src/model/loadedModel.js';
import { isLockstep } from '../src/model/types.js';
import { loadModelFromUrl } from '../src/pipeline/browserModel.js';
import { blobSource, BlobSink } from '../src/pipeline/blobSink.js';
import { compressStream, decodeArchive, openArchive } from '../src/pipeline/compressor.js';
import type { ProgressListener } from '../src/pipeline/progress.js';
import { localRunner, poolRunner, type ChunkRunner } from '../src/pipeline/runner.js';
import type { ChunkWorkerApi } from './chunk.worker.js';
import type { DecodeJob, Steering } from '../src/pipeline/chunkCoder.js';
import type { HubDtype } from '../src/model/hub/loadHubModel.js';
import { UsageError } from '../src/codec/errors.js';
import { HUB_NUMERICS_ID } from '../src/model/hub/hubStamp.js';

export interface CodecConfig {
  /** URL of the folder holding index.json and one folder per model. */
  modelsUrl: string;
  /** URL of the self-hosted onnxruntime-web files (for hub models). */
  ortUrl: string;
  /** Model used to compress. */
  model: string;
  backend: BackendChoice;
  /** A float hub model to compress with instead (and to open hub-model archives). */
  hub?: HubChoice;
}

export interface HubChoice {
  /** URL of a folder in the transformers.js layout, or a hub id (then `remote` must be set). */
  location: string;
  /** The user agreed to download it from the hub. */
  remote: boolean;
  dtype: HubDtype;
  device: 'wasm' | 'webgpu';
}

export interface ModelListing {
  name: string;
  description: string;
  bytes: number;
  /** SHA-256 of model.bin: compact archives name their model by its first bytes. */
  sha256: string;
}

const CPU_BATCH = 8;
const GPU_BATCH = 32;
const HELPERS = Math.max(0, Math.min(7, (self.navigator?.hardwareConcurrency ?? 1) - 1));

let config: CodecConfig = { modelsUrl: '', ortUrl: '', model: 'llmz-base', backend: 'auto' };
const models = new Map<string, Promise<LoadedModel>>();
const helpers = new Map<string, Promise<ChunkRunner[]>>();

const modelUrl = (name: string) => new URL(`${name}/`, config.modelsUrl).href;

const hubKey = (h: HubChoice) => `hub ${h.location} ${h.dtype} ${h.device}`;

/** The model to compress with: the chosen hub model, else the chosen app model. */
const compressModel = (onProgress?: ProgressListener) => (config.hub ? ensureHubModel(config.hub, onProgress) : ensureModel(config.model, onProgress));

function ensureHubModel(hub: HubChoice, onProgress?: ProgressListener): Promise<LoadedModel> {
  const key = hubKey(hub);
  let m = models.get(key);
  if (!m) {
    for (const [k, old] of models) if (k.startsWith('hub ')) (models.delete(k), void old.then((x) => x.engine.dispose()).catch(() => {}));
    // transformers.js + onnxruntime load only when someone picks a hub model
    m = import('../src/pipeline/browserHubModel.js').then((h) => h.loadHubModelFromUrl(hub, config.ortUrl, onProgress));
    m.catch(() => models.delete(key));
    models.set(key, m);
  }
  return m;
}

function ensureModel(name: string, onProgress?: ProgressListener): Promise<LoadedModel> {
  let m = models.get(name);
  if (!m) {
    m = loadModelFromUrl(modelUrl(name), onProgress, config.backend);
    m.catch(() => models.delete(name));
    models.set(name, m);
  }
  return m;
}

/** This worker plus its helpers as one runner; helpers start on first use. */
async function runnerFor(m: LoadedModel): Promise<ChunkRunner | undefined> {
  if (isLockstep(m.engine)) return undefined; // the compressor codes hub models here, in recorded batches
  if (m.engine.backend === 'webgpu' || HELPERS === 0) return localRunner(m, m.engine.backend === 'webgpu' ? GPU_BATCH : CPU_BATCH);
  const name = m.identity.name;
  let h = helpers.get(name);
  if (!h) {
    h = Promise.all(
      Array.from({ length: HELPERS }, async () => {
        const api = Comlink.wrap<ChunkWorkerApi>(new Worker(new URL('./chunk.worker.ts', import.meta.url), { type: 'module' }));
        await api.load(modelUrl(name), m.engine.backend as BackendChoice);
        return {
          encode: (chunks: Int32Array[], _signal?: AbortSignal, steering?: Steering, archivePrompt?: Int32Array | null) =>
            api.encode(chunks, CPU_BATCH, steering, archivePrompt),
          decode: (jobs: DecodeJob[], _signal?: AbortSignal, onTokens?: (n: number) => void, archivePrompt?: Int32Array | null) =>
            api.decode(jobs, CPU_BATCH, onTokens && Comlink.proxy(onTokens), archivePrompt),
        } satisfies ChunkRunner;
      }),
    ).catch(() => []); // helpers only add speed: without them this worker codes alone
    helpers.set(name, h);
  }
  const extra = await h;
  return extra.length ? poolRunner([localRunner(m, CPU_BATCH), ...extra], CPU_BATCH) : localRunner(m, CPU_BATCH);
}

async function listModels(): Promise<ModelListing[]> {
  try {
    const res = await fetch(new URL('index.json', config.modelsUrl));
    return res.ok ? ((await res.json()) as ModelListing[]) : [];
  } catch {
    return [];
  }
}

const api = {
  configure(c: CodecConfig): void {
    config = c;
  },
  listModels,
  async loadModel(onProgress?: ProgressListener) {
    const m = await compressModel(onProgress);
    const workers = m.engine.backend === 'webgpu' || isLockstep(m.engine) ? 1 : 1 + HELPERS;
    return { name: m.identity.name, backend: m.engine.backend, contextTokens: m.contextTokens, sha256: m.identity.sha256, workers };
  },
  /** Compresses a Blob (a File, or pasted text) read in slices; the archive comes back as a Blob. */
  async compress(input: Blob, onProgress?: ProgressListener): Promise<Blob> {
    const m = await compressModel(onProgress);
    const sink = new BlobSink();
    await compressStream(blobSource(input), m, sink, { onProgress, runner: await runnerFor(m), totalBytes: input.size });
    return sink.blob();
  },
  /**
   * Restores an archive. `onData` receives the restored bytes as chunks
   * finish, in order, so the page can show text while the rest decodes.
   */
  async decompress(archive: Blob, onProgress?: ProgressListener, onData?: (bytes: Uint8Array) => void): Promise<Blob> {
    const opened = await openArchive(blobSource(archive)); // typed errors before any model download
    const { header } = opened;
    let m: LoadedModel | null = null;
    if (header.chunks.some((c) => c.kind === 'model') && header.model.numericsId === HUB_NUMERICS_ID) {
      if (!config.hub) throw new UsageError(`This archive was made with the hub model "${header.model.name}". Choose that model under "Hub model" to open it.`);
      m = await ensureHubModel(config.hub, onProgress);
    } else if (header.chunks.some((c) => c.kind === 'model')) {
      const fp = Array.from(header.model.fingerprint, (b) => b.toString(16).padStart(2, '0')).join('');
      const known = (await listModels()).find((l) => (header.model.name ? l.name === header.model.name : l.sha256.startsWith(fp)));
      // An archive of another of our models loads that model; anything else meets WrongModelError.
      m = await ensureModel(known?.name ?? config.model, onProgress);
    }
    const onWarning = (message: string) => onProgress?.({ stage: 'warning', message });
    const sink = new BlobSink(onData);
    await decodeArchive(opened, m, sink, { onProgress, onWarning, runner: m ? await runnerFor(m) : undefined });
    return sink.blob();
  },
};

export type CodecApi = typeof api;
Comlink.expose(api);
