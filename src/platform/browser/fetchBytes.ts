/** Downloads from our own origin, with progress. */
import { ModelLoadError } from '../../codec/errors.js';
import type { LoadListener } from '../../model/modelSource.js';

export async function fetchBytes(url: string, onLoad?: LoadListener): Promise<Uint8Array> {
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
    onLoad?.(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}
