import { expect, test } from './cspGuard.js';

interface SelfTest {
  done: boolean;
  webgpu: boolean;
  error?: string;
  results: { model: string; backend: string; mode: string; equal: boolean }[];
}

test('every backend (ts, wasm, WebGPU on SwiftShader) gives identical logits', async ({ page }) => {
  await page.goto('/selftest.html');
  await page.waitForFunction(() => (window as unknown as { __selftest?: { done: boolean } }).__selftest?.done, null, { timeout: 110_000 });
  const r = (await page.evaluate(() => (window as unknown as { __selftest: unknown }).__selftest)) as SelfTest;
  expect(r.error).toBeUndefined();
  expect(r.webgpu).toBe(true); // --enable-unsafe-webgpu gives headless Chromium an adapter
  const backends = new Set(r.results.map((x) => x.backend));
  expect([...backends].sort()).toEqual(['ts', 'wasm', 'webgpu', 'webgpu-plain']);
  expect(r.results.filter((x) => !x.equal)).toEqual([]);
  expect(r.results.some((x) => x.model === 'llmz-base' && x.backend === 'webgpu')).toBe(true);
});

test('an archive made on WebGPU decodes on wasm and the reverse, byte-identical', async ({ browser }) => {
  const text = 'Determinism is the heart of it: the same bits on every device, browser and backend.\n'.repeat(3);
  const archives: Record<string, Buffer> = {};
  for (const backend of ['webgpu', 'wasm']) {
    const page = await browser.newPage();
    await page.goto(`/?backend=${backend}`);
    await expect(page.getByTestId('model-info')).toContainText(`${backend} engine`, { timeout: 60_000 });
    await expect(page.getByTestId('model-info'), 'the footer says why').toContainText('(as ?backend= asks)');
    await page.getByLabel(/Paste or type text/).fill(text);
    await page.getByRole('button', { name: 'Compress', exact: true }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download .llmz' }).click({ timeout: 90_000 }),
    ]);
    const { readFileSync } = await import('node:fs');
    archives[backend] = readFileSync((await download.path())!);
    await page.close();
  }
  expect(archives.webgpu!.equals(archives.wasm!)).toBe(true);
  for (const [made, opener] of [['webgpu', 'wasm'], ['wasm', 'webgpu']] as const) {
    const page = await browser.newPage();
    await page.goto(`/?backend=${opener}`);
    await page.locator('input[type=file]').setInputFiles({ name: `from-${made}.llmz`, mimeType: 'application/octet-stream', buffer: archives[made]! });
    await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(text, { timeout: 90_000 });
    await expect(page.getByTestId('model-info')).toContainText(`${opener} engine`);
    await page.close();
  }
});

test('an archive carrying its own learned prompt, made in Node, decodes in Chromium on WebGPU and on wasm', async ({ browser }) => {
  test.setTimeout(180_000);
  // a wiki table: rows alike enough that a prompt learned on two chunks wins on others (chunks mix prompts: none, domain, the archive's)
  const rows = [
    ['1948', 'Shannon–Fano coding', 'Claude Shannon'],
    ['1952', 'Huffman coding', 'David A. Huffman'],
    ['1977', 'LZ77', 'Abraham Lempel'],
    ['1978', 'LZ78', 'Jacob Ziv'],
    ['1979', 'Arithmetic coding', 'Jorma Rissanen'],
    ['1984', 'LZW', 'Terry Welch'],
    ['1996', 'bzip2', 'Julian Seward'],
    ['2001', 'PPMd', 'Dmitry Shkarin'],
  ];
  const text = '{| class="wikitable"\n! Year !! Method !! Inventor\n' + rows.map(([y, m, p]) => `|-\n| ${y} || [[${m}]] || ${p}\n`).join('') + '|}';
  const node = await import('node:child_process');
  // the helper fails unless some chunk was coded after the archive's prompt
  const archive = node.execFileSync('npx', ['tsx', 'tests/helpers/promptArchive.ts'], { input: text });
  for (const backend of ['webgpu', 'wasm']) {
    const page = await browser.newPage();
    await page.goto(`/?backend=${backend}`);
    await expect(page.getByTestId('model-info')).toContainText(`${backend} engine`, { timeout: 60_000 });
    await page.locator('input[type=file]').setInputFiles({ name: 'prompted.llmz', mimeType: 'application/octet-stream', buffer: archive });
    await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(text, { timeout: 90_000 });
    await page.close();
  }
});
