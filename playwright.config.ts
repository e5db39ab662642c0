import { defineConfig } from '@playwright/test';

// Debian's Chromium, never a downloaded browser. --enable-unsafe-webgpu gives
// headless Chromium a real (SwiftShader) WebGPU adapter for the WebGPU path.
export default defineConfig({
  testDir: 'tests/browser',
  timeout: 120_000,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: 'http://127.0.0.1:4791/',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--enable-unsafe-webgpu',
      ],
    },
  },
  webServer: {
    command: 'npx vite preview --host 127.0.0.1 --port 4791 --strictPort',
    url: 'http://127.0.0.1:4791/',
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
