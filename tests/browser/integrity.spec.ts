/**
 * Durable, honest models in the built app: a damaged cached model is refused
 * with ModelIntegrityError and a way to recover; an archive claiming a lot of
 * work shows what it claims and can be cancelled before the work is done;
 * the page carries its Content-Security-Policy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { defaultModel } from '../helpers/registry.js';
import { expect, test } from './cspGuard.js';

test('a damaged cached model gives ModelIntegrityError, and "Download the model again" recovers', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('offline-ready')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('model-info')).toContainText('engine', { timeout: 60_000 });
  // flip one bit of the cached model.bin, where the service worker serves it from
  const flipped = await page.evaluate(async () => {
    let n = 0;
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) {
        if (!/\/models\/llmz-base\/model\.bin(\?|$)/.test(req.url)) continue;
        const res = (await cache.match(req))!;
        const bytes = new Uint8Array(await res.arrayBuffer());
        bytes[bytes.length >> 1]! ^= 0x04;
        await cache.put(req, new Response(bytes, { headers: res.headers }));
        n++;
      }
    }
    return n;
  });
  expect(flipped).toBeGreaterThan(0);
  await page.reload();
  await expect(page.getByTestId('error-message')).toContainText(`The file of model "${defaultModel.name}@${defaultModel.version}" is damaged`, { timeout: 60_000 });
  await expect(page.getByTestId('error-message')).toContainText('Download the model again');
  await page.getByRole('button', { name: 'Download the model again' }).click();
  await expect(page.getByTestId('model-info')).toContainText('llmz-base · wasm engine', { timeout: 60_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  // and it works: a round trip through a file
  await page.getByLabel(/Paste or type text/).fill('After the repair the model is whole again.\n');
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Download .llmz' })).toBeVisible({ timeout: 60_000 });
});

test('a link claiming minutes of work shows its claimed size and a cancel before the work is done', async ({ page }) => {
  const link = execFileSync('npx', ['tsx', 'tests/helpers/claimLink.ts'], { encoding: 'utf8' });
  await page.goto('/' + link.slice(link.indexOf('#')));
  await expect(page.getByRole('status').filter({ hasText: /2\.0 KB/ })).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('button', { name: 'Compress', exact: true })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('the built page carries its Content-Security-Policy', async ({ page }) => {
  await page.goto('/');
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
});

test('a file dropped while an archive decodes replaces that job at once, without flashing the edit view', async ({ page }) => {
  const link = execFileSync('npx', ['tsx', 'tests/helpers/claimLink.ts'], { encoding: 'utf8' });
  await page.goto('/' + link.slice(link.indexOf('#')));
  await expect(page.getByRole('status').filter({ hasText: /2\.0 KB/ })).toBeVisible({ timeout: 30_000 });
  // watch for the edit view (its text box) appearing at any moment from now on
  await page.evaluate(() => {
    const w = window as unknown as { __editSeen: boolean };
    w.__editSeen = false;
    new MutationObserver(() => (w.__editSeen ||= !!document.querySelector('#input-text'))).observe(document.body, { childList: true, subtree: true });
  });
  const archive = [...readFileSync('tests/golden/llmz-base@4/message.llmz')];
  const drop = await page.evaluateHandle((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'message.llmz'));
    return dt;
  }, archive);
  await page.dispatchEvent('main', 'drop', { dataTransfer: drop });
  await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(readFileSync('tests/golden/inputs/message.txt', 'utf8'), { timeout: 60_000 });
  expect(await page.evaluate(() => (window as unknown as { __editSeen: boolean }).__editSeen)).toBe(false);
  await expect(page.getByRole('alert')).toHaveCount(0);
});
