/**
 * `llmz bpc IN`: the model's cross-entropy on a file (sliding window), beside
 * the real archive. `--tokens`: instead, the real archive's cost of every
 * token as TSV (tokenCosts.ts), with a summary on stderr.
 */
import { readFileSync } from 'node:fs';
import type { LoadedModel } from '../../model/loadedModel.js';
import { readArchive } from '../../format/container.js';
import { crossEntropy } from '../../pipeline/bpc.js';
import { bufferSource, MemorySink } from '../../pipeline/byteStreams.js';
import { compress, compressStream } from '../../pipeline/compressor.js';
import { chunkFlag, intFlag, mixingFlags, type Args, type Flags } from '../flags.js';
import { coordinatorModel, withRunner } from '../runners.js';
import { tokenCostRows } from '../tokenCosts.js';
import { singleInput } from './io.js';

export async function bpcCommand({ positional, flags }: Args): Promise<void> {
  const input = singleInput('bpc', positional, flags);
  if (flags.tokens) return tokenCosts(input, flags);
  const model = await coordinatorModel({ ...flags, threads: '1' }, flags.model);
  const data = new Uint8Array(readFileSync(input === '-' ? 0 : input));
  const ids = model.tokenizer.encode(data);
  // The seeds' defaults (1900/512), shortened to what this model was trained for.
  const block = intFlag(flags.block, 'block', 1, 1 << 20) ?? Math.min(1900, model.contextTokens);
  const stride = intFlag(flags.stride, 'stride', 1, 1 << 20) ?? Math.min(512, Math.max(1, Math.floor(block / 2)));
  const ce = await crossEntropy(model, ids, block, stride);
  const chars = new TextDecoder().decode(data).length;
  const lines = [
    `model            ${model.identity.name} (${model.engine.backend})`,
    `text             ${data.length} bytes, ${chars} characters, ${ce.tokens} tokens`,
    `window           ${block} tokens, stride ${stride} (${ce.windows} windows)`,
    `cross-entropy    ${(ce.bits / 8).toFixed(0)} bytes = ${(ce.bits / Math.max(1, chars)).toFixed(4)} bits/char, ${(ce.bits / Math.max(1, data.length)).toFixed(4)} bits/byte`,
  ];
  if (!flags['no-compress']) {
    const archive = await withRunner(flags, flags.model, model, (runner) => compress(data, model, { runner }));
    const { headerLength } = readArchive(archive);
    const over = (((archive.length - headerLength) * 8) / ce.bits - 1) * 100;
    lines.push(
      `llmz compress    ${archive.length} bytes (header ${headerLength}) = ${((8 * archive.length) / Math.max(1, data.length)).toFixed(4)} bits/byte; ` +
        `${over >= 0 ? '+' : ''}${over.toFixed(2)}% over the cross-entropy (chunking at ${model.contextTokens} tokens, coding)`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

/** Compresses as `llmz compress` would (same options) and prints what each token cost. */
async function tokenCosts(input: string, flags: Flags): Promise<void> {
  const model: LoadedModel = await coordinatorModel(flags, flags.model);
  const data = new Uint8Array(readFileSync(input === '-' ? 0 : input));
  const opts = { chunkTokens: chunkFlag(flags), ...mixingFlags(flags), totalBytes: data.length, recordBits: true };
  const result = await withRunner(flags, flags.model, model, (runner) => compressStream(bufferSource(data), model, new MemorySink(), { ...opts, runner }));
  const map = result.bits!;
  const out: string[] = [];
  for (const row of tokenCostRows(map, data)) {
    out.push(row);
    if (out.length >= 4096) process.stdout.write(out.splice(0).join('\n') + '\n');
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  const sum = map.bits.reduce((s, b) => s + b, 0);
  process.stderr.write(
    `# ${map.lengths.length} rows${map.tokensPerSpan > 1 ? ` (${map.tokensPerSpan} tokens each: a big input's map is merged)` : ''}; ` +
      `${sum.toFixed(1)} bits in the rows; archive ${result.bytesOut} bytes = header ${map.headerBytes} + payload ${map.payloadBytes} (${8 * map.payloadBytes} bits)\n`,
  );
}
