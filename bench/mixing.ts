/**
 * `npm run bench:mixing -- FILES… [--limit BYTES] [--widths 1,4,16] [--variants NAME,…]`:
 * ideal coded size of each file with the LM alone and with the adaptive
 * mixer (src/mixing/), for several round widths and mixer variants, all
 * from one LM pass per chunk (the logits are computed once and every
 * configuration is measured on them). A measurement for docs/mixing.md, not
 * a test: it prints.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { TableBuilder } from '../src/codec/logitsToFrequencies.js';
import { meanState, MIXING_V1, TokenMixer, type MixerParams, type MixerState } from '../src/mixing/tokenMixer.js';
import { TOKEN_MODELS_V1, TokenModels, type TokenModelParams } from '../src/mixing/tokenModels.js';
import { bosShifted } from '../src/model/bosShifted.js';
import { isLockstep } from '../src/model/types.js';
import { loadModelFromDisk } from '../src/platform/node/nodeModelSource.js';
import { ChunkAssembler } from '../src/pipeline/chunking.js';
import { SegmentSplitter } from '../src/model/tokenizer.js';
import { toLineFeeds } from '../src/mixing/lineEndings.js';
import { firstOfRound, roundOf } from '../src/mixing/history.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { limit: { type: 'string' }, widths: { type: 'string', default: '0,1,16' }, variants: { type: 'string', default: 'v1' }, lf: { type: 'boolean', default: true } },
});
interface Variant {
  mixer: MixerParams;
  models: TokenModelParams;
  /** Each round's mixers start from what the round before learned: its last chunk's mixer, or the mean of all its chunks'. */
  carry: 'none' | 'last' | 'mean';
}
const base: Variant = { mixer: MIXING_V1, models: TOKEN_MODELS_V1, carry: 'none' };
const mean: Variant = { ...base, carry: 'mean' };
const o = (orders: number[]): Variant => ({ ...mean, models: { ...TOKEN_MODELS_V1, orders } });
const VARIANTS: Record<string, Variant> = {
  v1: mean,
  o1234: o([1, 2, 3, 4]),
  o12346: o([1, 2, 3, 4, 6]),
  o1246: o([1, 2, 4, 6]),
  o123468: o([1, 2, 3, 4, 6, 8]),
  o12: o([1, 2]),
};
const widths = values.widths!.split(',').map(Number); // 0: no history across chunks
const variants = values.variants!.split(',');
const limit = values.limit ? Number(values.limit) : Infinity;
function xzSize(data: Uint8Array): number {
  return execFileSync('xz', ['-9e', '-c', '-T1'], { input: data, maxBuffer: 1 << 30 }).length;
}
/** Debian's zpaq -m5 (its archive includes a file name and header: ~50 bytes); NaN without it. */
function zpaqSize(data: Uint8Array): number {
  const dir = mkdtempSync(join(tmpdir(), 'llmz-zpaq-'));
  try {
    writeFileSync(join(dir, 'f'), data);
    execFileSync('zpaq', ['a', join(dir, 'a.zpaq'), 'f', '-m5'], { cwd: dir, stdio: 'ignore' });
    return statSync(join(dir, 'a.zpaq')).size;
  } catch {
    return NaN;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const model = await loadModelFromDisk(undefined, 'auto');
if (isLockstep(model.engine)) throw new Error('exact model needed');
const engine = model.engine;
const { vocab: V, bos } = model.identity.config;

console.log(`model ${model.identity.name}, chunk ${model.contextTokens} tokens; sizes in bytes (ideal code length)`);
console.log(['file', 'bytes', 'xz', 'zpaq', 'lm', ...widths.flatMap((w) => variants.map((v) => `${v}/W${w}`))].join('\t'));
for (const file of positionals) {
  const original = new Uint8Array(readFileSync(file)).subarray(0, limit);
  let data = original;
  if (values.lf) data = toLineFeeds(data).text as Uint8Array<ArrayBuffer>;
  const splitter = new SegmentSplitter();
  const chunker = new ChunkAssembler(model.contextTokens, model.tokenizer.tokenBytes);
  for (const seg of [...splitter.push(data), ...splitter.end()]) chunker.push(model.tokenizer.encodeSegment(seg), seg);
  const chunks = chunker.take(Infinity, true).map((c) => c.ids);
  const tables = new TableBuilder();
  let lmBits = 0;
  const bits = new Map<string, number>();
  // per configuration, per round: the history models (chunks of earlier rounds), rebuilt at each round start
  // per configuration: the history models of the current round, and the mixer that finished the round before
  const bases = new Map<string, TokenModels | null>();
  const lastOfRound = new Map<string, TokenMixer>();
  const roundMixers = new Map<string, TokenMixer[]>();
  const roundMean = new Map<string, MixerState>();
  const historyOf = (w: number, j: number, params: TokenModelParams) => {
    if (w === 0) return null;
    const end = firstOfRound(roundOf(j, w), w);
    if (end === 0) return null;
    const n = chunks.slice(0, end).reduce((s, c) => s + c.length, 0);
    const h = new TokenModels(n, null, params);
    for (let k = 0; k < end; k++) for (const t of chunks[k]!) (h.predict(), h.push(t));
    return h;
  };
  let previous: [string, TokenMixer][] = [];
  for (let j = 0; j < chunks.length; j++) {
    const ids = chunks[j]!;
    const logits = (await engine.prefill([bosShifted(ids, bos)]))[0]!;
    const mixers: [string, TokenMixer][] = [];
    for (const w of widths) {
      for (const v of variants) {
        const key = `${v}/W${w}`;
        const variant = VARIANTS[v]!;
        if (w === 0 || firstOfRound(roundOf(j, w), w) === j) {
          bases.set(key, historyOf(w, j, variant.models));
          const last = previous.find(([k]) => k === key)?.[1];
          if (last && w > 0) lastOfRound.set(key, last);
          const done = roundMixers.get(key);
          if (done?.length && w > 0) roundMean.set(key, meanState(done.map((d) => d.state)));
          roundMixers.set(key, []);
        }
        const m = new TokenMixer(new TokenModels(ids.length, bases.get(key) ?? null, variant.models), V, variant.mixer);
        roundMixers.get(key)!.push(m);
        const from = lastOfRound.get(key);
        if (variant.carry === 'last' && from) m.learnFrom(from);
        const mean = roundMean.get(key);
        if (variant.carry === 'mean' && mean) m.startFrom(mean);
        mixers.push([key, m]);
      }
    }
    for (let t = 0; t < ids.length; t++) {
      const table = tables.table(logits.subarray(t * V, (t + 1) * V));
      lmBits += Math.log2(table.total / table.get(ids[t]!));
      for (const [, m] of mixers) m.observe(table, ids[t]!);
    }
    for (const [k, m] of mixers) bits.set(k, (bits.get(k) ?? 0) + m.bits);
    previous = mixers;
  }
  const bytes = (b: number) => Math.ceil(b / 8);
  console.log([basename(file), original.length, xzSize(original), zpaqSize(original), bytes(lmBits), ...[...bits.values()].map(bytes)].join('\t'));
}
