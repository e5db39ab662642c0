/**
 * `npm run eval` — regenerates the evaluation tables from the models in
 * public/models/ (and the float ONNX export, when given) on ../shared/corpus/dev/:
 *
 *   docs/bpc.md             sliding-window cross-entropy of the default model beside the real archive size
 *   docs/model-variants.md  float32 / int8 / int4 / pruned: size, bpb, speed, Score
 *   docs/bpb-vs-size.svg    bpb against download size, gzip / brotli / xz as reference lines
 *   README.md               the headline block between <!-- eval:start --> and <!-- eval:end -->
 *
 *   npm run eval [-- --limit BYTES] [--speed-bytes BYTES] [--float hf:DIR] [--variant DIR …]
 *
 * A measurement, not a test: it prints and writes figures. --float takes the
 * default model's float export (training/export_onnx.py llmz); without it the
 * float32 row (the reference of the ratios) is left out. --variant adds an
 * unshipped model folder (model.bin + tokenizer.json), e.g. the pruned one.
 */
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { loadModelFromDisk, MODELS_DIR, PACKAGE_ROOT } from '../src/platform/node/nodeModelSource.js';
import { readArchive } from '../src/format/container.js';
import type { LoadedModel } from '../src/model/loadedModel.js';
import { crossEntropy } from '../src/pipeline/bpc.js';
import { compress } from '../src/pipeline/compressor.js';
import { decompress } from '../src/pipeline/decompressor.js';
import { barChartSvg } from './evalChart.js';
import { parseModelFile } from '../src/model/exact/modelFile.js';
import { offeredModels, type ModelListing } from '../src/model/modelSource.js';

const { values: flags } = parseArgs({
  options: { limit: { type: 'string', default: '32768' }, 'speed-bytes': { type: 'string', default: '8192' }, float: { type: 'string' }, variant: { type: 'string', multiple: true, default: [] } },
});
const LIMIT = Number(flags.limit);
const SPEED_BYTES = Number(flags['speed-bytes']);
const FLOAT = flags.float;
const EXTRA = flags.variant;
const DEV = join(PACKAGE_ROOT, '../shared/corpus/dev');
const FILES = ['prose', 'wiki', 'code', 'markup'];
const DOCS = join(PACKAGE_ROOT, 'docs');

const slice = (name: string) => new Uint8Array(readFileSync(join(DEV, name + '.txt'))).subarray(0, LIMIT);
const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');

interface FileFigures {
  file: string;
  bytes: number;
  chars: number;
  tokens: number;
  bits: number;
  archive: number;
  header: number;
}

async function crossEntropyOf(model: LoadedModel, data: Uint8Array, withArchive: boolean): Promise<FileFigures & { block: number; stride: number }> {
  const ids = model.tokenizer.encode(data);
  const block = Math.min(1900, model.contextTokens);
  const stride = Math.min(512, Math.max(1, Math.floor(block / 2)));
  const ce = await crossEntropy(model, ids, block, stride);
  let archive = NaN;
  let header = NaN;
  if (withArchive) {
    const a = await compress(data, model, { verify: false });
    archive = a.length;
    header = readArchive(a).headerLength;
  }
  return { file: '', bytes: data.length, chars: new TextDecoder().decode(data).length, tokens: ids.length, bits: ce.bits, archive, header, block, stride };
}

async function speedOf(model: LoadedModel): Promise<{ compress: number; decompress: number }> {
  const data = new Uint8Array(readFileSync(join(DEV, 'wiki.txt'))).subarray(0, SPEED_BYTES);
  let t = performance.now();
  const a = await compress(data, model, { verify: false });
  const c = (performance.now() - t) / 1000;
  t = performance.now();
  const back = await decompress(a, model);
  const d = (performance.now() - t) / 1000;
  if (back.length !== data.length) throw new Error('round trip failed');
  return { compress: data.length / 1024 / c, decompress: data.length / 1024 / d };
}

function classic(): { name: string; bpb: number }[] {
  let bytes = 0;
  const sizes = { gzip: 0, brotli: 0, xz: NaN };
  let xz = 0;
  let haveXz = true;
  for (const f of FILES) {
    const d = slice(f);
    bytes += d.length;
    sizes.gzip += gzipSync(d, { level: 9 }).length;
    sizes.brotli += brotliCompressSync(d, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    try {
      xz += execFileSync('xz', ['-9e', '-c', '-T1'], { input: d }).length;
    } catch {
      haveXz = false;
    }
  }
  const out = [
    { name: 'gzip -9', bpb: (8 * sizes.gzip) / bytes },
    { name: 'brotli -q 11', bpb: (8 * sizes.brotli) / bytes },
  ];
  if (haveXz) out.push({ name: 'xz -9e', bpb: (8 * xz) / bytes });
  return out;
}

interface Variant {
  name: string;
  kind: string;
  spec: string;
  downloadBytes: number;
}

function variants(): Variant[] {
  const index = JSON.parse(readFileSync(join(MODELS_DIR, 'index.json'), 'utf8')) as ModelListing[];
  // the models a user is offered; retired versions share their name with the current one and live in other folders
  const out: Variant[] = offeredModels(index).map((m) => ({ name: m.name, kind: m.description, spec: m.name, downloadBytes: statSync(join(MODELS_DIR, m.path, 'model.bin')).size }));
  for (const dir of EXTRA) {
    const { header } = parseModelFile(new Uint8Array(readFileSync(join(dir, 'model.bin'))));
    const kind = `${header.config.layers} blocks, MLP ${header.config.ffn}, ${(header.config.dim / 1).toFixed(0)} wide (pruned + recovered; not shipped)`;
    out.push({ name: header.name, kind, spec: dir, downloadBytes: statSync(join(dir, 'model.bin')).size });
  }
  if (FLOAT) {
    const onnx = join(FLOAT.slice(3), 'onnx', 'model.onnx');
    if (!existsSync(onnx)) throw new Error(`--float: ${onnx} not found (make it with training/export_onnx.py llmz)`);
    out.unshift({ name: 'float32', kind: 'float32 ONNX of the same checkpoint (hub engine, wasm)', spec: FLOAT, downloadBytes: statSync(onnx).size });
  }
  return out;
}

async function main() {
  const rows: { v: Variant; bpb: number; speed: { compress: number; decompress: number }; perFile: FileFigures[] }[] = [];
  let bpcTable: (FileFigures & { block: number; stride: number })[] = [];
  for (const v of variants()) {
    const model = await loadModelFromDisk(v.spec);
    const isDefault = v.name === 'llmz-base';
    const perFile: (FileFigures & { block: number; stride: number })[] = [];
    for (const f of FILES) {
      const r = await crossEntropyOf(model, slice(f), isDefault);
      perFile.push({ ...r, file: f + '.txt' });
      console.error(`${v.name} ${f}: ${fmt(r.bits / r.bytes)} bpb`);
    }
    if (isDefault) bpcTable = perFile;
    const bits = perFile.reduce((s, r) => s + r.bits, 0);
    const bytes = perFile.reduce((s, r) => s + r.bytes, 0);
    rows.push({ v, bpb: bits / bytes, speed: await speedOf(model), perFile });
    model.engine.dispose();
  }
  const ref = rows.find((r) => r.v.name === 'float32');
  const refs = classic();

  // docs/bpc.md
  const bpcLines = [
    '# Sliding-window cross-entropy vs the real archive (default model)',
    '',
    `Generated by \`npm run eval\` on the first ${LIMIT} bytes of each dev file. \`llmz bpc\` computes the same per file:`,
    `windows of ${bpcTable[0]?.block ?? '–'} tokens moved by ${bpcTable[0]?.stride ?? '–'}, each position counted once, in bits of the coder's own`,
    'frequency tables. The archive is `llmz compress` on the same bytes (chunks of the model context, header included);',
    'the gap is what chunking (less context at chunk starts), coding and the header cost.',
    '',
    '| file | bytes | chars | tokens | cross-entropy bits/char | bits/byte | archive bytes | archive bits/byte | gap |',
    '|---|---|---|---|---|---|---|---|---|',
    ...bpcTable.map(
      (r) =>
        `| ${r.file} | ${r.bytes} | ${r.chars} | ${r.tokens} | ${fmt(r.bits / r.chars)} | ${fmt(r.bits / r.bytes)} | ${r.archive} | ${fmt((8 * r.archive) / r.bytes)} | +${fmt(((8 * r.archive) / r.bits - 1) * 100, 1)}% |`,
    ),
    '',
  ];
  writeFileSync(join(DOCS, 'bpc.md'), bpcLines.join('\n'));

  // docs/model-variants.md
  const score = (r: (typeof rows)[number]) => {
    if (!ref) return { ratio: NaN, drop: NaN, score: NaN };
    const ratio = ref.v.downloadBytes / r.v.downloadBytes;
    const drop = r.bpb / ref.bpb - 1;
    return { ratio, drop, score: ratio / (1 + drop) };
  };
  const mb = (b: number) => (b / 1024 / 1024).toFixed(2);
  const varLines = [
    '# Model variants',
    '',
    `Generated by \`npm run eval\`${FLOAT ? '' : ' (without --float: no float32 reference row)'}. bpb: sliding-window cross-entropy`,
    `(as \`llmz bpc\`) over the first ${LIMIT} bytes of prose, wiki, code and markup together. Speed: \`compress\` /`,
    `\`decompress\` of the first ${SPEED_BYTES} bytes of wiki.txt on one thread (exact engine: wasm kernels; float32: transformers.js`,
    'on onnxruntime-web wasm, stepped in lockstep batches), on the 2-core development machine.',
    'Size ratio = float32 download / variant download; drop = bpb / float32 bpb − 1; Score = size ratio / (1 + drop).',
    '',
    '| variant | what | download MB | dev bpb | compress KB/s | decompress KB/s | size ratio | quality drop | Score |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const s = score(r);
      return `| ${r.v.name} | ${r.v.kind} | ${mb(r.v.downloadBytes)} | ${fmt(r.bpb)} | ${fmt(r.speed.compress, 2)} | ${fmt(r.speed.decompress, 2)} | ${fmt(s.ratio, 2)} | ${Number.isFinite(s.drop) ? (s.drop >= 0 ? '+' : '') + (100 * s.drop).toFixed(2) + '%' : '–'} | ${fmt(s.score, 2)} |`;
    }),
    '',
    `Reference compressors on the same bytes: ${refs.map((c) => `${c.name} ${fmt(c.bpb)} bpb`).join(', ')}.`,
    '',
    '![bpb against download size](bpb-vs-size.svg)',
    '',
  ];
  writeFileSync(join(DOCS, 'model-variants.md'), varLines.join('\n'));
  writeFileSync(join(DOCS, 'bpb-vs-size.svg'), barChartSvg(rows.map((r) => ({ label: r.v.name, mb: r.v.downloadBytes / 1024 / 1024, bpb: r.bpb })), refs));

  // README headline block
  const readmePath = join(PACKAGE_ROOT, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const base = rows.find((r) => r.v.name === 'llmz-base');
  const xz = refs.find((c) => c.name.startsWith('xz'));
  const brotli = refs.find((c) => c.name.startsWith('brotli'))!;
  const headline = [
    '<!-- eval:start (written by npm run eval) -->',
    base
      ? `On the dev texts (first ${LIMIT / 1024} KB of prose, wiki, code and markup) the default model needs **${fmt(base.bpb)} bits per byte** — ` +
        `${xz ? `${fmt(base.bpb / xz.bpb, 2)}× xz -9e, ` : ''}${fmt(base.bpb / brotli.bpb, 2)}× brotli -q 11. Variants: [docs/model-variants.md](docs/model-variants.md); ` +
        'cross-entropy vs real archives: [docs/bpc.md](docs/bpc.md).'
      : '',
    '',
    '![bpb against model download size, with gzip, brotli and xz](docs/bpb-vs-size.svg)',
    '<!-- eval:end -->',
  ].join('\n');
  const updated = readme.includes('<!-- eval:start')
    ? readme.replace(/<!-- eval:start[\s\S]*?<!-- eval:end -->/, headline)
    : readme.replace('## Quick start', `${headline}\n\n## Quick start`);
  writeFileSync(readmePath, updated);
  console.log(varLines.join('\n'));
  console.log(bpcLines.join('\n'));
}

await main();
