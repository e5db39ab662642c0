/**
 * npm run bench:engine — the exact engine's speed on this CPU, a benchmark
 * that prints (never a test):
 *   - the instruction peak: i32x4.dot_i16x8_s, the multiply every matrix and
 *     attention kernel is built on, in a loop of independent products;
 *   - each kernel on the shipped model's shapes: achieved multiply-accumulates/s
 *     (and its share of that peak), or ns per element / µs per row for the
 *     ones that multiply little (requantisation, frequency tables);
 *   - the whole engine: prefill and step tokens/s.
 * Every figure is the best of several timed runs: this project's machines are
 * shared and wander by ±30% from run to run.
 *
 *   npm run bench:engine [-- --quick] [--ts] [--against OTHER/kernels.wasm] [--model NAME|PATH]
 *
 * `--model` measures another model's shapes (default: the shipped default
 * model), e.g. a candidate's wider head against llmz-base's.
 *
 * `--against` loads a second build of the kernels (e.g. from a worktree of an
 * earlier commit) into the same process and measures both alternately, so
 * their ratio is measured in one sitting on one CPU. (The engine lines run
 * this checkout's engine on both builds: against a build from before the
 * interleaved value caches they time the old kernels on the new layout, so
 * their times compare but their values do not.)
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { WASM_KERNELS, resolveModelDir } from '../src/platform/node/nodeModelSource.js';
import { FastEngine } from '../src/model/exact/fastEngine.js';
import { attendRowsScratchBytes, TsKernels, uploadExp2, type Kernels } from '../src/model/exact/kernels.js';
import { parseModelFile } from '../src/model/exact/modelFile.js';
import { weightsOf } from '../src/model/exact/weights.js';
import { WasmKernels } from '../src/model/exact/wasmKernels.js';
import type { ModelConfig, ModelIdentity } from '../src/model/types.js';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean' }, ts: { type: 'boolean' }, against: { type: 'string' }, model: { type: 'string' } } });
const quick = flags.quick ?? false;
const file = parseModelFile(new Uint8Array(readFileSync(resolveModelDir(flags.model) + '/model.bin')));
const cfg = file.header.config;
const hd = cfg.dim / cfg.heads;
const kvDim = cfg.kvHeads * hd;

/** Multiply-accumulates for one token at context length n. */
function macsPerToken(c: ModelConfig, n: number): number {
  const linear = c.dim * c.dim * 2 + kvDim * c.dim * 2 + c.ffn * c.dim * 3;
  const attention = 2 * c.heads * hd * n;
  return c.layers * (linear + attention) + c.vocab * c.dim;
}

/** Best seconds per call of `run` over `rounds` timed batches of `calls` calls. */
async function best(run: () => unknown, calls: number, rounds = quick ? 3 : 9): Promise<number> {
  await run();
  let min = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await run();
    min = Math.min(min, (performance.now() - t0) / 1000 / calls);
  }
  return min;
}

let seed = 12345;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) / 65536;
function fill(K: Kernels, bytes: number, f: (view: Int8Array) => void): number {
  const p = K.alloc(bytes);
  f(new Int8Array(K.buffer(), p, bytes));
  return p;
}
const int8s = (view: Int8Array) => view.forEach((_, i) => (view[i] = Math.floor(random() * 255) - 127));

interface Measure {
  name: string;
  /** Seconds per call. */
  time: () => Promise<number>;
  /** Multiply-accumulates per call (for MAC/s), or elements per call with a unit. */
  work: number;
  unit: 'MAC' | 'ns/element' | 'µs/row' | 'tok';
}

function kernelMeasures(K: Kernels): Measure[] {
  // every build gets the same data: attention's cost depends on it (when one key takes all the
  // weight the weighted sum goes key by key), and a --against comparison must time the same work
  seed = 12345;
  const out: Measure[] = [];
  const matmul = (name: string, outN: number, inN: number, rows: number) => {
    const weights = new Int8Array(outN * inN);
    int8s(weights);
    const w = K.uploadMatrix(weights, outN, inN);
    const x = fill(K, rows * inN, int8s);
    const acc = K.alloc(rows * outN * 4);
    const macs = outN * inN * rows;
    out.push({ name: `matmul ${name} ${outN}x${inN}, ${rows} rows`, time: () => best(() => K.matmul(w, outN, inN, x, rows, acc), Math.max(1, Math.round(2e7 / macs))), work: macs, unit: 'MAC' });
  };
  matmul('q/k/v/o', kvDim, cfg.dim, 1024);
  matmul('up/gate', cfg.ffn, cfg.dim, 1024);
  matmul('head', cfg.vocab, cfg.dim, 64);
  matmul('decode up/gate', cfg.ffn, cfg.dim, 8);
  matmul('decode head', cfg.vocab, cfg.dim, 8);
  // a 32 KB text on two threads: 10-11 chunks, 5 or 6 streams a worker (a whole tile of four and a ragged one)
  matmul('decode head', cfg.vocab, cfg.dim, 6);

  const ctx = 512;
  const k = fill(K, ctx * kvDim, (v) => v.forEach((_, i) => (v[i] = (Math.floor(random() * 255) - 127) >> 2)));
  const v = fill(K, ctx * kvDim, int8s);
  const q = fill(K, hd, int8s);
  const exp2 = uploadExp2(K);
  // the first layer's scale of scores to softmax's input, as the model ships it
  const attM = file.scalar('layers.0.att_m');
  const attS = file.scalar('layers.0.att_s');
  const scratch = K.alloc((ctx + hd) * 4 * 2);
  const ao = K.alloc(hd);
  out.push({
    name: `attention, one query x ${ctx} keys (head dim ${hd})`,
    time: () => best(() => K.attend(q, k, v, ctx, hd, kvDim, attM, attS, 1 << 14, 26, exp2, scratch, ao), 200),
    work: 2 * ctx * hd,
    unit: 'MAC',
  });

  // a decoding step of a grouped model: the query heads that share one K/V head, together
  const group = cfg.heads / cfg.kvHeads;
  if (group > 1) {
    const gq = fill(K, group * hd, int8s);
    const gScratch = K.alloc(attendRowsScratchBytes(ctx, hd));
    const gOut = K.alloc(group * hd);
    out.push({
      name: `attention, ${group} heads sharing K/V, one position x ${ctx} keys`,
      time: () => best(() => K.attendHeads(gq, hd, k, v, group, ctx, hd, kvDim, attM, attS, 1 << 14, 26, exp2, gScratch, gOut, hd), 100),
      work: 2 * ctx * hd * group,
      unit: 'MAC',
    });
  }

  // a prefill's attention: 64 consecutive queries of one head, the last seeing `ctx` keys
  const block = 64;
  const qs = fill(K, block * cfg.dim, int8s);
  const blockScratch = K.alloc(attendRowsScratchBytes(ctx, hd));
  const blockOut = K.alloc(block * cfg.dim);
  {
    out.push({
      name: `attention, ${block} queries x ${ctx - block + 1}-${ctx} keys`,
      time: () => best(() => K.attendRows(qs, cfg.dim, k, v, block, ctx - block + 1, hd, kvDim, attM, attS, 1 << 14, 26, exp2, blockScratch, blockOut, cfg.dim), 20),
      work: 2 * hd * block * (ctx - (block - 1) / 2),
      unit: 'MAC',
    });
  }

  const rows = 64;
  const acc = fill(K, rows * cfg.ffn * 4, () => {});
  new Int32Array(K.buffer(), acc, rows * cfg.ffn).forEach((_, i, a) => (a[i] = Math.floor((random() - 0.5) * 2 ** 24)));
  const m = K.alloc(cfg.ffn * 4);
  const s = K.alloc(cfg.ffn * 4);
  new Int32Array(K.buffer(), m, cfg.ffn).forEach((_, i, a) => (a[i] = 2 ** 14 + Math.floor(random() * 2 ** 14)));
  new Int32Array(K.buffer(), s, cfg.ffn).fill(22);
  const dst = K.alloc(rows * cfg.ffn * 4);
  out.push({ name: `requantisation, ${rows} x ${cfg.ffn}`, time: () => best(() => K.requantRows(acc, rows, cfg.ffn, m, s, -32767, 32767, dst), 50), work: rows * cfg.ffn, unit: 'ns/element' });
  // a decoding step's head: 8 rows (streams) of the whole vocabulary, each column its own scale
  {
    const n = 8;
    const acc = fill(K, n * cfg.vocab * 4, () => {});
    new Int32Array(K.buffer(), acc, n * cfg.vocab).forEach((_, i, a) => (a[i] = Math.floor((random() - 0.5) * 2 ** 24)));
    const m = K.alloc(cfg.vocab * 4);
    const s = K.alloc(cfg.vocab * 4);
    new Int32Array(K.buffer(), m, cfg.vocab).forEach((_, i, a) => (a[i] = 2 ** 14 + Math.floor(random() * 2 ** 14)));
    new Int32Array(K.buffer(), s, cfg.vocab).forEach((_, i, a) => (a[i] = 14 + (i % 9)));
    const dst = K.alloc(n * cfg.vocab * 4);
    out.push({ name: `requantisation, ${n} x ${cfg.vocab} (decoding's head)`, time: () => best(() => K.requantRows(acc, n, cfg.vocab, m, s, -(2 ** 31), 2 ** 31 - 1, dst), 50), work: n * cfg.vocab, unit: 'ns/element' });
  }

  // RMSNorm of a decoding step's rows (residual-stream magnitudes)
  {
    const n = 8;
    const h = fill(K, n * cfg.dim * 4, () => {});
    new Int32Array(K.buffer(), h, n * cfg.dim).forEach((_, i, a) => (a[i] = Math.floor((random() - 0.5) * 2 ** 22)));
    const g = K.alloc(cfg.dim * 4);
    new Int32Array(K.buffer(), g, cfg.dim).forEach((_, i, a) => (a[i] = 2 ** 12 + Math.floor(random() * 2 ** 12)));
    const B = Math.floor((31 - Math.ceil(Math.log2(cfg.dim))) / 2);
    const out8 = K.alloc(n * cfg.dim);
    out.push({ name: `RMSNorm, ${n} x ${cfg.dim}`, time: () => best(() => K.rmsNormRows(h, n, cfg.dim, g, 12, B, out8), 200), work: n * cfg.dim, unit: 'ns/element' });
  }

  if (K.cumulativeFrequencies) {
    const logits = K.alloc(cfg.vocab * 4);
    new Int32Array(K.buffer(), logits, cfg.vocab).forEach((_, i, a) => (a[i] = Math.floor((random() - 0.5) * 2 ** 13)));
    const e = K.alloc(cfg.vocab * 4);
    const cum = K.alloc((cfg.vocab + 1) * 4);
    out.push({ name: `logits -> frequency table, ${cfg.vocab} entries`, time: () => best(() => K.cumulativeFrequencies!(logits, cfg.vocab, exp2, e, cum), 200), work: 1, unit: 'µs/row' });
  }
  return out;
}

function engineMeasures(K: Kernels): Measure[] {
  const engine = new FastEngine({ config: cfg } as ModelIdentity, weightsOf(file), K);
  const T = Math.min(file.header.scalars['train_context'] ?? 256, cfg.maxPos);
  const seq = Int32Array.from({ length: T }, (_, i) => (i * 7919) % cfg.vocab);
  const out: Measure[] = [{ name: `engine prefill, ${T} tokens`, time: () => best(() => engine.prefillRows(seq, null, () => {}), 1, quick ? 2 : 4), work: T, unit: 'tok' }];
  const steps = quick ? 16 : 64;
  // decoding late in a chunk: streams started at position `from` (their caches' contents do not change the time)
  for (const [B, from] of [[1, 0], [6, 0], [8, 0], [8, T - steps]] as const) {
    out.push({
      name: `engine step, batch ${B}, context ${from}-${from + steps}`,
      time: () =>
        best(async () => {
          const streams = Array.from({ length: B }, () => engine.newStream(from + steps + 1));
          for (const s of streams) (s as unknown as { pos: number }).pos = from;
          for (let t = 0; t < steps; t++) await engine.step(streams, Int32Array.from(streams, (_, i) => (i * 31 + t * 17) % cfg.vocab));
          streams.forEach((s) => engine.freeStream(s));
        }, 1, quick ? 2 : 4),
      work: B * steps,
      unit: 'tok',
    });
  }
  return out;
}

/** The dot_i16x8_s peak of one thread, in MAC/s (the kernel module's own peakDotI16). */
async function instructionPeak(wasm: Uint8Array<ArrayBuffer>): Promise<number> {
  const { instance } = await WebAssembly.instantiate(wasm, { env: { abort: () => {} } });
  const peak = instance.exports['peakDotI16'] as ((buf: number, n: number) => number) | undefined;
  if (!peak) return NaN;
  const n = quick ? 2e6 : 1e7;
  return (64 * n) / (await best(() => peak(1 << 12, n), 1));
}

const fmtRate = (x: number) => (x >= 1e9 ? `${(x / 1e9).toFixed(2)} G` : `${(x / 1e6).toFixed(0)} M`);
function describe(m: Measure, secs: number, peak: number): string {
  switch (m.unit) {
    case 'MAC':
      return `${fmtRate(m.work / secs)}MAC/s${Number.isFinite(peak) ? ` (${((100 * m.work) / secs / peak).toFixed(0)}% of peak)` : ''}`;
    case 'ns/element':
      return `${((secs * 1e9) / m.work).toFixed(2)} ns/element`;
    case 'µs/row':
      return `${(secs * 1e6).toFixed(1)} µs/row`;
    case 'tok':
      return `${(m.work / secs).toFixed(0)} tok/s`;
  }
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const avx512 = (() => {
  try {
    return /\bavx512bw\b/.test(readFileSync('/proc/cpuinfo', 'utf8')) ? 'AVX-512' : 'AVX2 or less';
  } catch {
    return 'features unknown';
  }
})();
console.log(`CPU: ${cpu} (${avx512}), ${cpus().length} logical cores; Node ${process.version}`);
console.log(`model ${file.header.name}: d=${cfg.dim} L=${cfg.layers} heads=${cfg.heads}/${cfg.kvHeads} V=${cfg.vocab}, ${(macsPerToken(cfg, 0) / 1e6).toFixed(2)} M MAC/token before attention`);

const load = (path: string) => new Uint8Array(readFileSync(path));
const builds: { label: string; wasm: Uint8Array<ArrayBuffer> }[] = [{ label: 'this build', wasm: load(WASM_KERNELS) }];
if (flags.against) builds.push({ label: flags.against, wasm: load(flags.against) });

const kernels = await Promise.all(builds.map((b) => WasmKernels.create(b.wasm)));
const peaks = await Promise.all(builds.map((b) => instructionPeak(b.wasm)));
console.log(`instruction peak, i32x4.dot_i16x8_s, one thread: ${fmtRate(peaks[0]!)}MAC/s`);
const measures = kernels.map((K) => [...kernelMeasures(K), ...engineMeasures(K)]);
// alternately, kernel by kernel, so that both builds see the same moments of a noisy machine
for (let i = 0; i < measures[0]!.length; i++) {
  const secs: number[] = [];
  for (const ms of measures) secs.push(await ms[i]!.time());
  const m = measures[0]![i]!;
  const cells = secs.map((s) => describe(m, s, peaks[0]!));
  const ratio = secs.length > 1 ? `   ${(secs[1]! / secs[0]!).toFixed(2)}x faster than ${builds[1]!.label}` : '';
  console.log(`  ${m.name.padEnd(44)} ${cells.join('   vs   ')}${ratio}`);
}
if (flags.ts) {
  console.log('ts kernels (the reference; slow):');
  for (const m of engineMeasures(new TsKernels())) console.log(`  ${m.name.padEnd(44)} ${describe(m, await m.time(), NaN)}`);
}
