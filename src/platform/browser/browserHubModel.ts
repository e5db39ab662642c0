/**
 * Loading a hub model in the browser worker: onnxruntime-web's files come from
 * our own origin (ort/, copied at build time), the model from a URL in the
 * transformers.js layout, or from the hub when the user opted in. Imported
 * only when a hub model is chosen (browserModelSource.ts).
 */
import type { HubChoice } from '../../model/hub/hubChoice.js';
import { loadHubModel } from '../../model/hub/loadHubModel.js';
import type { LoadedModel } from '../../model/loadedModel.js';
import type { LoadListener } from '../../model/modelSource.js';
import { fetchBytes } from './fetchBytes.js';

const HUB_HOST = 'https://huggingface.co/';

async function adapterDescription(): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  const info = adapter?.info;
  return info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter' : 'no adapter';
}

/** `ortUrl`: the folder of the self-hosted onnxruntime-web files (the app's ort/). */
export function loadHubModelFromUrl(hub: HubChoice, ortUrl: string, onLoad?: LoadListener): Promise<LoadedModel> {
  const base = hub.remote ? `${HUB_HOST}${hub.location}/resolve/main/` : hub.location.endsWith('/') ? hub.location : hub.location + '/';
  return loadHubModel({
    location: hub.remote ? hub.location : new URL(base).href,
    remote: hub.remote,
    dtype: hub.dtype,
    device: hub.device,
    wasmPaths: ortUrl,
    readFile: (name) => fetchBytes(base + name).catch(() => null),
    deviceDescription: hub.device === 'webgpu' ? adapterDescription : async () => `onnxruntime-web wasm`,
    onDownload: (_file, loaded, total) => onLoad?.(loaded, total),
  });
}
