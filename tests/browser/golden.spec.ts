/**
 * The golden archives (tests/golden/, one folder per released model, made by
 * that release's code) open in the built app: the link, a multi-chunk
 * archive and, where the release had it, a steering archive. Retired models
 * come from the registry on demand.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './cspGuard.js';

const GOLDEN = 'tests/golden';
const releases = readdirSync(GOLDEN).filter((d) => d.includes('@')).sort();
// (a textarea's value has its line breaks normalized to LF; the byte-exact check is the Node golden test)
const text = (name: string) => readFileSync(join(GOLDEN, 'inputs', name), 'utf8').replace(/\r\n?/g, '\n');

for (const release of releases) {
  test(`golden archives of ${release} open in the page`, async ({ page }) => {
    const link = readFileSync(join(GOLDEN, release, 'message.link'), 'utf8').trim();
    await page.goto('/' + link.slice(link.indexOf('#')));
    await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(text('message.txt'), { timeout: 60_000 });
    for (const f of ['multichunk.llmz', 'steering.llmz']) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(GOLDEN, release, f));
      } catch {
        continue; // (no steering before llmz-base@3)
      }
      await page.getByRole('button', { name: 'Compress something' }).click();
      await page.locator('input[type=file]').setInputFiles({ name: f, mimeType: 'application/octet-stream', buffer: bytes });
      await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(text('multichunk.txt'), { timeout: 60_000 });
    }
  });
}

for (const [folder, id] of [['format2-bytes', 2], ['format2-bytes-v2', 3]] as const) {
  test(`the byte model's archives (format version 2, mixing id ${id}) open in the page, from a link and as files`, async ({ page }) => {
    const dir = join(GOLDEN, folder);
    const link = readFileSync(join(dir, 'bytes.link'), 'utf8').trim();
    await page.goto('/' + link.slice(link.indexOf('#')));
    await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(text('bytes.txt'), { timeout: 60_000 });
    await page.getByRole('button', { name: 'Compress something' }).click();
    await page.locator('input[type=file]').setInputFiles({ name: 'bytes-crlf.llmz', mimeType: 'application/octet-stream', buffer: readFileSync(join(dir, 'bytes-crlf.llmz')) });
    await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(text('bytes-crlf.txt'), { timeout: 60_000 });
  });
  }

  for (const backend of ['webgpu', 'wasm'] as const) {
    test(`format version 2 archives (mixing, CRLF) open in the page on ${backend}`, async ({ page }) => {
      test.setTimeout(240_000);
      const dir = join(GOLDEN, 'format2');
      const link = readFileSync(join(dir, 'message.link'), 'utf8').trim();
      await page.goto(`/?backend=${backend}` + link.slice(link.indexOf('#')));
      await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(text('mixing-message.txt'), { timeout: 60_000 });
      await expect(page.getByTestId('model-info')).toContainText(`${backend} engine`);
      // mixing.llmz: 33 chunks in rounds of up to 4, most of them mixed (tests/unit/golden.test.ts checks that);
      // crlf.llmz: 7 chunks, some mixed, in 4 rounds. (SwiftShader's WebGPU decodes ~20 tokens/s: it gets the short one.)
      const files = backend === 'wasm' ? [['mixing.llmz', 'mixing.txt'], ['crlf.llmz', 'crlf.txt']] : [['crlf.llmz', 'crlf.txt']];
      for (const [f, original] of files) {
        await page.getByRole('button', { name: 'Compress something' }).click();
        await page.locator('input[type=file]').setInputFiles({ name: f!, mimeType: 'application/octet-stream', buffer: readFileSync(join(dir, f!)) });
        await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(text(original!), { timeout: 150_000 });
      }
    });
  }
