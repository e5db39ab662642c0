/**
 * npm run bench:engine — exact-engine throughput per backend: prefill and
 * step tokens/s at batch 1, 8 and 32, achieved int8 multiply-accumulates/s,
 * and the peak of a plain int8 dot-product micro-benchmark on the same
 * kernels, so the ratio is visible. A benchmark, not a test: it prints.
 */
import { readFileSync } from 'node:fs';
import { WASM_KERNELS, resolveModelDir } from '../src/platform/node/nodeModelSource.js';
import { FastEngine } from '../src/model/exact/fastEngine.js';
import { TsKernels, type Kernels } from '../src/model/exact/kernels.js';
import { parseModelFile } from '../src/model/exact/modelFile.js';
import { weightsOf } from '../src/model/exact/weights.js';
import { WasmKernels } from '../src/model/exact/wasmKernels.js';
import type { ModelConfig, ModelIdentity } from '../src/model/types.js';

const quick = process.argv.includes('--quick');
const file = parseModelFile(new Uint8Array(readFileSync(resolveModelDir() + '/model.bin')));
const cfg = file.header.config;

/** Multiply-accumulates for one token at context length n. */
function macsPerToken(c: ModelConfig, n: number): number {
  const hd = c.dim / c.heads;
  const kv = c.kvHeads * hd;
  const linear = c.dim * c.dim * 2 + kv * c.dim * 2 + c.ffn * c.dim * 3;
  const attention = 2 * c.heads * hd * n;
  return c.layers * (linear + attention) + c.vocab * c.dim;
}

function peakDot(K: Kernels): number {
  // 256 rows x 1024 outputs x 1024 inputs: large enough to reuse weights, small enough to stay in cache
  const rows = 64;
  const out = 1024;
  const inn = 1024;
  const w = K.alloc(out * inn);
  const x = K.alloc(rows * inn);
  const acc = K.alloc(rows * out * 4);
  new Int8Array(K.buffer(), w, out * inn).fill(3);
  new Int8Array(K.buffer(), x, rows * inn).fill(-5);
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < (quick ? 300 : 1500)) {
    K.matmul(w, out, inn, x, rows, acc);
    reps++;
  }
  const secs = (performance.now() - t0) / 1000;
  K.free(w), K.free(x), K.free(acc);
  return (reps * rows * out * inn) / secs;
}

const fmt = (x: number) => (x >= 1e9 ? `${(x / 1e9).toFixed(2)} G` : `${(x / 1e6).toFixed(0)} M`);

async function benchBackend(name: string, K: Kernels) {
  const engine = new FastEngine({ config: cfg } as ModelIdentity, weightsOf(file), K);
  const T = Math.min(file.header.scalars['train_context'] ?? 256, cfg.maxPos);
  const seq = Int32Array.from({ length: T }, (_, i) => (i * 7919) % cfg.vocab);
  const peak = peakDot(K);
  const rows: string[] = [];
  // prefill
  let t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < (quick ? 500 : 3000) || n === 0) {
    await engine.prefill([seq]);
    n++;
  }
  let secs = (performance.now() - t0) / 1000;
  const prefillTps = (n * T) / secs;
  const prefillMacs = prefillTps * macsPerToken(cfg, T / 2);
  rows.push(`  prefill (${T} tokens)   ${prefillTps.toFixed(0).padStart(7)} tok/s   ${fmt(prefillMacs)}MAC/s   ${((100 * prefillMacs) / peak).toFixed(0)}% of peak`);
  for (const B of [1, 8, 32]) {
    const steps = quick ? 16 : 64;
    const streams = Array.from({ length: B }, () => engine.newStream(steps + 1));
    t0 = performance.now();
    for (let t = 0; t < steps; t++) await engine.step(streams, Int32Array.from(streams, (_, i) => (i * 31 + t * 17) % cfg.vocab));
    secs = (performance.now() - t0) / 1000;
    streams.forEach((s) => engine.freeStream(s));
    const tps = (B * steps) / secs;
    const macs = tps * macsPerToken(cfg, steps / 2);
    rows.push(`  step, batch ${String(B).padEnd(2)}          ${tps.toFixed(0).padStart(7)} tok/s   ${fmt(macs)}MAC/s   ${((100 * macs) / peak).toFixed(0)}% of peak`);
  }
  console.log(`${name}: int8 dot peak ${fmt(peak)}MAC/s (one thread)`);
  for (const r of rows) console.log(r);
}

console.log(`model ${file.header.name}: d=${cfg.dim} L=${cfg.layers} V=${cfg.vocab}, ${(macsPerToken(cfg, 0) / 1e6).toFixed(2)}M MAC/token before attention`);
await benchBackend('wasm', await WasmKernels.create(readFileSync(WASM_KERNELS)));
if (!process.argv.includes('--no-ts')) await benchBackend('ts', new TsKernels());
