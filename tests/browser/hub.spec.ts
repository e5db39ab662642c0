/**
 * The hub-model engine in Chromium: the tiny GPT-2 fixture (float ONNX from
 * training/export_onnx.py) served by the test itself under /test-models/, run
 * by transformers.js + onnxruntime-web (self-hosted under /ort/) on wasm and on
 * WebGPU (SwiftShader). No request leaves localhost.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from './cspGuard.js';

const FIXTURE = 'tests/fixtures/tiny-gpt2';
const TEXT = 'A hub model compresses this; the same kind of device opens it.\n';

async function serveFixture(page: Page, foreign: string[]) {
  await page.context().route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== '127.0.0.1') {
      foreign.push(url.href);
      return route.abort();
    }
    const m = /\/test-models\/tiny-gpt2\/(.+)$/.exec(url.pathname);
    if (!m) return route.continue();
    const file = join(FIXTURE, m[1]!);
    if (!existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, body: readFileSync(file), headers: { 'Cross-Origin-Resource-Policy': 'same-origin' } });
  });
}

async function useHub(page: Page, device: 'wasm' | 'webgpu') {
  await page.getByText('Hub model (advanced)').click();
  await page.getByLabel('Hub model id or folder URL').fill('test-models/tiny-gpt2/');
  await page.getByLabel('Hub model weights', { exact: true }).selectOption('fp32');
  await page.getByLabel('Hub model runs on', { exact: true }).selectOption(device);
  await page.getByRole('button', { name: 'Use this model' }).click();
  await expect(page.getByTestId('model-info')).toContainText(`tiny-gpt2 · ${device} engine`, { timeout: 90_000 });
}

async function compressToFile(page: Page): Promise<Buffer> {
  await page.getByLabel(/Paste or type text/).fill(TEXT);
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('hub-note')).toBeVisible({ timeout: SLOW_BACKEND_LIMIT });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .llmz' }).click()]);
  return readFileSync((await download.path())!);
}

/**
 * Software WebGPU (SwiftShader) runs the fixture at 2-3 tokens/s on a busy
 * 2-core machine, and a round trip steps the text three times (compress,
 * verify, decompress): the text is one short line (~15 tokens), and the
 * limit leaves a wide margin over the ~20 s that takes.
 */
const SLOW_BACKEND_LIMIT = 240_000;

for (const device of ['wasm', 'webgpu'] as const) {
  test(`hub model round trip on ${device}: the same device opens it without a warning`, async ({ page }) => {
    test.setTimeout(SLOW_BACKEND_LIMIT);
    const foreign: string[] = [];
    await serveFixture(page, foreign);
    await page.goto('/');
    await useHub(page, device);
    const archive = await compressToFile(page);
    await page.getByRole('button', { name: 'Compress something else' }).click();
    await page.locator('input[type=file]').setInputFiles({ name: 'a.llmz', mimeType: 'application/octet-stream', buffer: archive });
    await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(TEXT, { timeout: SLOW_BACKEND_LIMIT });
    await expect(page.getByTestId('warning')).toHaveCount(0);
    expect(foreign).toEqual([]);
  });
}

test('a hub-model archive from another kind of device warns first, then decodes or says why not', async ({ page }) => {
  test.setTimeout(SLOW_BACKEND_LIMIT);
  // made in Node (onnxruntime-web wasm), opened on WebGPU
  const node = await import('node:child_process');
  const archive = node.execFileSync('npx', ['tsx', 'src/cli/main.ts', 'compress', '-', '--model', `hf:${FIXTURE}`, '--threads', '1'], { input: TEXT });
  const foreign: string[] = [];
  await serveFixture(page, foreign);
  await page.goto('/');
  await useHub(page, 'webgpu');
  await page.locator('input[type=file]').setInputFiles({ name: 'b.llmz', mimeType: 'application/octet-stream', buffer: archive });
  await expect(page.getByTestId('warning')).toContainText('backend wasm here webgpu', { timeout: SLOW_BACKEND_LIMIT });
  // then either the same numbers (decodes) or a clear device error, never wrong text
  const outcome = page.getByRole('textbox', { name: 'Decompressed text' }).or(page.getByRole('alert'));
  await expect(outcome).toBeVisible({ timeout: SLOW_BACKEND_LIMIT });
  if (await page.getByRole('alert').count()) await expect(page.getByRole('alert')).toContainText('same kind of device');
  else await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(TEXT);
  expect(foreign).toEqual([]);
});

test('a hub-model archive made by the CLI in Node: the page asks for the model, then opens it on wasm', async ({ page }) => {
  const node = await import('node:child_process');
  const archive = node.execFileSync('npx', ['tsx', 'src/cli/main.ts', 'compress', '-', '--model', `hf:${FIXTURE}`, '--threads', '1'], { input: TEXT });
  await page.goto('/');
  await expect(page.getByTestId('model-info')).toContainText('engine', { timeout: 60_000 });
  await page.locator('input[type=file]').setInputFiles({ name: 'c.llmz', mimeType: 'application/octet-stream', buffer: archive });
  await expect(page.getByRole('alert')).toContainText('hub model "tiny-gpt2"', { timeout: 30_000 });
  const foreign: string[] = [];
  await serveFixture(page, foreign);
  await useHub(page, 'wasm');
  await page.locator('input[type=file]').setInputFiles({ name: 'c.llmz', mimeType: 'application/octet-stream', buffer: archive });
  // Node runs the same onnxruntime-web wasm: same numbers, no warning
  await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(TEXT, { timeout: 90_000 });
  await expect(page.getByTestId('warning')).toHaveCount(0);
  expect(foreign).toEqual([]);
});
