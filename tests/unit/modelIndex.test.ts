import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseModelFile } from '../../src/model/exact/modelFile.js';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';
import { compress } from '../../src/pipeline/compressor.js';
import { decompress } from '../../src/pipeline/decompressor.js';

const dir = join(process.cwd(), 'public/models');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { name: string; bytes: number; description: string; sha256: string }[];

describe('shipped models (public/models/index.json)', () => {
  it('lists the default model first', () => {
    expect(index[0]!.name).toBe('llmz-base');
  });
  for (const m of index) {
    it(`${m.name}: files present, size and name as listed, under 8 MB, with a model card`, () => {
      const file = join(dir, m.name, 'model.bin');
      expect(existsSync(file)).toBe(true);
      expect(existsSync(join(dir, m.name, 'tokenizer.json'))).toBe(true);
      expect(existsSync(join(dir, m.name, 'README.md'))).toBe(true);
      expect(statSync(file).size).toBe(m.bytes);
      expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(m.sha256);
      expect(m.bytes).toBeLessThan(8 * 1024 * 1024);
      expect(parseModelFile(new Uint8Array(readFileSync(file))).header.name).toBe(m.name);
    });
    it(`${m.name}: compresses a dev message to under 40% and back`, async () => {
      const text = new Uint8Array(readFileSync(join(process.cwd(), '../shared/corpus/dev/messages/prose_1_2048.txt')));
      const model = await loadModelFromDisk(m.name);
      const archive = await compress(text, model);
      expect(archive.length).toBeLessThan(text.length * 0.4);
      expect(await decompress(archive, model)).toEqual(text);
    });
  }
});
