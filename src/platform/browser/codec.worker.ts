/**
 * The browser's codec worker: holds the model and runs the pipeline off the
 * main thread. Its API type is taken from this module's exports; the page
 * calls it through CodecClient (codecClient.ts), which sends the current
 * CodecConfig with every call.
 *
 * On the wasm backend it spreads chunks over helper workers (one per extra
 * core); on WebGPU it works alone with larger batches, the GPU being shared.
 * Archives name their model: decompression loads that one when it is one of
 * the app's models (public/models/index.json).
 */
import * as Comlink from 'comlink';
import { UsageError } from '../../codec/errors.js';
import type { BackendChoice } from '../../model/capabilities.js';
import type { HubChoice } from '../../model/hub/hubChoice.js';
import type { LoadedModel } from '../../model/loadedModel.js';
import { modelForArchive, type ModelListing } from '../../model/modelSource.js';
import { isLockstep } from '../../model/types.js';
import { blobSource } from '../../pipeline/byteStreams.js';
import { compressStream } from '../../pipeline/compressor.js';
import { CPU_BATCH, browserHelpers, exactBatch } from '../../pipeline/defaults.js';
import { decodeArchive, openArchive } from '../../pipeline/decompressor.js';
import type { WarningListener } from '../../pipeline/options.js';
import type { ProgressListener } from '../../pipeline/progress.js';
import type { BitsMap } from '../../pipeline/bitsMap.js';
import { localRunner, poolRunner, type ChunkRunner } from '../../pipeline/runner.js';
import { remoteChunkRunner, type ChunkCoderApi } from '../shared/chunkCoderWorker.js';
import { guardErrors } from '../shared/errorTransfer.js';
import { RemoteWorker } from '../shared/remoteWorker.js';
import { BlobSink } from './blobSink.js';
import { browserModels } from './browserModelSource.js';
import { classicSizes } from './classicSizes.js';
import { workerHandle } from './workerHandle.js';

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

const HELPERS = browserHelpers(self.navigator?.hardwareConcurrency ?? 1);

let source = browserModels('', '');
let sourceKey = '';
const models = new Map<string, Promise<LoadedModel>>();
const helpers = new Map<string, Promise<ChunkRunner[]>>();

/** The model source for `config` (a new one only when its URLs change). */
function sourceFor(config: CodecConfig) {
  const key = `${config.modelsUrl} ${config.ortUrl}`;
  if (key !== sourceKey) [source, sourceKey] = [browserModels(config.modelsUrl, config.ortUrl), key];
  return source;
}

const loadProgress = (onProgress?: ProgressListener) => onProgress && ((loaded: number, total: number) => onProgress({ stage: 'loading-model', loaded, total }));

/** Loads once per key; a failed load is forgotten so the next call tries again. */
function cached(key: string, load: () => Promise<LoadedModel>): Promise<LoadedModel> {
  let m = models.get(key);
  if (!m) {
    m = load();
    m.catch(() => models.delete(key));
    models.set(key, m);
  }
  return m;
}

function ensureHubModel(config: CodecConfig, hub: HubChoice, onProgress?: ProgressListener): Promise<LoadedModel> {
  const key = `hub ${hub.location} ${hub.dtype} ${hub.device}`;
  if (!models.has(key)) {
    // one hub model at a time: they are big
    for (const [k, old] of models) if (k.startsWith('hub ')) (models.delete(k), void old.then((x) => x.engine.dispose()).catch(() => {}));
  }
  return cached(key, () => sourceFor(config).loadHub(hub, loadProgress(onProgress)));
}

/** An exact model by registry reference (a name, or the SHA-256 an archive's fingerprint led to). */
const ensureModel = async (config: CodecConfig, ref: string, onProgress?: ProgressListener) => {
  const { listed } = await sourceFor(config).locate(ref);
  return cached(listed.sha256, () => sourceFor(config).loadExact(listed.sha256, config.backend, loadProgress(onProgress)));
};

/** The model to compress with: the chosen hub model, else the chosen app model. */
const compressModel = (config: CodecConfig, onProgress?: ProgressListener) =>
  config.hub ? ensureHubModel(config, config.hub, onProgress) : ensureModel(config, config.model, onProgress);

/** This worker plus its helpers as one runner; helpers start on first use. */
async function runnerFor(config: CodecConfig, m: LoadedModel): Promise<ChunkRunner | undefined> {
  if (isLockstep(m.engine)) return undefined; // the compressor codes hub models here, in recorded batches
  if (m.engine.backend === 'webgpu' || HELPERS === 0) return localRunner(m, exactBatch(m.engine.backend));
  const sha256 = m.identity.sha256;
  let h = helpers.get(sha256);
  if (!h) {
    const { url } = await sourceFor(config).locate(sha256);
    const spec = { model: url, sha256, backend: m.engine.backend as BackendChoice, batch: CPU_BATCH };
    const spawn = () => workerHandle(new Worker(new URL('./chunk.worker.ts', import.meta.url), { type: 'module' }));
    const workers = Array.from({ length: HELPERS }, () => new RemoteWorker<ChunkCoderApi>(spawn, (api) => api.load(spec)));
    // helpers only add speed: without them this worker codes alone
    h = Promise.all(workers.map((w) => w.ready())).then(
      () => workers.map(remoteChunkRunner),
      () => (workers.forEach((w) => void w.close()), []),
    );
    helpers.set(sha256, h);
  }
  const extra = await h;
  return extra.length ? poolRunner([localRunner(m, CPU_BATCH), ...extra], CPU_BATCH) : localRunner(m, CPU_BATCH);
}

const api = {
  listModels: (config: CodecConfig): Promise<ModelListing[]> => sourceFor(config).listModels(),

  async loadModel(config: CodecConfig, onProgress?: ProgressListener) {
    const m = await compressModel(config, onProgress);
    const workers = m.engine.backend === 'webgpu' || isLockstep(m.engine) ? 1 : 1 + HELPERS;
    return { name: m.identity.name, backend: m.engine.backend, backendReason: m.backendReason ?? '', contextTokens: m.contextTokens, sha256: m.identity.sha256, workers };
  },

  /** gzip's and brotli's sizes for the same input (the page's comparison), off the page's thread. */
  classicSizes,

  /** After a ModelIntegrityError: drops the model's cached files (and this worker's copy) so the next load downloads them again. */
  async repairModel(config: CodecConfig, ref: string): Promise<void> {
    const { listed } = await sourceFor(config).locate(ref);
    models.delete(listed.sha256);
    await sourceFor(config).forget(ref);
  },

  /** Compresses a Blob (a File, or pasted text) read in slices; the archive comes back as a Blob, with where its bits went. */
  async compress(config: CodecConfig, input: Blob, onProgress?: ProgressListener): Promise<{ archive: Blob; bits: BitsMap | null }> {
    const m = await compressModel(config, onProgress);
    const sink = new BlobSink();
    const result = await compressStream(blobSource(input), m, sink, { onProgress, runner: await runnerFor(config, m), totalBytes: input.size, recordBits: true });
    return { archive: sink.blob(), bits: result.bits ?? null };
  },

  /**
   * Restores an archive. `onData` receives the restored bytes as chunks
   * finish, in order, so the page can show text while the rest decodes.
   */
  async decompress(
    config: CodecConfig,
    archive: Blob,
    onProgress?: ProgressListener,
    onData?: (bytes: Uint8Array) => void,
    onWarning?: WarningListener,
  ): Promise<{ data: Blob; bits: BitsMap | null }> {
    const opened = await openArchive(blobSource(archive)); // typed errors before any model download
    onProgress?.({ stage: 'opening', originalBytes: opened.header.originalLength, chunks: opened.header.chunks.length });
    const needs = modelForArchive(opened.header, await sourceFor(config).listModels(), config.model);
    let m: LoadedModel | null = null;
    if (needs.kind === 'hub') {
      if (!config.hub) throw new UsageError(`This archive was made with the hub model "${needs.name}". Choose that model under "Hub model" to open it.`);
      m = await ensureHubModel(config, config.hub, onProgress);
    } else if (needs.kind === 'exact') {
      // An archive of a listed model (a retired one too) loads that model; anything else meets WrongModelError.
      m = await ensureModel(config, needs.ref, onProgress);
    }
    const sink = new BlobSink(onData);
    const result = await decodeArchive(opened, m, sink, { onProgress, onWarning, runner: m ? await runnerFor(config, m) : undefined, recordBits: true });
    return { data: sink.blob(), bits: result.bits ?? null };
  },
};

export type CodecApi = typeof api;
Comlink.expose(guardErrors(api));
