// Writes public/models/index.json, the model registry, from the model folders:
// sizes and SHA-256 are computed, never typed. Every model ever released stays
// listed (docs/format.md, "Old links"): `status` is default, available or retired.
//   node scripts/model-index.mjs [--check]   (--check: exit 1 if index.json is stale)
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const MODELS = [
  // name, version, status, folder (under public/models/), released in, description
  ['llmz-base', 5, 'default', 'llmz-base/', 'c8e8e12', 'int8, multi-query, 12,288 tokens in many languages (825 M tokens), the default'],
  ['llmz-base', 4, 'retired', 'retired/llmz-base@4/', '0b8c2ea', 'int8, default from 0b8c2ea (29.9 M tokens, English)'],
  ['llmz-lite', 4, 'available', 'llmz-lite/', 'ac775bf', 'int4 weights of llmz-base 5 (12,288 tokens in many languages), half the download'],
  ['llmz-lite', 3, 'retired', 'retired/llmz-lite@3/', '0b8c2ea', 'int4 weights of llmz-base 4 (8,192 tokens, English), from 0b8c2ea'],
  ['llmz-base', 3, 'retired', 'retired/llmz-base@3/', '9fc7f76', 'int8, default from 9fc7f76 (25.0 M tokens)'],
  ['llmz-lite', 2, 'retired', 'retired/llmz-lite@2/', '9fc7f76', 'int4, from 9fc7f76'],
  ['llmz-lite', 1, 'retired', 'retired/llmz-lite@1/', 'd7036e7', 'int4, from d7036e7'],
  ['llmz-base', 2, 'retired', 'retired/llmz-base@2/', '3c87cfd', 'int8, default from 3c87cfd (14.7 M tokens)'],
  ['llmz-base', 1, 'retired', 'retired/llmz-base@1/', '038cc0a', 'int8, the first default (038cc0a)'],
];

const root = new URL('../public/models/', import.meta.url);
const sha = (path) => createHash('sha256').update(readFileSync(new URL(path, root))).digest('hex');
const entries = MODELS.map(([name, version, status, path, released, description]) => {
  const header = readFileSync(new URL(path + 'model.bin', root));
  // (model.bin: 8-byte magic, u32 version, u32 JSON length, the JSON header: docs/model-format.md)
  const json = JSON.parse(header.subarray(16, 16 + header.readUInt32LE(12)).toString('utf8'));
  return {
    name,
    version,
    status,
    description,
    bytes: header.length,
    sha256: sha(path + 'model.bin'),
    tokenizerSha256: sha(path + 'tokenizer.json'),
    numerics: json.numerics,
    path,
    released,
  };
});
const text = '[\n' + entries.map((e) => '  ' + JSON.stringify(e)).join(',\n') + '\n]\n';
const file = new URL('index.json', root);
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text) {
    console.error('public/models/index.json is stale: run node scripts/model-index.mjs');
    process.exit(1);
  }
} else writeFileSync(file, text);
