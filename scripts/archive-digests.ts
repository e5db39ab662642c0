/**
 * Prints the SHA-256 of archives made from fixed inputs with several option
 * sets: run before and after a refactor and diff the output to show that
 * archives stay byte-identical (`npx tsx scripts/archive-digests.ts > a.txt`).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFromDisk } from '../src/platform/node/nodeModelSource.js';
import { compress } from '../src/pipeline/compressor.js';
import { createNodePool } from '../src/platform/node/nodePool.js';

const DEV = join(process.cwd(), '../shared/corpus/dev');
const slice = (f: string, n: number) => new Uint8Array(readFileSync(join(DEV, f))).subarray(0, n);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

const model = await loadModelFromDisk('llmz-base', 'wasm');
const lite = await loadModelFromDisk('llmz-lite', 'wasm');
const rnd = new Uint8Array(4096);
for (let i = 0, x = 1; i < rnd.length; i++) (x = (x * 1103515245 + 12345) >>> 0), (rnd[i] = x >>> 24);
const cases: [string, () => Promise<Uint8Array>][] = [];
for (const f of ['prose.txt', 'wiki.txt', 'code.txt', 'markup.txt']) cases.push([`${f} 12 KB`, () => compress(slice(f, 12288), model)]);
for (const m of readdirSync(join(DEV, 'messages')).sort()) {
  const data = new Uint8Array(readFileSync(join(DEV, 'messages', m)));
  cases.push([`messages/${m}`, () => compress(data, model)]);
  cases.push([`messages/${m} full`, () => compress(data, model, { compact: false })]);
}
cases.push(['code.txt 6 KB steering auto', () => compress(slice('code.txt', 6144), model, { steering: 'auto' })]);
cases.push(['wiki.txt 4 KB chunk 48 batch 5', () => compress(slice('wiki.txt', 4096), model, { chunkTokens: 48, batch: 5 })]);
cases.push(['prose.txt 4 KB lite', () => compress(slice('prose.txt', 4096), lite)]);
cases.push(['random 4 KB', () => compress(rnd, model)]);
cases.push(['all bytes', () => compress(Uint8Array.from({ length: 256 }, (_, i) => i), model)]);
cases.push(['empty', () => compress(new Uint8Array(0), model)]);
for (const [name, make] of cases) console.log(`${sha(await make())}  ${name}`);
const pool = await createNodePool({ threads: 2, batch: 3 });
try {
  console.log(`${sha(await compress(slice('markup.txt', 12288), model, { runner: pool.runner }))}  markup.txt 12 KB, pool of 2`);
  console.log(`${sha(await compress(slice('wiki.txt', 4096), model, { chunkTokens: 48, runner: pool.runner }))}  wiki.txt 4 KB chunk 48, pool of 2`);
} finally {
  await pool.close();
}
