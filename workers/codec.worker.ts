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
    return { name: m.identity.name, backend: m.engine.backend, contextTokens: m.contextTokens, sha256: m.identity.sha256 };
  },
  async compress(url: string, input: Uint8Array, onProgress?: ProgressListener): Promise<Uint8Array> {
    const m = await ensureModel(url, onProgress);
    const out = await compress(input, m, { onProgress });
    return Comlink.transfer(out, [out.buffer]);
  },
  async decompress(url: string, archive: Uint8Array, onProgress?: ProgressListener): Promise<Uint8Array> {
    const { header } = readArchive(archive); // typed errors before any download
    const needsModel = header.chunks.some((c) => c.kind === 'model');
    const m = needsModel ? await ensureModel(url, onProgress) : null;
    const out = await decompress(archive, m, { onProgress });
    return Comlink.transfer(out, [out.buffer]);
  },
};

export type CodecApi = typeof api;
Comlink.expose(api);
