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

const HUB_HOST = 'https://huggingface.co/';

async function adapterDescription(): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  const info = adapter?.info;
  return info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter' : 'no adapter';
}

/** No answer (headers) to a request for a model file in this long is an error, not a wait without end; the download itself may take longer. */
const ANSWER_TIMEOUT_MS = 60_000;

/**
 * fetch for a model's files: a status other than OK, or a web page where a
 * model file should be (servers that answer every path with their app), is
 * a missing file; a server that does not answer fails after a while.
 */
async function checkedFetch(input: string | URL, init?: RequestInit): Promise<Response> {
  const controller = new AbortController();
  init?.signal?.addEventListener('abort', () => controller.abort(init.signal!.reason), { once: true });
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${String(input)} in ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);
  const res = await fetch(input, { ...init, signal: controller.signal }).finally(() => clearTimeout(timer));
  const page = (res.headers.get('content-type') ?? '').includes('text/html') && !String(input).endsWith('.html');
  return res.ok && !page ? res : new Response(null, { status: 404, statusText: page ? 'a web page, not a model file' : res.statusText });
}

async function readFile(url: string): Promise<Uint8Array | null> {
  const res = await checkedFetch(url).catch(() => null);
  return res?.ok ? new Uint8Array(await res.arrayBuffer()) : null;
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
    readFile: (name) => readFile(base + name),
    fetch: checkedFetch,
    deviceDescription: hub.device === 'webgpu' ? adapterDescription : async () => `onnxruntime-web wasm`,
    onDownload: (_file, loaded, total) => onLoad?.(loaded, total),
  });
}
