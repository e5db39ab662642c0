/**
 * The measured choice between WebGPU and wasm (src/model/backendChoice.ts),
 * kept in this origin's Cache API so that the probe runs once per device and
 * model, not on every page load. Workers have the Cache API; localStorage
 * they do not. Nothing here is sent anywhere.
 */
import type { BackendName } from '../../model/capabilities.js';
import type { BackendCache } from '../../model/backendChoice.js';

const CACHE = 'llmz-backend-choice';
const entry = (key: string) => new URL(`/llmz-backend-choice/${encodeURIComponent(key)}`, self.location.origin).href;

export function browserBackendCache(): BackendCache {
  const open = () => (typeof caches === 'undefined' ? Promise.resolve(null) : caches.open(CACHE));
  return {
    async get(key) {
      const text = await (await (await open())?.match(entry(key)))?.text();
      return text === 'webgpu' || text === 'wasm' ? (text as BackendName) : null;
    },
    async set(key, backend) {
      await (await open())?.put(entry(key), new Response(backend));
    },
  };
}
