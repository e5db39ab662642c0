/**
 * The byte model (mixing id 2, docs/mixing.md) on files, alone: ideal code
 * length (−log2 of each bit's probability, what the range coder pays within
 * a few bytes) against xz -9e, and its speed in this process. For trying
 * variants: `P='{"rate":24}' npm run bench:bytes -- FILES…` runs the model
 * with those parameters changed (archives use BYTE_MODEL_V2, frozen), `V=1`
 * the first version (mixing id 2).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ByteModel, BYTE_MODEL_V1, BYTE_MODEL_V2, type ByteModelParams } from '../src/mixing/byteModel.js';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: npm run bench:bytes -- FILES…   (P=\'{"rate":24}\' to change parameters, V=1 for version 1)');
  process.exit(2);
}
const params: ByteModelParams = { ...(process.env.V === '1' ? BYTE_MODEL_V1 : BYTE_MODEL_V2), ...(process.env.P ? (JSON.parse(process.env.P) as Partial<ByteModelParams>) : {}) };
console.log(['file', 'bytes', 'byte model', 'xz -9e', 'ratio', 'KB/s'].join('\t'));
for (const file of files) {
  const data = readFileSync(file);
  const model = new ByteModel(params);
  let bits = 0;
  const t0 = performance.now();
  for (const c of data) {
    for (let j = 7; j >= 0; j--) {
      const p = model.predict() / 65536;
      const bit = (c >> j) & 1;
      bits -= Math.log2(bit ? p : 1 - p);
      model.update(bit);
    }
  }
  const ms = performance.now() - t0;
  const xz = execFileSync('xz', ['-9e', '-c'], { input: data, maxBuffer: 1 << 30 }).length;
  console.log([basename(file), data.length, Math.round(bits / 8), xz, (bits / 8 / xz).toFixed(3), (data.length / ms).toFixed(0)].join('\t'));
}
