/**
 * Which file the Node pool's threads start from (src/platform/node/workerEntry.ts):
 * the bundle only while it is newer than every source it was made from.
 */
import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkWorkerEntry } from '../../src/platform/node/workerEntry.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const later = (s: number) => new Date(T0.getTime() + s * 1000);

describe('the chunk worker entry', () => {
  let root = '';
  const made: string[] = [];
  afterEach(() => made.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

  /** A package with two sources at T0, the boot file, and a bundle made at `madeAt` listing `inputs`. */
  function layout(madeAt: Date | null, inputs: unknown = ['src/a.ts', 'src/b.ts']) {
    root = mkdtempSync(join(tmpdir(), 'llmz-entry-'));
    made.push(root);
    const dir = join(root, 'src/platform/node');
    mkdirSync(dir, { recursive: true });
    for (const f of ['src/a.ts', 'src/b.ts']) {
      writeFileSync(join(root, f), 'export {};\n');
      utimesSync(join(root, f), T0, T0);
    }
    writeFileSync(join(dir, 'chunk.worker.boot.mjs'), '');
    if (madeAt) {
      writeFileSync(join(dir, 'chunk.worker.bundle.mjs'), '');
      utimesSync(join(dir, 'chunk.worker.bundle.mjs'), madeAt, madeAt);
      writeFileSync(join(dir, 'chunk.worker.bundle.json'), JSON.stringify({ inputs }));
    }
    const at = root;
    return { name: () => chunkWorkerEntry(pathToFileURL(dir + '/'), at).pathname.split('/').pop() };
  }

  it('takes the bundle made after its sources', () => {
    expect(layout(later(10)).name()).toBe('chunk.worker.bundle.mjs');
  });

  it('boots through tsx when a source was edited after the bundle', () => {
    const l = layout(later(10));
    utimesSync(join(root, 'src/b.ts'), later(20), later(20));
    expect(l.name()).toBe('chunk.worker.boot.mjs');
  });

  it('boots through tsx with no bundle, a source gone, or a list it cannot read', () => {
    expect(layout(null).name()).toBe('chunk.worker.boot.mjs');
    const gone = layout(later(10));
    rmSync(join(root, 'src/a.ts'));
    expect(gone.name()).toBe('chunk.worker.boot.mjs');
    expect(layout(later(10), 'src/a.ts').name()).toBe('chunk.worker.boot.mjs');
    expect(layout(later(10), []).name()).toBe('chunk.worker.boot.mjs');
  });
});
