/** Finding and loading models from disk for the Node front ends. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '../codec/errors.js';
import { loadExactModel, type LoadedModel, type LoadOptions } from '../model/loadedModel.js';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS_DIR = join(PACKAGE_ROOT, 'public/models');
export const DEFAULT_MODEL = 'llmz-base';

/** A model by name (public/models/NAME) or by path (a folder with model.bin + tokenizer.json). */
export function resolveModelDir(nameOrPath: string = DEFAULT_MODEL): string {
  const byName = join(MODELS_DIR, nameOrPath);
  if (/^[\w.-]+$/.test(nameOrPath) && existsSync(byName)) return byName;
  const p = resolve(nameOrPath);
  if (existsSync(p)) return statSync(p).isDirectory() ? p : dirname(p);
  throw new ModelLoadError(`Model "${nameOrPath}" not found (looked in ${MODELS_DIR} and at ${p}).`);
}

export const WASM_KERNELS = join(PACKAGE_ROOT, 'src/model/exact/wasm/kernels.wasm');

export async function loadModelFromDisk(nameOrPath?: string, backend: LoadOptions['backend'] = 'auto'): Promise<LoadedModel> {
  const dir = resolveModelDir(nameOrPath);
  const modelPath = join(dir, 'model.bin');
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(modelPath) || !existsSync(tokPath)) {
    throw new ModelLoadError(`Model folder ${dir} needs model.bin and tokenizer.json.`);
  }
  return loadExactModel(new Uint8Array(readFileSync(modelPath)), readFileSync(tokPath, 'utf8'), {
    backend,
    wasmBytes: async () => readFileSync(WASM_KERNELS),
  });
}
