/** Finding and loading models from disk for the Node front ends. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '../codec/errors.js';
import { loadExactModel, type LoadedModel, type LoadOptions } from '../model/loadedModel.js';
import { loadHubModel, type HubDtype } from '../model/hub/loadHubModel.js';

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

/** The shipped model whose model.bin SHA-256 starts with `fingerprint` (compact archives name no model). */
export function modelByFingerprint(fingerprint: Uint8Array): string | undefined {
  const want = Array.from(fingerprint, (b) => b.toString(16).padStart(2, '0')).join('');
  for (const name of readdirSync(MODELS_DIR)) {
    const file = join(MODELS_DIR, name, 'model.bin');
    if (existsSync(file) && createHash('sha256').update(readFileSync(file)).digest('hex').startsWith(want)) return name;
  }
  return undefined;
}

export const ORT_WASM_DIR = join(PACKAGE_ROOT, 'node_modules/onnxruntime-web/dist/');

export const HUB_PREFIX = 'hf:';

/**
 * A float model in the transformers.js layout from a local folder ("hf:PATH"),
 * run by onnxruntime-web's wasm in Node. The CLI never downloads: fetch the
 * folder first (e.g. with git clone from the hub).
 */
export async function loadHubModelFromDisk(spec: string, dtype?: HubDtype): Promise<LoadedModel> {
  const dir = resolve(spec.slice(HUB_PREFIX.length));
  if (!existsSync(join(dir, 'config.json'))) {
    throw new ModelLoadError(`No model in the transformers.js layout at ${dir} (config.json missing). The CLI loads hub models from a local folder only; download it first.`);
  }
  return loadHubModel({
    location: dir,
    dtype,
    device: 'cpu',
    wasmPaths: ORT_WASM_DIR,
    threads: 1,
    readFile: async (name) => (existsSync(join(dir, name)) ? new Uint8Array(readFileSync(join(dir, name))) : null),
  });
}

export async function loadModelFromDisk(nameOrPath?: string, backend: LoadOptions['backend'] = 'auto', dtype?: HubDtype): Promise<LoadedModel> {
  if (nameOrPath?.startsWith(HUB_PREFIX)) return loadHubModelFromDisk(nameOrPath, dtype);
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
