/**
 * npm run bench:chunking — archive size and speed against chunk length, on a
 * slice of each dev file: the measurement behind the default chunk size
 * (docs/chunking.md). A benchmark: it prints a Markdown table.
 *
 *   npm run bench:chunking -- [--limit BYTES] [--sizes 64,128,256] [--threads N]
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelFromDisk } from '../src/platform/node/nodeModelSource.js';
import { compress } from '../src/pipeline/compressor.js';
import { createNodePool } from '../src/platform/node/nodePool.js';

const { values: flags } = parseArgs({ options: { limit: { type: 'string', default: '32768' }, threads: { type: 'string', default: String(availableParallelism()) }, sizes: { type: 'string' } } });
const limit = Number(flags.limit);
const threads = Number(flags.threads);
const model = await loadModelFromDisk(undefined, threads > 1 ? 'reference' : 'auto'); // with a pool this thread only tokenizes
const sizes = (flags.sizes ?? [32, 64, 128, 256, 512].filter((s) => s < model.identity.config.maxPos).join(',')).split(',').map(Number);
const DEV = join(process.cwd(), '../shared/corpus/dev');
const files = ['prose', 'wiki', 'code', 'markup'].map((f) => ({ name: f, data: new Uint8Array(readFileSync(join(DEV, f + '.txt'))).subarray(0, limit) }));
const pool = threads > 1 ? await createNodePool({ threads }) : null;
console.log(`model ${model.identity.name}, trained for ${model.contextTokens}-token chunks; first ${limit} bytes of each dev file; ${threads} thread(s)\n`);
console.log(`| chunk (tokens) | ${files.map((f) => f.name + ' bpb').join(' | ')} | all bpb | vs longest | compress KB/s |`);
console.log(`|---|${files.map(() => '---').join('|')}|---|---|---|`);
const rows: { size: number; bpb: number[]; all: number; kbps: number }[] = [];
try {
  for (const size of sizes) {
    const bpb: number[] = [];
    let bytes = 0;
    let coded = 0;
    const t0 = performance.now();
    for (const f of files) {
      const a = await compress(f.data, model, { chunkTokens: size, runner: pool?.runner });
      bpb.push((8 * a.length) / f.data.length);
      bytes += f.data.length;
      coded += a.length;
    }
    rows.push({ size, bpb, all: (8 * coded) / bytes, kbps: bytes / 1024 / ((performance.now() - t0) / 1000) });
  }
} finally {
  await pool?.close();
}
const best = rows[rows.length - 1]!.all;
for (const r of rows) {
  console.log(`| ${r.size} | ${r.bpb.map((b) => b.toFixed(3)).join(' | ')} | ${r.all.toFixed(3)} | ${(100 * (r.all / best - 1)).toFixed(1)}% | ${r.kbps.toFixed(1)} |`);
}
