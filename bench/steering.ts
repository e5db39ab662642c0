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
 *   npm run bench:steering -- [--limit BYTES] [--model NAME|PATH] [--prefix TEXT]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFromDisk, resolveModelDir } from '../src/cli/modelStore.js';
import { readArchive } from '../src/format/container.js';
import { requant } from '../src/model/exact/intmath.js';
import { parseModelFile } from '../src/model/exact/modelFile.js';
import { weightsOf, type SoftPrompt } from '../src/model/exact/weights.js';
import type { LoadedModel } from '../src/model/loadedModel.js';
import { compress, decompress } from '../src/pipeline/compressor.js';
import type { Steering } from '../src/pipeline/chunkCoder.js';

const argv = process.argv.slice(2);
const flag = (name: string, dflt?: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : dflt);
const limit = Number(flag('--limit', '16384'));
const modelArg = flag('--model');
const prefixText = flag('--prefix', 'The following text is written in clear, correct English.\n\n')!;
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
