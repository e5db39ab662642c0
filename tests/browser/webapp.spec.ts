/**
 * The web app as people use it (issue #17), on the production build: live
 * progress, a layout from 320 px up, honest comparisons, copying that says
 * when it failed, wrong kinds of input, a hub picker that cannot hang, focus
 * and announcements, and an axe-core check.
 */
import AxeBuilder from '@axe-core/playwright';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes } from '../../src/ui/format.js';
import { defaultModel } from '../helpers/registry.js';
import { expect, test, type Page } from './cspGuard.js';

const SAMPLE = 'Meeting moved to Thursday at 5 pm in room 204. Please bring the quarterly figures and the draft agenda.\n';

async function compressText(page: Page, text: string) {
  await page.getByLabel(/Paste or type text/).fill(text);
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Download .llmz' })).toBeVisible({ timeout: 90_000 });
}

/** Records every progress value and time-left estimate the bar shows, from now on. */
async function recordProgress(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { __progress: { fraction: string; eta: string }[] };
    w.__progress = [];
    const seen = () => {
      const bar = document.querySelector('[role=progressbar]');
      if (bar) w.__progress.push({ fraction: bar.getAttribute('data-fraction') ?? '', eta: bar.getAttribute('data-eta') ?? '' });
    };
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-fraction', 'data-eta'] });
  });
}

async function progressSeen(page: Page) {
  return page.evaluate(() => (window as unknown as { __progress: { fraction: string; eta: string }[] }).__progress);
}

function checkProgress(seen: { fraction: string; eta: string }[]) {
  const fractions = new Set(seen.map((s) => s.fraction).filter((f) => f && Number(f) > 0 && Number(f) < 1));
  expect(fractions.size, 'distinct progress values').toBeGreaterThanOrEqual(20);
  // once shown, the time left never grows by more than half
  const etas = seen.map((s) => Number(s.eta)).filter((e, i) => seen[i]!.eta !== '' && Number.isFinite(e));
  expect(etas.length).toBeGreaterThan(5);
  for (let i = 1; i < etas.length; i++) expect(etas[i]!, `ETA ${etas[i]} after ${etas[i - 1]}`).toBeLessThanOrEqual(1.5 * etas[i - 1]! + 1);
  const growth = Math.max(0, ...etas.slice(1).map((e, i) => e / Math.max(1, etas[i]!)));
  console.log(`progress: ${fractions.size} distinct values, ${etas.length} time-left estimates, largest step-to-step ratio ${growth.toFixed(2)}`);
}

/**
 * 150 KB through the page both ways: at ~7 KB/s on 2 busy cores that is
 * about 25 s each way; the limit leaves a wide margin.
 */
test('a 150 KB file shows live progress both ways, with a steady time left', async ({ page }) => {
  test.setTimeout(600_000);
  const text = readFileSync(join(process.cwd(), '../shared/corpus/dev/prose.txt')).subarray(0, 150 * 1024);
  await page.goto('/');
  await expect(page.getByTestId('model-info')).toContainText('engine', { timeout: 60_000 });
  await page.locator('input[type=file]').setInputFiles({ name: 'book.txt', mimeType: 'text/plain', buffer: text });
  await recordProgress(page);
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .llmz' }).click({ timeout: 300_000 })]);
  checkProgress(await progressSeen(page));
  expect(download.suggestedFilename()).toBe('book.txt.llmz');
  const archive = readFileSync((await download.path())!);
  await page.getByRole('button', { name: 'Compress something else' }).click();
  await recordProgress(page);
  await page.locator('input[type=file]').setInputFiles({ name: 'book.txt.llmz', mimeType: 'application/octet-stream', buffer: archive });
  await expect(page.getByTestId('result-heading')).toHaveText('Decompressed', { timeout: 300_000 });
  checkProgress(await progressSeen(page));
});

for (const width of [320, 390, 768, 1280]) {
  test(`nothing overflows sideways at ${width} px (input, error, result, decoded)`, async ({ page }) => {
    await page.setViewportSize({ width, height: 800 });
    const noOverflow = async (what: string) => {
      const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      expect(scroll, `${what} at ${width} px`).toBeLessThanOrEqual(client);
    };
    await page.goto('/');
    await expect(page.getByTestId('model-info')).toContainText('engine', { timeout: 60_000 });
    await noOverflow('input view');
    await page.screenshot({ path: `test-results/screens/input-${width}.png`, fullPage: true });
    await page.locator('input[type=file]').setInputFiles({ name: 'bad.llmz', mimeType: 'application/octet-stream', buffer: Buffer.from('random bytes, not an archive at all') });
    await expect(page.getByRole('alert')).toBeVisible();
    await noOverflow('error');
    await compressText(page, SAMPLE);
    await page.getByRole('button', { name: /Copy share link|Link copied/ }).click();
    await noOverflow('result');
    await page.screenshot({ path: `test-results/screens/result-${width}.png`, fullPage: true });
    await page.getByRole('button', { name: 'Compress something else' }).click();
    const link = readFileSync('tests/golden/llmz-base@4/message.link', 'utf8').trim();
    await page.goto('/' + link.slice(link.indexOf('#')));
    await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toBeVisible({ timeout: 60_000 });
    await noOverflow('decoded');
  });
}

test('npm start serves the production build (the one with the service worker, so the quick start works offline)', async () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.start).toMatch(/^vite build .*&& vite preview /);
  // and this suite runs against that same preview server (playwright.config.ts), whose offline test is in app.spec.ts
});

test('the comparison is honest: brotli beside gzip, llmz highlighted only when it wins, a note when a file was stored', async ({ page }) => {
  await page.goto('/');
  await compressText(page, SAMPLE);
  await expect(page.getByTestId('row-brotli -q 11')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('row-llmz')).toHaveClass(/ours/);
  await expect(page.getByTestId('row-llmz')).toContainText('% smaller');
  await expect(page.getByTestId('stored-note')).toHaveCount(0);
  // periodic binary data: gzip shrinks it, llmz stores it
  await page.getByRole('button', { name: 'Compress something else' }).click();
  const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
  await page.locator('input[type=file]').setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('stored-note')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('row-gzip')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('row-llmz')).not.toHaveClass(/ours/);
  await expect(page.getByTestId('row-llmz')).toContainText('% bigger');
});

test('copying says when the browser refused, and Copy text confirms', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await compressText(page, SAMPLE);
  await page.evaluate(() => (navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'))));
  await page.getByRole('button', { name: 'Copy share link' }).click();
  await expect(page.getByTestId('copy-note')).toContainText('Could not copy');
  await expect(page.getByRole('button', { name: 'Link copied' })).toHaveCount(0);
  await expect(page.getByTestId('share-link')).toHaveValue(/#z=/); // shown, to copy by hand
  const link = await page.getByTestId('share-link').inputValue();
  await page.goto('about:blank'); // a fresh page, with the browser's own clipboard again
  await page.goto('/' + link.slice(link.indexOf('#')));
  await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toHaveValue(SAMPLE, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Copy text' }).click();
  await expect(page.getByTestId('copy-note')).toHaveText('Text copied.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(SAMPLE);
});

test('wrong kinds of input: random bytes named .llmz, and a compact link cut short', async ({ page }) => {
  await page.goto('/');
  await page.locator('input[type=file]').setInputFiles({ name: 'photo.llmz', mimeType: 'application/octet-stream', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]) });
  await expect(page.getByRole('alert')).toContainText('"photo.llmz" is not an llmz archive');
  await expect(page.getByText(/File photo\.llmz .* is ready/)).toHaveCount(0);
  const link = readFileSync('tests/golden/llmz-base@4/message.link', 'utf8').trim();
  // cut where base64url still decodes (whole 4-character groups): what a chat client that truncates leaves
  const start = link.indexOf('#z=') + 3;
  const cut = link.slice(0, start + 4 * Math.floor((link.length - start - 6) / 4));
  await page.goto('/' + cut.slice(cut.indexOf('#')));
  await expect(page.getByRole('alert')).toContainText('damaged or cut short', { timeout: 60_000 });
});

test('a link opened downloads as shared-text.txt; pasted text as its first words', async ({ page }) => {
  await page.goto('/');
  await compressText(page, SAMPLE);
  const [d1] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .llmz' }).click()]);
  expect(d1.suggestedFilename()).toBe('meeting-moved-to-thursday.txt.llmz');
  const link = readFileSync('tests/golden/llmz-base@4/message.link', 'utf8').trim();
  await page.goto('/' + link.slice(link.indexOf('#')));
  await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toBeVisible({ timeout: 60_000 });
  const [d2] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download', exact: true }).click()]);
  expect(d2.suggestedFilename()).toBe('shared-text.txt');
});

test('a hub folder that answers with web pages, or is missing, fails visibly and returns to the built-in model', async ({ page }) => {
  await page.context().route('**/test-models/**', (route) =>
    route.request().url().includes('/test-models/pages/')
      ? route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>llmz</title>' })
      : route.fulfill({ status: 404, body: 'not found' }),
  );
  await page.goto('/');
  await expect(page.getByTestId('model-info')).toContainText('engine', { timeout: 60_000 });
  for (const folder of ['test-models/pages/', 'test-models/missing/']) {
    await page.getByText('Hub model (advanced)').click();
    await page.getByLabel('Hub model id or folder URL').fill(folder);
    await page.getByRole('button', { name: 'Use this model' }).click();
    await expect(page.getByRole('alert')).toContainText('no config.json', { timeout: 60_000 });
    await expect(page.getByTestId('model-info')).toContainText('llmz-base · wasm engine', { timeout: 60_000 });
    await page.reload();
  }
  // and compressing still works with the built-in model
  await compressText(page, SAMPLE);
});

test('a hub folder whose JSON files are real but whose weights are a web page fails visibly and returns to the built-in model', async ({ page }) => {
  await page.context().route('**/test-models/half/**', (route) => {
    const m = /\/test-models\/half\/(.+)$/.exec(new URL(route.request().url()).pathname)!;
    const file = join('tests/fixtures/tiny-gpt2', m[1]!);
    if (m[1]!.endsWith('.json')) return existsSync(file) ? route.fulfill({ status: 200, contentType: 'application/json', body: readFileSync(file) }) : route.fulfill({ status: 404, body: '' });
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>llmz</title>' });
  });
  await page.goto('/');
  await expect(page.getByTestId('model-info')).toContainText('engine', { timeout: 60_000 });
  await page.getByText('Hub model (advanced)').click();
  await page.getByLabel('Hub model id or folder URL').fill('test-models/half/');
  await page.getByLabel('Hub model weights', { exact: true }).selectOption('fp32');
  await page.getByLabel('Hub model runs on', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: 'Use this model' }).click();
  await expect(page.getByRole('alert')).toContainText('Could not load the model', { timeout: 90_000 });
  await expect(page.getByTestId('model-info')).toContainText('llmz-base · wasm engine', { timeout: 60_000 });
});

test('after Compress the focus is on the result and it is announced; no layout shift while the page loads', async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { __shift: number };
    w.__shift = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) if (!e.hadRecentInput) w.__shift += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  await page.goto('/');
  await expect(page.getByTestId('model-info')).toContainText('engine', { timeout: 60_000 });
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => (window as unknown as { __shift: number }).__shift)).toBeLessThan(0.01);
  await compressText(page, SAMPLE);
  await expect(page.getByTestId('result-heading')).toBeFocused();
  await expect(page.getByTestId('announcement')).toContainText('Compressed:');
});

test('the first load says how big the model is while it downloads', async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { __footer: string[] };
    w.__footer = [];
    new MutationObserver(() => {
      const t = document.querySelector('[data-testid=model-info]')?.textContent;
      if (t) w.__footer.push(t);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto('/');
  await expect(page.getByTestId('model-info')).toContainText('engine', { timeout: 60_000 });
  const seen = await page.evaluate(() => (window as unknown as { __footer: string[] }).__footer);
  const total = `of ${formatBytes(defaultModel.bytes)}`; // the registry's size of the default model.bin, as the footer writes it
  expect(seen.some((t) => t.startsWith('downloading the model… ') && t.includes(total))).toBe(true);
});

test('axe-core finds no serious or critical accessibility problems (input, result, decoded)', async ({ page }) => {
  const check = async () => {
    const r = await new AxeBuilder({ page }).analyze();
    expect(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  };
  await page.goto('/');
  await expect(page.getByTestId('model-info')).toContainText('engine', { timeout: 60_000 });
  await check();
  await compressText(page, SAMPLE);
  await check();
  const link = readFileSync('tests/golden/llmz-base@4/message.link', 'utf8').trim();
  await page.goto('/' + link.slice(link.indexOf('#')));
  await expect(page.getByRole('textbox', { name: 'Decompressed text' })).toBeVisible({ timeout: 60_000 });
  await check();
});
