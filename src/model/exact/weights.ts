/** Typed views of a parsed model file, named after docs/numerics.md. */
import { ModelLoadError } from '../../codec/errors.js';
import type { ModelConfig } from '../types.js';
import type { ModelFile } from './modelFile.js';

export interface Linear {
  w: Int8Array; // [out][in]
  m: Int32Array;
  s: Int32Array;
  out: number;
  in: number;
}

export interface Norm {
  g: Int32Array;
  gs: number;
}

export interface Layer {
  attnNorm: Norm;
  wq: Linear;
  wk: Linear;
  wv: Linear;
  wo: Linear;
  attM: number;
  attS: number;
  aoM: number;
  aoS: number;
  mlpNorm: Norm;
  wgate: Linear;
  wup: Linear;
  wdown: Linear;
  aM: number;
  aS: number;
}

export interface ExactWeights {
  config: ModelConfig;
  headDim: number;
  embed: Int8Array;
  embedM: Int32Array;
  embedS: Int32Array;
  headM: Int32Array;
  headS: Int32Array;
  finalNorm: Norm;
  layers: Layer[];
  ropeCos: Int16Array;
  ropeSin: Int16Array;
  silu: Int16Array;
  /** Domain soft prompts shipped with the model: P x dim residual values each. */
  prompts: SoftPrompt[];
}

export interface SoftPrompt {
  name: string;
  vectors: Int32Array;
}

export function weightsOf(file: ModelFile): ExactWeights {
  const c = file.header.config;
  const hd = c.dim / c.heads;
  if (!Number.isInteger(hd) || hd % 2 || c.heads % c.kvHeads) throw new ModelLoadError('Model config is inconsistent (head sizes).');
  const t = <T>(name: string, ctor: new (...a: never[]) => T, length: number): T => {
    const a = file.tensor(name);
    if (!(a instanceof ctor) || a.length !== length) throw new ModelLoadError(`Model tensor "${name}" has the wrong type or size.`);
    return a as T;
  };
  const lin = (name: string, out: number, inn: number): Linear => ({
    w: t(`${name}`, Int8Array, out * inn),
    m: t(`${name}.m`, Int32Array, out),
    s: t(`${name}.s`, Int32Array, out),
    out,
    in: inn,
  });
  const norm = (name: string): Norm => ({ g: t(`${name}.g`, Int32Array, c.dim), gs: file.scalar(`${name}.gs`) });
  const kv = c.kvHeads * hd;
  const layers: Layer[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `layers.${l}`;
    layers.push({
      attnNorm: norm(`${p}.attn_norm`),
      wq: lin(`${p}.wq`, c.dim, c.dim),
      wk: lin(`${p}.wk`, kv, c.dim),
      wv: lin(`${p}.wv`, kv, c.dim),
      wo: lin(`${p}.wo`, c.dim, c.dim),
      attM: file.scalar(`${p}.att_m`),
      attS: file.scalar(`${p}.att_s`),
      aoM: file.scalar(`${p}.ao_m`),
      aoS: file.scalar(`${p}.ao_s`),
      mlpNorm: norm(`${p}.mlp_norm`),
      wgate: lin(`${p}.wgate`, c.ffn, c.dim),
      wup: lin(`${p}.wup`, c.ffn, c.dim),
      wdown: lin(`${p}.wdown`, c.dim, c.ffn),
      aM: file.scalar(`${p}.a_m`),
      aS: file.scalar(`${p}.a_s`),
    });
  }
  const names = file.header.prompt_names ?? [];
  const prompts: SoftPrompt[] = [];
  if (names.length) {
    const e = file.header.tensors['prompts'];
    const [k, p, dim] = e?.shape ?? [];
    if (!e || e.shape.length !== 3 || k !== names.length || dim !== c.dim || !p || p + 2 > c.maxPos) throw new ModelLoadError('Model soft prompts have the wrong shape.');
    const all = t('prompts', Int32Array, k * p * dim);
    names.forEach((name, i) => prompts.push({ name, vectors: all.subarray(i * p * dim, (i + 1) * p * dim) }));
  }
  return {
    config: c,
    headDim: hd,
    prompts,
    embed: t('embed', Int8Array, c.vocab * c.dim),
    embedM: t('embed.m', Int32Array, c.vocab),
    embedS: t('embed.s', Int32Array, c.vocab),
    headM: t('head.m', Int32Array, c.vocab),
    headS: t('head.s', Int32Array, c.vocab),
    finalNorm: norm('final_norm'),
    layers,
    ropeCos: t('rope.cos', Int16Array, c.maxPos * (hd / 2)),
    ropeSin: t('rope.sin', Int16Array, c.maxPos * (hd / 2)),
    silu: t('silu', Int16Array, 4096),
  };
}
