/** Models in the browser (worker): fetched from our own origin; hub models only when the user picks one. */
import type { BackendChoice } from '../../model/capabilities.js';
import { loadExactModel, type LoadedModel } from '../../model/loadedModel.js';
import type { LoadListener, ModelListing, ModelSource } from '../../model/modelSource.js';
import { fetchBytes } from './fetchBytes.js';

const WASM_KERNELS_URL = new URL('../../model/exact/wasm/kernels.wasm', import.meta.url).href;
const wasmKernels = () => fetchBytes(WASM_KERNELS_URL) as Promise<BufferSource>;

/** An exact model from the folder at `baseUrl` (model.bin + tokenizer.json). */
export async function loadModelFromUrl(baseUrl: string, backend: BackendChoice | 'reference' = 'auto', onLoad?: LoadListener): Promise<LoadedModel> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const [model, tokenizer] = await Promise.all([fetchBytes(base + 'model.bin', onLoad), fetchBytes(base + 'tokenizer.json')]);
  return loadExactModel(model, new TextDecoder().decode(tokenizer), { backend, wasmBytes: wasmKernels });
}

/**
 * The app's models: `modelsUrl` holds index.json and one folder per model;
 * `ortUrl` the self-hosted onnxruntime-web files (hub models only).
 */
export function browserModels(modelsUrl: string, ortUrl: string): ModelSource & { modelUrl(name: string): string } {
  const modelUrl = (name: string) => new URL(`${encodeURIComponent(name)}/`, modelsUrl).href;
  return {
    modelUrl,
    async listModels(): Promise<ModelListing[]> {
      try {
        const res = await fetch(new URL('index.json', modelsUrl));
        return res.ok ? ((await res.json()) as ModelListing[]) : [];
      } catch {
        return [];
      }
    },
    loadExact: (name, backend, onLoad) => loadModelFromUrl(modelUrl(name), backend, onLoad),
    async loadHub(choice, onLoad) {
      // transformers.js + onnxruntime load only when someone picks a hub model
      const { loadHubModelFromUrl } = await import('./browserHubModel.js');
      return loadHubModelFromUrl(choice, ortUrl, onLoad);
    },
    wasmKernels,
  };
}
