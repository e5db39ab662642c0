import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelIntegrityError } from '../../src/codec/errors.js';
import { parseModelFile } from '../../src/model/exact/modelFile.js';
import { loadExactModel } from '../../src/model/loadedModel.js';
import { findModel, offeredModels, type ModelListing } from '../../src/model/modelSource.js';
import { compress } from '../../src/pipeline/compressor.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';

const dir = join(process.cwd(), 'public/models');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ModelListing[];
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the model registry (public/models/index.json)', () => {
  it('is what scripts/model-index.mjs writes from the files (sizes and hashes computed, not typed)', () => {
    execFileSync('node', ['scripts/model-index.mjs', '--check']);
  });

  it('has one default, listed first; a name finds the current model of that name, never a retired one', () => {
    expect(index.filter((m) => m.status === 'default').map((m) => m.name)).toEqual(['llmz-base']);
    expect(index[0]!.status).toBe('default');
    expect(findModel(index, 'llmz-base')!.status).toBe('default');
    expect(findModel(index, 'llmz-lite')!.status).toBe('available');
    expect(findModel(index, 'llmz-lite')!.version).toBe(Math.max(...index.filter((m) => m.name === 'llmz-lite').map((m) => m.version)));
    expect(offeredModels(index).every((m) => m.status !== 'retired')).toBe(true);
    for (const m of index) expect(findModel(index, m.sha256)).toBe(m);
  });

  it('keeps every model ever released: the five llmz-base and four llmz-lite versions', () => {
    const versions = (name: string) => index.filter((m) => m.name === name).map((m) => m.version).sort();
    expect(versions('llmz-base')).toEqual([1, 2, 3, 4, 5]);
    expect(versions('llmz-lite')).toEqual([1, 2, 3, 4]);
  });

  it('tells every model apart by the 4-byte fingerprint of compact archives', () => {
    const prefixes = index.map((m) => `${m.numerics}:${m.sha256.slice(0, 8)}`);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  for (const m of index) {
    it(`${m.name}@${m.version}: files present, size and hashes as listed, under 8 MB`, () => {
      const file = join(dir, m.path, 'model.bin');
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).size).toBe(m.bytes);
      expect(sha(file)).toBe(m.sha256);
      expect(sha(join(dir, m.path, 'tokenizer.json'))).toBe(m.tokenizerSha256);
      expect(m.bytes).toBeLessThan(8 * 1024 * 1024);
      expect(parseModelFile(new Uint8Array(readFileSync(file))).header.name).toBe(m.name);
      if (m.status !== 'retired') expect(existsSync(join(dir, m.path, 'README.md'))).toBe(true);
    });
  }

  for (const m of offeredModels(index)) {
    it(`${m.name}: compresses a dev message to under 40% and back`, async () => {
      const text = new Uint8Array(readFileSync(join(process.cwd(), '../shared/corpus/dev/messages/prose_1_2048.txt')));
      const model = await loadModelFromDisk(m.name);
      const archive = await compress(text, model);
      expect(archive.length).toBeLessThan(text.length * 0.4);
      expect(await decompress(archive, model)).toEqual(text);
    });
  }

  it('a model file with one flipped bit is refused before use (ModelIntegrityError), with what to do', async () => {
    const m = index[0]!;
    const bytes = new Uint8Array(readFileSync(join(dir, m.path, 'model.bin')));
    bytes[bytes.length >> 1]! ^= 0x10;
    const tokenizer = readFileSync(join(dir, m.path, 'tokenizer.json'), 'utf8');
    const label = `${m.name}@${m.version}`;
    const load = loadExactModel(bytes, tokenizer, { backend: 'ts', expect: { sha256: m.sha256, name: label, recovery: 'Reinstall.' } });
    await expect(load).rejects.toThrow(ModelIntegrityError);
    await expect(load).rejects.toThrow(new RegExp(`"${label}" is damaged.*Reinstall\\.`));
  });
});
