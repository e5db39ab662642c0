/**
 * The exact engine's model file (docs/model-format.md): "LLMZMODL", u32
 * version, u32 JSON length, JSON header, zero padding to 64, then tensors,
 * each at a 64-byte-aligned offset from the start of the data area.
 */
import { ModelLoadError } from '../../codec/errors.js';
import type { ModelConfig } from '../types.js';

export const MODEL_MAGIC = 'LLMZMODL';
export const MODEL_FORMAT_VERSION = 1;
export const NUMERICS_V1 = 1;

type DType = 'i4' | 'i8' | 'i16' | 'i32';
export type IntArray = Int8Array | Int16Array | Int32Array;

export interface TensorEntry {
  dtype: DType;
  shape: number[];
  offset: number;
}

export interface ModelHeader {
  format: number;
  numerics: number;
  name: string;
  config: ModelConfig;
  tokenizer_sha256: string;
  tensors: Record<string, TensorEntry>;
  scalars: Record<string, number>;
  /** Names of the domain soft prompts in tensor "prompts" [K][P][dim] (absent: none). */
  prompt_names?: string[];
}

export interface ModelFile {
  header: ModelHeader;
  tensor(name: string): IntArray;
  scalar(name: string): number;
}

const CTOR = { i8: Int8Array, i16: Int16Array, i32: Int32Array } as const;
const SIZE = { i4: 0.5, i8: 1, i16: 2, i32: 4 } as const;

/** int4 weights, two per byte (low nibble first, two's complement), widened to int8 on load. */
export function unpackInt4(packed: Uint8Array, count: number): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const nib = (packed[i >> 1]! >> ((i & 1) * 4)) & 15;
    out[i] = nib >= 8 ? nib - 16 : nib;
  }
  return out;
}

export function packInt4(values: Int8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  values.forEach((v, i) => (out[i >> 1] = out[i >> 1]! | ((v & 15) << ((i & 1) * 4))));
  return out;
}
const align = (n: number, a: number) => Math.ceil(n / a) * a;

export function parseModelFile(bytes: Uint8Array): ModelFile {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.length < 16 || magic !== MODEL_MAGIC) throw new ModelLoadError('Not an llmz model file (bad signature). Check the model path.');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== MODEL_FORMAT_VERSION) throw new ModelLoadError(`Model file format ${version} is not supported (this llmz reads ${MODEL_FORMAT_VERSION}). Update llmz.`);
  const jsonLength = dv.getUint32(12, true);
  if (16 + jsonLength > bytes.length) throw new ModelLoadError('Model file is truncated (header). Download it again.');
  let header: ModelHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + jsonLength)));
  } catch {
    throw new ModelLoadError('Model file header is damaged. Download it again.');
  }
  if (header.numerics !== NUMERICS_V1) throw new ModelLoadError(`Model uses numerics ${header.numerics}; this llmz implements ${NUMERICS_V1}.`);
  const dataStart = align(16 + jsonLength, 64);
  // Copy into an aligned buffer so typed views of any width are legal.
  const data = bytes.slice(dataStart);
  const cache = new Map<string, IntArray>();
  return {
    header,
    tensor(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const e = header.tensors[name];
      if (!e) throw new ModelLoadError(`Model file lacks tensor "${name}".`);
      const count = e.shape.reduce((a, b) => a * b, 1);
      if (!(e.dtype in SIZE) || e.offset % 64 !== 0 || e.offset + Math.ceil(count * SIZE[e.dtype]) > data.length) {
        throw new ModelLoadError(`Model file is truncated or damaged (tensor "${name}").`);
      }
      const arr =
        e.dtype === 'i4'
          ? unpackInt4(data.subarray(e.offset, e.offset + Math.ceil(count / 2)), count)
          : new CTOR[e.dtype](data.buffer, data.byteOffset + e.offset, count);
      cache.set(name, arr);
      return arr;
    },
    scalar(name) {
      const v = header.scalars[name];
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ModelLoadError(`Model file lacks scalar "${name}".`);
      return v;
    },
  };
}

/** Serialise a model (used by tests to build random models; Python writes the real ones). */
export function writeModelFile(
  meta: Omit<ModelHeader, 'tensors' | 'format'>,
  tensors: Record<string, { dtype: DType; shape: number[]; data: IntArray }>,

): Uint8Array {
  const entries: Record<string, TensorEntry> = {};
  let offset = 0;
  const blobs = new Map<string, Uint8Array>();
  for (const [name, t] of Object.entries(tensors)) {
    const blob = t.dtype === 'i4' ? packInt4(t.data as Int8Array) : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    blobs.set(name, blob);
    entries[name] = { dtype: t.dtype, shape: t.shape, offset };
    offset = align(offset + blob.length, 64);
  }
  const json = new TextEncoder().encode(JSON.stringify({ format: MODEL_FORMAT_VERSION, ...meta, tensors: entries }));
  const dataStart = align(16 + json.length, 64);
  const out = new Uint8Array(dataStart + offset);
  out.set(new TextEncoder().encode(MODEL_MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, MODEL_FORMAT_VERSION, true);
  dv.setUint32(12, json.length, true);
  out.set(json, 16);
  for (const name of Object.keys(tensors)) out.set(blobs.get(name)!, dataStart + entries[name]!.offset);
  return out;
}
