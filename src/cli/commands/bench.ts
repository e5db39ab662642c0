/**
 * `llmz bench` (also `npm run bench`) — the compressor on ../shared/corpus/dev/ and
 * dev/realworld/ (held out: never trained on): per file the original size,
 * llmz archive size and bits per byte beside gzip -9, brotli -q 11 (Node
 * zlib), xz -9e, zstd -19 and zpaq -m5 (Debian's binaries, when present), and
 * compress / decompress speed; then the realworld summary (geometric mean
 * against xz, files at or under xz, files under zpaq). A benchmark, not a
 * test: it prints.
 *
 *   llmz bench [FILES…] [--limit BYTES] [--threads N] [--chunk TOKENS] [--steering auto|off|max] [--mixing on|off] [--rounds N] [--model NAME|PATH] [--json]
 *   llmz bench --scaling MAX_BYTES     (10 KB, 100 KB, … up to MAX_BYTES)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { compress } from '../../pipeline/compressor.js';
import { decompress } from '../../pipeline/decompressor.js';
import { HUB_PREFIX, loadModelFromDisk } from '../../platform/node/nodeModelSource.js';
import { createNodePool } from '../../platform/node/nodePool.js';
import { chunkFlag, intFlag, mixingFlags, steeringFlag, threadCount, type Args } from '../flags.js';

/**
 * Scaling rows: compress and decompress 10 KB, 100 KB, 1 MB, 10 MB (up to
 * `maxBytes`) of dev text, each in a fresh process, printing time and peak
 * memory so linear time and flat memory can be seen.
 */
async function runScaling(maxBytes: number, threads: number): Promise<void> {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { spawnSync } = await import('node:child_process');
  const DEV = join(process.cwd(), '../shared/corpus/dev');
  const source = Buffer.concat(['prose', 'wiki', 'code', 'markup'].map((f) => readFileSync(join(DEV, f + '.txt'))));
  const dir = mkdtempSync(join(tmpdir(), 'llmz-scaling-'));
  const main = join(import.meta.dirname ?? '.', '../main.ts');
  const run = (args: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `process.argv.splice(1, 0, 'llmz'); process.on('exit', () => process.stderr.write('maxrss ' + process.resourceUsage().maxRSS + '\\n')); await import(${JSON.stringify(main)});`, ...args], { encoding: 'utf8' });
    const rss = Number(/maxrss (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
    if (r.status !== 0) throw new Error(r.stderr);
    return { secs: (performance.now() - t0) / 1000, rss };
  };
  console.log('| input | compress s | KB/s | peak RSS MB | decompress s | KB/s | peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|');
  for (let size = 10 * 1024; size <= maxBytes; size *= 10) {
    const input = Buffer.alloc(size);
    for (let o = 0; o < size; o += source.length) source.copy(input, o, 0, Math.min(source.length, size - o));
    const f = join(dir, `in-${size}.txt`);
    writeFileSync(f, input);
    const c = run(['compress', f, '-o', f + '.llmz', '--threads', String(threads)]);
    const d = run(['decompress', f + '.llmz', '-o', f + '.out', '--threads', String(threads)]);
    const kb = size / 1024;
    console.log(`| ${kb >= 1024 ? kb / 1024 + ' MB' : kb + ' KB'} | ${c.secs.toFixed(1)} | ${(kb / c.secs).toFixed(1)} | ${c.rss.toFixed(0)} | ${d.secs.toFixed(1)} | ${(kb / d.secs).toFixed(1)} | ${d.rss.toFixed(0)} |`);
  }
}

export async function benchCommand({ positional, flags }: Args): Promise<void> {
if (flags.scaling !== undefined) return runScaling(intFlag(flags.scaling, 'scaling', 1024, 2 ** 40)!, threadCount(flags));
const json = !!flags.json;
const limit = intFlag(flags.limit, 'limit', 1, 2 ** 40) ?? Infinity;
const threads = threadCount(flags);
const chunkTokens = chunkFlag(flags);
const steering = steeringFlag(flags);
const modelArg = flags.model;
const DEV = join(process.cwd(), '../shared/corpus/dev');
const files = positional.length
  ? positional
  : [
      ...['prose', 'wiki', 'code', 'markup'].map((f) => join(DEV, f + '.txt')),
      ...readdirSync(join(DEV, 'realworld'))
        .filter((f) => !['README.md', 'SOURCES.tsv'].includes(f))
        .sort()
        .map((f) => join(DEV, 'realworld', f)),
      ...readdirSync(join(DEV, 'messages')).sort().map((f) => join(DEV, 'messages', f)),
    ];

function xzSize(data: Uint8Array): number | null {
  try {
    return execFileSync('xz', ['-9e', '-c', '-T1'], { input: data, maxBuffer: 1 << 30 }).length;
  } catch {
    return null;
  }
}

function zstdSize(data: Uint8Array): number | null {
  try {
    return execFileSync('zstd', ['-19', '-c', '-q'], { input: data, maxBuffer: 1 << 30 }).length;
  } catch {
    return null;
  }
}

/** zpaq -m5 (Debian's zpaq 7.15): its archive, which carries a file name and a small journal (~50 bytes). */
function zpaqSize(data: Uint8Array): number | null {
  const dir = mkdtempSync(join(tmpdir(), 'llmz-zpaq-'));
  try {
    writeFileSync(join(dir, 'f'), data);
    execFileSync('zpaq', ['a', 'a.zpaq', 'f', '-m5'], { cwd: dir, stdio: 'ignore' });
    return statSync(join(dir, 'a.zpaq')).size;
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// with a pool, this thread only tokenizes and assembles: the reference engine costs nothing to set up
// hub models (hf:FOLDER) code on this thread, in the batches their archives record
const hub = modelArg?.startsWith(HUB_PREFIX) ?? false;
const model = await loadModelFromDisk(modelArg, threads > 1 && !hub ? 'reference' : 'auto');
const pool = threads > 1 && !hub ? await createNodePool({ threads, model: modelArg }) : null;
const rows: Record<string, number | string | null>[] = [];
try {
  for (const f of files) {
    const data = new Uint8Array(readFileSync(f)).subarray(0, limit);
    let t0 = performance.now();
    const archive = await compress(data, model, { runner: pool?.runner, chunkTokens, steering, ...mixingFlags(flags), verify: false }); // the decompress below checks it
    const ct = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const back = await decompress(archive, model, { runner: pool?.runner });
    const dt = (performance.now() - t0) / 1000;
    if (back.length !== data.length || !back.every((b, i) => b === data[i])) throw new Error(`round trip failed on ${f}`);
    const folder = f.includes('/messages/') ? 'messages/' : f.includes('/realworld/') ? 'realworld/' : '';
    rows.push({
      file: folder + basename(f),
      bytes: data.length,
      llmz: archive.length,
      gzip: gzipSync(data, { level: 9 }).length,
      brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }).length,
      xz: xzSize(data),
      zstd: zstdSize(data),
      zpaq: folder === 'messages/' ? null : zpaqSize(data),
      compressKBps: data.length / 1024 / ct,
      decompressKBps: data.length / 1024 / dt,
    });
  }
} finally {
  await pool?.close();
}

const msgs = rows.filter((r) => String(r.file).startsWith('messages/'));
if (msgs.length > 1) {
  const sum = (k: string) => msgs.reduce((n, r) => n + Number(r[k] ?? 0), 0);
  rows.push({
    file: `messages/ (${msgs.length}, each alone)`,
    bytes: sum('bytes'), llmz: sum('llmz'), gzip: sum('gzip'), brotli: sum('brotli'),
    xz: msgs.every((r) => r.xz !== null) ? sum('xz') : null,
    zstd: msgs.every((r) => r.zstd !== null) ? sum('zstd') : null,
    zpaq: null,
    compressKBps: sum('bytes') / 1024 / msgs.reduce((n, r) => n + Number(r.bytes) / 1024 / Number(r.compressKBps), 0),
    decompressKBps: sum('bytes') / 1024 / msgs.reduce((n, r) => n + Number(r.bytes) / 1024 / Number(r.decompressKBps), 0),
  });
}

if (json) console.log(JSON.stringify({ model: model.identity.name, sha256: model.identity.sha256, threads, limit, rows }, null, 2));
else {
  const bpb = (n: unknown, b: unknown) => (n === null ? '   –  ' : ((8 * Number(n)) / Number(b)).toFixed(3).padStart(6));
  console.log(`model ${model.identity.name} (${model.identity.sha256.slice(0, 12)}), ${threads} thread(s)${Number.isFinite(limit) ? `, first ${limit} bytes of each file` : ''}`);
  console.log('file                              bytes      llmz   bpb    gzip  brotli    xz    zstd   zpaq   llmz/xz  llmz/zpaq  comp KB/s  decomp KB/s');
  for (const r of rows) {
    const show = msgs.length <= 1 || !String(r.file).startsWith('messages/') || String(r.file).includes('each alone');
    if (!show) continue;
    console.log(
      `${String(r.file).padEnd(32)} ${String(r.bytes).padStart(8)} ${String(r.llmz).padStart(9)} ${bpb(r.llmz, r.bytes)} ${bpb(r.gzip, r.bytes)} ${bpb(r.brotli, r.bytes)} ${bpb(r.xz, r.bytes)} ${bpb(r.zstd, r.bytes)} ${bpb(r.zpaq, r.bytes)}   ${r.xz ? (Number(r.llmz) / Number(r.xz)).toFixed(3) : '  –  '}     ${r.zpaq ? (Number(r.llmz) / Number(r.zpaq)).toFixed(3) : '  –  '}      ${Number(r.compressKBps).toFixed(1).padStart(7)}     ${Number(r.decompressKBps).toFixed(1).padStart(7)}`,
    );
  }
  // the context-mixing issue's targets: every file at or under xz, realworld's geometric mean, files under zpaq
  const files = rows.filter((r) => !String(r.file).startsWith('messages/') && r.xz);
  const real = files.filter((r) => String(r.file).startsWith('realworld/'));
  if (real.length) {
    const geo = Math.exp(real.reduce((s, r) => s + Math.log(Number(r.llmz) / Number(r.xz)), 0) / real.length);
    console.log(`realworld: geometric mean llmz/xz ${geo.toFixed(3)} over ${real.length} files`);
  }
  if (files.length) {
    const underXz = files.filter((r) => Number(r.llmz) <= Number(r.xz)).length;
    const withZpaq = files.filter((r) => r.zpaq);
    const underZpaq = withZpaq.filter((r) => Number(r.llmz) < Number(r.zpaq)).length;
    console.log(`files at or under xz -9e: ${underXz} of ${files.length}; under zpaq -m5: ${underZpaq} of ${withZpaq.length}`);
  }
}
}
