/**
 * Typed errors on the production build (the app under test is `vite build`
 * + preview): each bad input shows exactly the message the decoder gives in
 * Node, which the page can only show when the error crossed the worker
 * boundary as its own class. A wrong-model error also names the model needed,
 * a field of the error.
 */
import { execFileSync } from 'node:child_process';
import { expect, test } from './cspGuard.js';

interface Failure {
  name: string;
  message: string;
  needed?: string;
}
type Cases = {
  truncatedLink: Failure & { fragment: string };
  damagedFile: Failure & { archive: string };
  wrongModel: Failure & { archive: string };
  wrongModelCompact: Failure & { archive: string };
};

let cases: Cases;
test.beforeAll(() => {
  cases = JSON.parse(execFileSync('npx', ['tsx', 'tests/helpers/errorArchives.ts'], { encoding: 'utf8', maxBuffer: 1 << 24 })) as Cases;
});

test('a truncated link says it was cut short, in its own words', async ({ page }) => {
  expect(cases.truncatedLink.name).toBe('TruncatedArchiveError');
  await page.goto('/' + cases.truncatedLink.fragment);
  await expect(page.getByTestId('error-message')).toHaveText(cases.truncatedLink.message, { timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Compress', exact: true })).toBeVisible();
});

for (const which of ['damagedFile', 'wrongModel', 'wrongModelCompact'] as const) {
  test(`a ${which} shows its own message`, async ({ page }) => {
    const c = cases[which];
    await page.goto('/');
    await page.locator('input[type=file]').setInputFiles({ name: 'bad.llmz', mimeType: 'application/octet-stream', buffer: Buffer.from(c.archive, 'base64') });
    await expect(page.getByTestId('error-message')).toHaveText(c.message, { timeout: 60_000 });
    if (which === 'damagedFile') {
      expect(c.name).toBe('CorruptArchiveError');
      await expect(page.getByTestId('needed-model')).toHaveCount(0);
    } else {
      expect(c.name).toBe('WrongModelError');
      // the error's `needed` field, carried across the worker boundary
      await expect(page.getByTestId('needed-model')).toHaveText(`Model needed: ${c.needed}`);
    }
  });
}
