/**
 * The shipped default model, checked against the training side: same token
 * ids as training/bpe_tokenizer.py on the dev texts, same integer logits as
 * training/intsim.py, and a CLI round trip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelFromDisk, resolveModelDir } from '../../src/platform/node/nodeModelSource.js';
import { compress } from '../../src/pipeline/compressor.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { intsimLogits, PYTHON } from '../helpers/intsim.js';
import { FastEngine } from '../../src/model/exact/fastEngine.js';
import { parseModelFile } from '../../src/model/exact/modelFile.js';
import { weightsOf } from '../../src/model/exact/weights.js';
import { WasmKernels } from '../../src/model/exact/wasmKernels.js';
import { WASM_KERNELS } from '../../src/platform/node/nodeModelSource.js';

const DEV = join(process.cwd(), '../shared/corpus/dev');
const devFiles = existsSync(DEV)
  ? [...readdirSync(DEV).filter((f) => f.endsWith('.txt')).map((f) => join(DEV, f)), ...readdirSync(join(DEV, 'messages')).map((f) => join(DEV, 'messages', f))]
  : [];
const dir = resolveModelDir();
const tokenizerPath = join(dir, 'tokenizer.json');

let model: LoadedModel;
beforeAll(async () => {
  model = await loadModelFromDisk();
});

describe('default model', () => {
  it('has the dev corpus to check against', () => {
    expect(devFiles.length).toBeGreaterThanOrEqual(5);
  });

  it('tokenizes the dev texts exactly as the training side does', () => {
    for (const f of devFiles) {
      const ts = model.tokenizer.encode(readFileSync(f));
      const py = execFileSync(PYTHON, ['training/bpe_tokenizer.py', tokenizerPath, f], { maxBuffer: 1 << 28 })
        .toString()
        .trim()
        .split(' ')
        .map(Number);
      expect(ts.length, f).toBe(py.length);
      let diff = 0;
      for (let i = 0; i < ts.length; i++) if (ts[i] !== py[i]) diff++;
      expect(diff, f).toBe(0);
      expect(Buffer.from(model.tokenizer.decode(ts)).equals(readFileSync(f))).toBe(true);
    }
  });

  it('computes the same integer logits as the training side, logit for logit', async () => {
    const text = readFileSync(join(DEV, 'messages', 'wiki_0_512.txt'));
    const ids = model.tokenizer.encode(text);
    const seqs = [Int32Array.from([0, ...ids.subarray(0, 47)]), Int32Array.from([0, ...ids.subarray(50, 80)])];
    const ts = await model.engine.prefill(seqs);
    const py = intsimLogits(join(dir, 'model.bin'), seqs.map((s) => Array.from(s)));
    let o = 0;
    let diff = 0;
    for (const row of ts) for (let i = 0; i < row.length; i++) if (row[i] !== py[o++]) diff++;
    expect(o).toBe(py.length);
    expect(diff).toBe(0);
  });

  it('runs its shipped domain prompts exactly as the training side does', async () => {
    const prompts = model.prompts ?? [];
    expect(prompts.map((p) => p.name)).toEqual(['prose', 'wiki', 'code', 'markup']);
    const d = model.identity.config.dim;
    const ids = model.tokenizer.encode(readFileSync(join(DEV, 'messages', 'code_0_256.txt')));
    const seqs = [Int32Array.from([0, ...ids.subarray(0, 30)]), Int32Array.from([0, ...ids.subarray(0, 30)])];
    const chosen = [prompts[2]!.vectors, prompts[0]!.vectors];
    const ts = await model.engine.prefill(seqs, chosen);
    const rows = (v: Int32Array) => Array.from({ length: v.length / d }, (_, i) => Array.from(v.subarray(i * d, (i + 1) * d)));
    const py = intsimLogits(join(dir, 'model.bin'), seqs.map((s, b) => ({ seq: Array.from(s), prompt: rows(chosen[b]!) })));
    expect(Array.from(py)).toEqual(ts.flatMap((x) => Array.from(x)));
    expect(ts[0]).not.toEqual(ts[1]); // the two prompts steer differently
  });

  // llmz-base 5 (issue #16) was trained for text beyond English; version 4 took 39%, 64% and 51% of these bytes
  it.each([
    ['ru.txt', 0.25],
    ['zh.txt', 0.4],
    ['es.txt', 0.4],
  ])('knows other languages: the first lines of held-out realworld/%s in under %f of their bytes, and back', async (file, most) => {
    const lines = readFileSync(join(DEV, 'realworld', file), 'utf8').split('\n');
    let text = '';
    for (const line of lines) if (Buffer.byteLength(text + line + '\n') <= 2048) text += line + '\n'; else break;
    const bytes = new TextEncoder().encode(text);
    expect(bytes.length).toBeGreaterThan(1000);
    const archive = await compress(bytes, model, { mixing: false });
    expect(archive.length / bytes.length).toBeLessThan(most);
    expect(await decompress(archive, model)).toEqual(bytes);
  });

  it("a whole chunk's prefill keeps the wasm engine's memory small: the head runs in blocks, no chunk of logits at once", async () => {
    const file = parseModelFile(new Uint8Array(readFileSync(join(dir, 'model.bin'))));
    const K = await WasmKernels.create(readFileSync(WASM_KERNELS));
    const engine = new FastEngine(model.identity, weightsOf(file), K);
    const T = 1024;
    let rows = 0;
    await engine.prefillRows(Int32Array.from({ length: T }, (_, i) => (i * 7919) % model.identity.config.vocab), null, () => rows++);
    expect(rows).toBe(T);
    // weights 6.6 MB + one chunk's caches and activations: ~21 MB; a chunk's logits alone would be 32 MB more
    expect(K.buffer().byteLength).toBeLessThan(28 * 2 ** 20);
  });

  it('compresses and decompresses a message through the CLI', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'llmz-cli-'));
    const src = join(DEV, 'messages', 'prose_0_1024.txt');
    const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/llmz.mjs', ...args], { encoding: 'utf8' });
    let r = cli('compress', src, '-o', join(tmp, 'm.llmz'));
    expect(r.status, r.stderr).toBe(0);
    const size = readFileSync(join(tmp, 'm.llmz')).length;
    expect(size).toBeLessThan(readFileSync(src).length / 2);
    r = cli('decompress', join(tmp, 'm.llmz'), '-o', join(tmp, 'm.txt'));
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(tmp, 'm.txt')).equals(readFileSync(src))).toBe(true);
    r = cli('info', join(tmp, 'm.llmz'));
    expect(r.stdout).toContain('llmz-base');
    // errors: one line on stderr, non-zero exit
    writeFileSync(join(tmp, 'bad.llmz'), 'not an archive');
    r = cli('decompress', join(tmp, 'bad.llmz'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('NotAnArchiveError');
    r = cli('compress');
    expect(r.status).toBe(2);
    // an existing output is kept unless --force
    r = cli('compress', src, '-o', join(tmp, 'm.llmz'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--force');
    expect(readFileSync(join(tmp, 'm.llmz')).length).toBe(size);
    // stdin to stdout
    const piped = spawnSync(process.execPath, ['bin/llmz.mjs', 'decompress', '-'], { input: readFileSync(join(tmp, 'm.llmz')) });
    expect(piped.status).toBe(0);
    expect(Buffer.from(piped.stdout).equals(readFileSync(src))).toBe(true);
  });
});
