/**
 * Self-hosts onnxruntime-web's wasm runtime under ort/ (the hub-model engine
 * points env.backends.onnx.wasm.wasmPaths there), so nothing loads from a CDN.
 * Dev: served from node_modules; build: copied into the output folder.
 */
import { copyFileSync, createReadStream, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Plugin } from 'vite';

const ORT_DIST = resolve('node_modules/onnxruntime-web/dist');
// The build that transformers.js's onnxruntime-web/webgpu import runs, for WebGPU and wasm alike.
export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

export function ortFiles(): Plugin {
  let outDir = 'dist';
  return {
    name: 'llmz-ort-files',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = /\/ort\/([^/?]+)/.exec(req.url ?? '')?.[1];
        if (!name || !ORT_FILES.includes(name)) return next();
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        createReadStream(join(ORT_DIST, name)).pipe(res);
      });
    },
    writeBundle() {
      mkdirSync(join(outDir, 'ort'), { recursive: true });
      for (const f of ORT_FILES) if (existsSync(join(ORT_DIST, f))) copyFileSync(join(ORT_DIST, f), join(outDir, 'ort', f));
    },
  };
}
