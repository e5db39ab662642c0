/** Loading the default model in a browser (worker): fetch with progress, from our own origin. */
import { ModelLoadError } from '../codec/errors.js';
import { loadExactModel, type LoadedModel, type LoadOptions } from '../model/loadedModel.js';
import type { ProgressListener } from './progress.js';

export async function fetchBytes(url: string, onProgress?: ProgressListener): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch {
    throw new ModelLoadError(`Could not download ${url}. Check your connection, or open llmz once online so it can work offline.`);
  }
  if (!res.ok || !res.body) throw new ModelLoadError(`Could not download ${url} (HTTP ${res.status}).`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    onProgress?.({ stage: 'loading-model', loaded, total });
  }
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

export async function loadModelFromUrl(baseUrl: string, onProgress?: ProgressListener, backend: LoadOptions['backend'] = 'auto'): Promise<LoadedModel> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const [model, tokenizer] = await Promise.all([fetchBytes(base + 'model.bin', onProgress), fetchBytes(base + 'tokenizer.json')]);
  return loadExactModel(model, new TextDecoder().decode(tokenizer), {
    backend,
    wasmBytes: () => fetchBytes(new URL('../model/exact/wasm/kernels.wasm', import.meta.url).href) as Promise<BufferSource>,
  });
}
