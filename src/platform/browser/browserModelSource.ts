/**
 * Models in the browser (worker): fetched from our own origin, found in the
 * registry (models/index.json) and checked against its SHA-256 before use;
 * hub models only when the user picks one.
 */
import { ModelLoadError } from '../../codec/errors.js';
import type { BackendChoice } from '../../model/capabilities.js';
import { loadExactModel, type LoadedModel } from '../../model/loadedModel.js';
import { findModel, type LoadListener, type ModelListing, type ModelSource } from '../../model/modelSource.js';
import { fetchBytes } from './fetchBytes.js';
import { browserBackendCache } from './backendCache.js';
import { browserHelpers } from '../../pipeline/defaults.js';

const WASM_KERNELS_URL = new URL('../../model/exact/wasm/kernels.wasm', import.meta.url).href;
const wasmKernels = () => fetchBytes(WASM_KERNELS_URL) as Promise<BufferSource>;

/** What the page offers when a cached model file is damaged (App.svelte's repair button). */
export const BROWSER_RECOVERY = 'Press "Download the model again"; if that does not help, clear this site\'s data in the browser settings and reload.';

/**
 * An exact model from the folder at `baseUrl` (model.bin + tokenizer.json);
 * with `sha256`, other bytes are refused (ModelIntegrityError).
 */
export async function loadModelFromUrl(baseUrl: string, backend: BackendChoice | 'reference' = 'auto', sha256?: string, onLoad?: LoadListener, label?: string): Promise<LoadedModel> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const [model, tokenizer] = await Promise.all([fetchBytes(base + 'model.bin', onLoad), fetchBytes(base + 'tokenizer.json')]);
  const expect = sha256 ? { sha256, name: label, recovery: BROWSER_RECOVERY } : undefined;
  // (left to us, WebGPU is measured against wasm running in the codec worker and its helpers)
  const wasmWorkers = 1 + browserHelpers(self.navigator?.hardwareConcurrency ?? 1);
  return loadExactModel(model, new TextDecoder().decode(tokenizer), { backend, wasmBytes: wasmKernels, expect, wasmWorkers, backendCache: browserBackendCache() });
}

export interface BrowserModelSource extends ModelSource {
  /** The registry entry `ref` names, and the URL of its folder. */
  locate(ref: string): Promise<{ listed: ModelListing; url: string }>;
  /** Removes a model's files from every cache of this origin, so the next load downloads them again. */
  forget(ref: string): Promise<void>;
}

/**
 * The app's models: `modelsUrl` holds index.json and the model folders;
 * `ortUrl` the self-hosted onnxruntime-web files (hub models only).
 */
export function browserModels(modelsUrl: string, ortUrl: string): BrowserModelSource {
  let listing: Promise<ModelListing[]> | null = null;
  const listModels = () =>
    (listing ??= fetch(new URL('index.json', modelsUrl))
      .then((res) => (res.ok ? (res.json() as Promise<ModelListing[]>) : Promise.reject(new Error(`HTTP ${res.status}`))))
      .catch(() => ((listing = null), []))); // not kept: the next call asks again
  const locate = async (ref: string) => {
    const listed = findModel(await listModels(), ref);
    if (!listed) throw new ModelLoadError(`Model "${ref}" is not in this copy's model list (models/index.json). Reload the page to get the current list.`);
    return { listed, url: new URL(listed.path, modelsUrl).href };
  };
  return {
    listModels,
    locate,
    async loadExact(ref, backend, onLoad) {
      const { listed, url } = await locate(ref);
      return loadModelFromUrl(url, backend, listed.sha256, onLoad, `${listed.name}@${listed.version}`);
    },
    async loadHub(choice, onLoad) {
      // transformers.js + onnxruntime load only when someone picks a hub model
      const { loadHubModelFromUrl } = await import('./browserHubModel.js');
      return loadHubModelFromUrl(choice, ortUrl, onLoad);
    },
    wasmKernels,
    async forget(ref) {
      const { url } = await locate(ref);
      const files = [url + 'model.bin', url + 'tokenizer.json'];
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        // precached entries carry a revision in their query: compare without it
        for (const req of await cache.keys()) if (files.includes(req.url.replace(/\?.*$/, ''))) await cache.delete(req);
      }
    },
  };
}
