/**
 * npm run bench:steering — what steering the model buys, on slices of the
 * dev files and the dev messages (each alone): archive bytes, prompts and
 * headers included, and encode time, for
 *   - no prompt;
 *   - a fixed text prefix (its tokens' embeddings fed as prompt vectors, so
 *     it costs nothing in the archive but positions);
 *   - the model's domain prompts, 'auto' (chosen on each chunk's first
 *     tokens) and 'max' (each tried on the whole chunk).
 * One thread (the text prefix exists only in this process). A benchmark: it
 * prints a Markdown table (docs/steering.md).
 *
 * Then the per-archive learned prompt, on bigger slices (--learn-limit): one
 * prompt fitted per file, coded under each hyper-prior, the archive made
 * with it kept ('always') beside 'max' with the domain prompts only; what the
 * encoder does by default is the smaller of the two.
 *
 *   npm run bench:steering -- [--limit BYTES] [--learn-limit BYTES] [--model NAME|PATH] [--prefix TEXT] [--skip-domain]
 */
import { parseArgs } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFromDisk, resolveModelDir } from '../src/platform/node/nodeModelSource.js';
import { readArchive } from '../src/format/container.js';
import { requant } from '../src/model/exact/intmath.js';
import { parseModelFile } from '../src/model/exact/modelFile.js';
import { weightsOf, type SoftPrompt } from '../src/model/exact/weights.js';
import type { LoadedModel } from '../src/model/loadedModel.js';
import { compress } from '../src/pipeline/compressor.js';
import { decompress } from '../src/pipeline/decompressor.js';
import type { Steering } from '../src/pipeline/chunkCoder.js';
import { ARCHIVE_PROMPT } from '../src/format/container.js';
import { codeFitted, fitPrompt } from '../src/steering/learnPrompt.js';
import { PRIOR_KINDS } from '../src/steering/promptPriors.js';

const { values: flags } = parseArgs({
  options: {
    limit: { type: 'string', default: '16384' },
    'learn-limit': { type: 'string', default: '49152' },
    model: { type: 'string' },
    prefix: { type: 'string', default: 'The following text is written in clear, correct English.\n\n' },
    'skip-domain': { type: 'boolean' },
  },
});
const limit = Number(flags.limit);
const learnLimit = Number(flags['learn-limit']);
const modelArg = flags.model;
const prefixText = flags.prefix;
const DEV = join(process.cwd(), '../shared/corpus/dev');

const model = await loadModelFromDisk(modelArg, 'wasm');
const domain = model.prompts ?? [];
const weights = weightsOf(parseModelFile(new Uint8Array(readFileSync(join(resolveModelDir(modelArg), 'model.bin')))));
const d = model.identity.config.dim;

/** The prefix's tokens as residual vectors: what the engine's embedding would put there. */
function textPrompt(text: string): SoftPrompt {
  const ids = model.tokenizer.encode(new TextEncoder().encode(text));
  const v = new Int32Array(ids.length * d);
  ids.forEach((t, p) => {
    for (let i = 0; i < d; i++) v[p * d + i] = requant(weights.embed[t * d + i]!, weights.embedM[t]!, weights.embedS[t]!);
  });
  return { name: 'text prefix', vectors: v };
}

const files = [
  ...['prose', 'wiki', 'code', 'markup'].map((f) => ({ name: `${f} (${limit / 1024} KB)`, parts: [new Uint8Array(readFileSync(join(DEV, f + '.txt'))).subarray(0, limit)] })),
  { name: 'messages (24, each alone)', parts: readdirSync(join(DEV, 'messages')).sort().map((f) => new Uint8Array(readFileSync(join(DEV, 'messages', f)))) },
];

interface Variant {
  name: string;
  prompts: SoftPrompt[];
  steering: Steering;
}
const variants: Variant[] = [
  { name: 'no prompt', prompts: [], steering: 'off' },
  { name: `fixed text prefix (${model.tokenizer.encode(new TextEncoder().encode(prefixText)).length} tokens, on the chunks it helps)`, prompts: [textPrompt(prefixText)], steering: 'max' },
];
if (domain.length) {
  variants.push({ name: `domain prompts, auto (${domain.length}: ${domain.map((p) => p.name).join(', ')})`, prompts: domain, steering: 'auto' });
  variants.push({ name: 'domain prompts, max', prompts: domain, steering: 'max' });
}

console.log(`model ${model.identity.name} (${model.identity.sha256.slice(0, 12)}), one thread, ${model.engine.backend}\n`);
if (flags['skip-domain']) variants.length = 0;
else {
console.log(`| steering | ${files.map((f) => f.name).join(' | ')} | total bytes | vs no prompt | chunks with a prompt | encode s |`);
console.log(`|---|${files.map(() => '---').join('|')}|---|---|---|---|`);
let base = 0;
for (const v of variants) {
  // (the text prefix as the only candidate in 'max': used on exactly the chunks it makes smaller)
  const m: LoadedModel = { ...model, prompts: v.prompts };
  const sizes: number[] = [];
  let used = 0;
  let chunks = 0;
  let secs = 0;
  for (const f of files) {
    let n = 0;
    for (const part of f.parts) {
      const t0 = performance.now();
      const a = await compress(part, m, { steering: v.steering });
      secs += (performance.now() - t0) / 1000;
      const back = await decompress(a, m);
      if (back.length !== part.length || !back.every((b, i) => b === part[i])) throw new Error('round trip failed');
      n += a.length;
      const h = readArchive(a).header;
      chunks += h.chunks.length;
      used += h.chunks.filter((c) => (c.prompt ?? 0) > 0).length;
    }
    sizes.push(n);
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  if (!base) base = total;
  console.log(`| ${v.name} | ${sizes.join(' | ')} | ${total} | ${(100 * (total / base - 1)).toFixed(2)}% | ${used}/${chunks} | ${secs.toFixed(0)} |`);
}
}

function sameBytes(a: Uint8Array, b: Uint8Array) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The learned prompt: fitted once per file, coded under each prior. */
console.log(`\nLearned per-archive prompt (first ${learnLimit / 1024} KB of each file; 16 steps on 6 chunks x 32 tokens; archive bytes with the prompt kept, vs 'max' with the domain prompts only):\n`);
console.log('| file | prior | bits / coordinate | rms error / rms change | prompt bytes | chunks after it | archive bytes | vs domain max | encoder keeps it | fit s | encode s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const f of ['prose', 'wiki', 'code', 'markup']) {
  const text = new Uint8Array(readFileSync(join(DEV, f + '.txt'))).subarray(0, learnLimit);
  const ids = model.tokenizer.encode(text);
  const chunks: Int32Array[] = [];
  for (let i = 0; i < ids.length; i += model.contextTokens) chunks.push(ids.subarray(i, i + model.contextTokens));
  const W = model.weights!;
  let t0 = performance.now();
  const fitted = await fitPrompt(W, chunks, {});
  const fitSecs = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const plain = await compress(text, model, { steering: 'max', archivePrompt: false });
  const plainSecs = (performance.now() - t0) / 1000;
  console.log(`| ${f} | (domain prompts only) | | | | | ${plain.length} | 0.00% | | | ${plainSecs.toFixed(0)} |`);
  const deltaRms = Math.sqrt(fitted.delta.reduce((a, x) => a + x * x, 0) / fitted.delta.length);
  for (const prior of PRIOR_KINDS) {
    const learned = codeFitted(W, fitted, prior);
    t0 = performance.now();
    const a = await compress(text, model, { steering: 'max', archivePrompt: { coded: learned.coded, keep: 'always' } });
    const secs = (performance.now() - t0) / 1000;
    if (!sameBytes(await decompress(a, model), text)) throw new Error('round trip failed');
    const h = readArchive(a).header;
    const after = h.chunks.filter((c) => c.prompt === ARCHIVE_PROMPT).length;
    const c = learned.coded;
    console.log(
      `| ${f} | ${prior} | ${c.bitsPerCoordinate.toFixed(2)} | ${(c.rmsError / deltaRms).toFixed(2)} | ${c.bytes.length} | ${after}/${h.chunks.length} | ${a.length} | ${(100 * (a.length / plain.length - 1)).toFixed(2)}% | ${a.length < plain.length ? 'yes' : 'no'} | ${fitSecs.toFixed(0)} | ${secs.toFixed(0)} |`,
    );
  }
}
