import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { ortFiles } from './scripts/vite-ort-files.js';

// Cross-origin isolation (SharedArrayBuffer for wasm threads) in dev and preview alike.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The default model's folder (public/models/index.json): the only model precached for offline use. */
const registry = JSON.parse(readFileSync('public/models/index.json', 'utf8')) as { status: string; path: string }[];
const defaultModelPath = registry.find((m) => m.status === 'default')!.path;

/**
 * The built app's Content-Security-Policy (a meta tag: the preview server and
 * static hosts alike). Scripts, workers and wasm only from our origin; network
 * only to our origin and, for a hub model the user opted in to, the hub.
 * Not in the dev server, whose module reloading needs more.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'llmz-csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  plugins: [
    svelte(),
    ortFiles(),
    contentSecurityPolicy(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false, // src/ui/offline.ts registers it and reports "ready to work offline"
      includeAssets: ['icons/*.svg', 'icons/*.png'],
      manifest: {
        name: 'llmz — text compression with a language model',
        short_name: 'llmz',
        description: 'Compress text with a language model, in your browser, offline too.',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#f7f7f5',
        theme_color: '#2f5bd3',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
        file_handlers: [{ action: './', accept: { 'application/x-llmz': ['.llmz'] } }],
      },
      workbox: {
        // the app, the wasm kernels, the model registry and the default model, so links open offline;
        // other models (earlier releases, llmz-lite) are cached when first used (runtimeCaching below)
        globPatterns: ['**/*.{js,css,html,wasm,svg,png,webmanifest}', 'models/index.json', `models/${defaultModelPath}*.{bin,json}`],
        globIgnores: ['ort/**', 'assets/ort-wasm-*', 'models/**/README.md'],
        // onnxruntime (tens of MB) is only for hub models: cached when first used, not up front
        runtimeCaching: [
          { urlPattern: /\/ort\/[^/]+$/, handler: 'CacheFirst', options: { cacheName: 'llmz-ort' } },
          // retired models never change: kept once fetched; the current ones may be replaced by a release, so the
          // network comes first and the cache serves offline (every load checks the SHA-256 the registry gives)
          { urlPattern: /\/models\/retired\/.+\.(bin|json)$/, handler: 'CacheFirst', options: { cacheName: 'llmz-retired-models' } },
          { urlPattern: /\/models\/.+\.(bin|json)$/, handler: 'NetworkFirst', options: { cacheName: 'llmz-models' } },
        ],
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        navigateFallback: 'index.html',
      },
    }),
  ],
  base: './',
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    rollupOptions: { input: { main: 'index.html', selftest: 'selftest.html', bitsview: 'bitsview.html' } },
  },
});
