import { expect, test, type Page } from './cspGuard.js';
import { readFileSync } from 'node:fs';

const SAMPLE =
  'The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst of times; ' +
  'it was the age of wisdom, it was the age of foolishness. Ünïcödé ✓ and a second line.\n' +
  'The committee will meet again on Thursday to discuss the budget for the coming year.\n';

async function compressText(page: Page, text: string) {
  await page.goto('/');
  await page.getByLabel(/Paste or type text/).fill(text);
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Download .llmz' })).toBeVisible({ timeout: 90_000 });
}

test('paste → compress → download → drop the file → same text', async ({ page }) => {
  await compressText(page, SAMPLE);
  await expect(page.getByTestId('result-heading')).toContainText(/bits per byte/);
  await expect(page.getByTestId('model-info')).toContainText(/wasm engine · \d+ worker/);
  // left to the app, the footer says why not WebGPU: this Chromium's adapter is SwiftShader (software), never chosen unasked
  await expect(page.getByTestId('model-info')).toContainText('(WebGPU not used: Only a software WebGPU adapter is available)');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .llmz' }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.llmz$/);
  const archive = readFileSync((await download.path())!);
  expect(archive.length).toBeLessThan(Buffer.byteLength(SAMPLE));

  await page.getByRole('button', { name: 'Compress something else' }).click();
  await page.locator('input[type=file]').setInputFiles({ name: 'note.txt.llmz', mimeType: 'application/octet-stream', buffer: archive });
  await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(SAMPLE, { timeout: 90_000 });
});

test('copy link → the link is shown with its length, kept out of the page URL → opens in a new context', async ({ page, browser }) => {
  await compressText(page, SAMPLE);
  await page.getByRole('button', { name: 'Copy share link' }).click();
  await expect(page.getByRole('button', { name: 'Link copied' })).toBeVisible();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toContain('#z=');
  await expect(page.getByText(`Share link (${link.length} characters)`)).toBeVisible();
  // the text's archive never enters the page's URL (and so the browser's history)
  expect(page.url()).not.toContain('#z=');

  const other = await browser.newContext();
  const p2 = await other.newPage();
  await p2.goto(link);
  await expect(p2.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(SAMPLE, { timeout: 90_000 });
  await other.close();
});

test('a damaged link shows what to do, not a crash', async ({ page }) => {
  await page.goto('/#z=TFoBAAhsbG16LWJhc2$$$');
  await expect(page.getByRole('alert')).toContainText(/link is damaged/i);
  await page.goto('/');
  await page.goto('/#z=TFoBAAhsbG16LWJhc2Vl');
  await expect(page.getByRole('alert')).toContainText(/cut short|damaged|Get the complete/i);
  // the page still works afterwards
  await expect(page.getByRole('button', { name: 'Compress', exact: true })).toBeVisible();
});

test('a foreign file with the llmz signature is refused with a message', async ({ page }) => {
  await page.goto('/');
  await page.locator('input[type=file]').setInputFiles({ name: 'fake.llmz', mimeType: 'application/octet-stream', buffer: Buffer.from('LZ\x07 not really an archive') });
  await expect(page.getByRole('alert')).toContainText(/version|damaged/i);
});

test('cancel stops a long compression and the page keeps working', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel(/Paste or type text/).fill(SAMPLE.repeat(200));
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByRole('progressbar')).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('button', { name: 'Compress', exact: true })).toBeVisible({ timeout: 2_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.getByLabel(/Paste or type text/).fill(SAMPLE);
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Download .llmz' })).toBeVisible({ timeout: 90_000 });
});

test('after the first visit a link still opens offline', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await compressText(page, SAMPLE);
  await page.getByRole('button', { name: 'Copy share link' }).click();
  const link = await page.getByTestId('share-link').inputValue();
  await expect(page.getByTestId('offline-ready')).toBeVisible({ timeout: 60_000 });
  await context.setOffline(true);
  await page.goto('about:blank');
  await page.goto(link);
  await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(SAMPLE, { timeout: 90_000 });
  await context.close();
});

test('no request leaves the origin', async ({ page }) => {
  const foreign: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !u.protocol.startsWith('data') && !u.protocol.startsWith('blob')) foreign.push(r.url());
  });
  await compressText(page, SAMPLE);
  expect(foreign).toEqual([]);
});

test('a binary file round-trips through a download', async ({ page }) => {
  const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
  await page.goto('/');
  await page.locator('input[type=file]').setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .llmz' }).click({ timeout: 60_000 })]);
  expect(download.suggestedFilename()).toBe('blob.bin.llmz');
  const archive = readFileSync((await download.path())!);
  await page.getByRole('button', { name: 'Compress something else' }).click();
  await page.locator('input[type=file]').setInputFiles({ name: 'blob.bin.llmz', mimeType: 'application/octet-stream', buffer: archive });
  await expect(page.getByText(/binary data/)).toBeVisible({ timeout: 60_000 });
  const [back] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  expect(back.suggestedFilename()).toBe('blob.bin');
  expect(readFileSync((await back.path())!).equals(bytes)).toBe(true);
});

test('a 12 MB file goes through in slices and comes back whole', async ({ page }) => {
  // Random bytes are stored, so this is quick; it exercises the Blob path: the
  // worker reads the file in 1 MB slices and gathers output past the 8 MB fold.
  let x = 12345;
  const bytes = Buffer.alloc(12 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  await page.goto('/');
  await page.locator('input[type=file]').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await expect(page.getByText('12.00 MB')).toBeVisible();
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .llmz' }).click({ timeout: 120_000 })]);
  const archive = readFileSync((await download.path())!);
  expect(archive.length).toBeLessThan(bytes.length + 64);
  await page.getByRole('button', { name: 'Compress something else' }).click();
  await page.locator('input[type=file]').setInputFiles({ name: 'big.bin.llmz', mimeType: 'application/octet-stream', buffer: archive });
  await expect(page.getByText(/binary data/)).toBeVisible({ timeout: 120_000 });
  const [back] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  expect(readFileSync((await back.path())!).equals(bytes)).toBe(true);
});
