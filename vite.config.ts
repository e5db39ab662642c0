import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { ortFiles } from './scripts/vite-ort-files.js';

// Cross-origin isolation (SharedArrayBuffer for wasm threads) in dev and preview alike.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [
    svelte(),
    ortFiles(),
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
        // the app, the wasm kernels and the default model, so links open offline
        globPatterns: ['**/*.{js,css,html,wasm,svg,png,webmanifest}', 'models/index.json', 'models/*/*.{bin,json}'],
        // onnxruntime (tens of MB) is only for hub models: cached when first used, not up front
        globIgnores: ['ort/**', 'assets/ort-wasm-*'],
        runtimeCaching: [{ urlPattern: /\/ort\/[^/]+$/, handler: 'CacheFirst', options: { cacheName: 'llmz-ort' } }],
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
    rollupOptions: { input: { main: 'index.html', selftest: 'selftest.html' } },
  },
});
