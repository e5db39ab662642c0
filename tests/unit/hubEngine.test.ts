/**
 * The hub-model engine in Node: a tiny GPT-2 exported by
 * training/export_onnx.py (tests/fixtures/tiny-gpt2, float ONNX with
 * past_key_values in the transformers.js layout) run by onnxruntime-web's wasm.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeviceMismatchError, UnsupportedVersionError, WrongModelError } from '../../src/codec/errors.js';
import { readArchive, writeArchive } from '../../src/format/container.js';
import { floatToIntLogits } from '../../src/model/hub/floatLogits.js';
import { HUB_NUMERICS_ID, readHubStamp, writeHubStamp } from '../../src/model/hub/hubStamp.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { isLockstep } from '../../src/model/types.js';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';
import { compress } from '../../src/pipeline/compressor.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { crossEntropy } from '../../src/pipeline/bpc.js';

const FIXTURE = 'hf:tests/fixtures/tiny-gpt2';
const prose = new Uint8Array(readFileSync('../shared/corpus/dev/prose.txt').subarray(0, 3000));
let model: LoadedModel;

beforeAll(async () => {
  model = await loadModelFromDisk(FIXTURE);
});

/** The archive with its hub record replaced (header check recomputed). */
function withStamp(archive: Uint8Array, edit: (s: ReturnType<typeof readHubStamp>) => void): Uint8Array {
  const parsed = readArchive(archive);
  const stamp = readHubStamp(parsed.header.extension);
  edit(stamp);
  const { version: _, ...header } = parsed.header;
  return writeArchive({ ...header, extension: writeHubStamp(stamp) }, header.chunks.map((_c, i) => parsed.payload(i)));
}

describe('hub engine (tiny GPT-2 through transformers.js + onnxruntime-web wasm)', () => {
  it('loads as a lockstep engine with the model’s own start token', () => {
    expect(isLockstep(model.engine)).toBe(true);
    expect(model.identity.numericsId).toBe(HUB_NUMERICS_ID);
    expect(model.identity.config.bos).toBe(0);
    expect(model.identity.config.vocab).toBe(8192);
  });

  it('round-trips several chunks in batches, smaller than the input, same archive twice', async () => {
    const a = await compress(prose, model, { chunkTokens: 64, batch: 3 });
    const b = await compress(prose, model, { chunkTokens: 64, batch: 3 });
    expect(b).toEqual(a);
    const parsed = readArchive(a);
    expect(parsed.header.chunks.length).toBeGreaterThan(4);
    expect(parsed.header.chunks.every((c) => c.kind === 'model')).toBe(true);
    expect(readHubStamp(parsed.header.extension)).toMatchObject({ batch: 3, backend: 'wasm', dtype: 'fp32', revision: 'local' });
    expect(a.length).toBeLessThan(prose.length * 0.6);
    // the decoder takes the batch size from the archive, whatever it is asked for
    expect(await decompress(a, model, { batch: 7 })).toEqual(prose);
  });

  it('empty input, one byte, invalid UTF-8 and binary bytes round-trip', async () => {
    for (const input of [new Uint8Array(0), Uint8Array.of(65), Uint8Array.of(0xc3, 0x28, 0xff, 0x61), Uint8Array.from({ length: 300 }, (_, i) => (i * 73) % 256)]) {
      const a = await compress(input, model, { chunkTokens: 32 });
      expect(await decompress(a, model)).toEqual(input);
    }
  });

  it('warns before decoding an archive made on another backend, and still decodes when the numbers agree', async () => {
    const a = await compress(prose.subarray(0, 600), model, { chunkTokens: 64 });
    const moved = withStamp(a, (s) => ((s.backend = 'webgpu'), (s.device = 'Some GPU')));
    const warnings: string[] = [];
    expect(await decompress(moved, model, { onWarning: (m) => warnings.push(m) })).toEqual(prose.subarray(0, 600));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/backend webgpu here wasm/);
    const same: string[] = [];
    await decompress(a, model, { onWarning: (m) => same.push(m) });
    expect(same).toEqual([]);
  });

  it('a damaged payload fails with the checksum error naming the device it was made on', async () => {
    const a = await compress(prose.subarray(0, 600), model, { chunkTokens: 64 });
    const bad = a.slice();
    const at = readArchive(a).headerLength + 5;
    bad[at] = bad[at]! ^ 0x10;
    await expect(decompress(bad, model)).rejects.toThrow(DeviceMismatchError);
    await expect(decompress(bad, model)).rejects.toThrow(/same kind of device/);
  });

  it('an archive regrouped to another batch size decodes exactly or fails with the device error, never to wrong bytes', async () => {
    const a = await compress(prose.subarray(0, 1500), model, { chunkTokens: 48, batch: 4 });
    const regrouped = withStamp(a, (s) => (s.batch = 1));
    const out = await decompress(regrouped, model).catch((e: unknown) => e);
    // float numbers shift with the batch shape: either a checksum error or, if they happen not to, the original
    if (out instanceof Uint8Array) expect(out).toEqual(prose.subarray(0, 1500));
    else expect(out).toBeInstanceOf(DeviceMismatchError);
  });

  it('llmz bpc works on it: the float prefill agrees with the stepped archive within 1%', async () => {
    const text = prose.subarray(0, 1500);
    const ids = model.tokenizer.encode(text);
    const ce = await crossEntropy(model, ids, ids.length, ids.length);
    const a = await compress(text, model, { chunkTokens: ids.length });
    const parsed = readArchive(a);
    expect(parsed.header.chunks).toHaveLength(1);
    const payloadBits = (a.length - parsed.headerLength) * 8;
    expect(Math.abs(payloadBits / ce.bits - 1)).toBeLessThan(0.01);
  });

  it('refuses other models and unknown hub records', async () => {
    const a = await compress(prose.subarray(0, 300), model, { chunkTokens: 64 });
    const exact = await loadModelFromDisk();
    await expect(decompress(a, exact)).rejects.toThrow(WrongModelError);
    const ext = writeHubStamp({ batch: 2, dtype: 'fp32', backend: 'wasm', device: 'x', revision: 'local' });
    ext[1] = 9;
    expect(() => readHubStamp(ext)).toThrow(UnsupportedVersionError);
    const exactArchive = await compress(prose.subarray(0, 300), exact);
    // an exact-engine archive needs the exact model, not a hub one
    await expect(decompress(exactArchive, model)).rejects.toThrow(WrongModelError);
  });
});

describe('float logits -> integer logits', () => {
  it('rounds nats to 1/256 bit and pins non-finite values', () => {
    const out = floatToIntLogits(Float32Array.of(0, Math.LN2, -Math.LN2 / 2, 1e30, -1e30, NaN, Infinity));
    expect(Array.from(out)).toEqual([0, 256, -128, 2 ** 30, -(2 ** 30), -(2 ** 30), 2 ** 30]);
  });
});
