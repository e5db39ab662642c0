/** Models from disk for the Node front ends: the shipped ones in public/models/, or a folder the user names. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '../../codec/errors.js';
import type { BackendChoice } from '../../model/capabilities.js';
import type { HubChoice, HubDtype } from '../../model/hub/hubChoice.js';
import { loadExactModel, type LoadedModel } from '../../model/loadedModel.js';
import { findModel, offeredModels, type ModelListing, type ModelSource } from '../../model/modelSource.js';
import { DEFAULT_MODEL } from '../../pipeline/defaults.js';
import { nodeWebGpu } from './nodeWebGpu.js';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The model registry: index.json and the model folders (LLMZ_MODELS_DIR to keep it elsewhere, e.g. a package of retired models). */
export const MODELS_DIR = process.env.LLMZ_MODELS_DIR ? resolve(process.env.LLMZ_MODELS_DIR) : join(PACKAGE_ROOT, 'public/models');
export const WASM_KERNELS = join(PACKAGE_ROOT, 'src/model/exact/wasm/kernels.wasm');
export const ORT_WASM_DIR = join(PACKAGE_ROOT, 'node_modules/onnxruntime-web/dist/');
/** `--model hf:FOLDER`: a float model in the transformers.js layout. */
export const HUB_PREFIX = 'hf:';

let index: ModelListing[] | null = null;

/** public/models/index.json: every released model with its SHA-256 (read once). */
function shippedModels(): ModelListing[] {
  index ??= JSON.parse(readFileSync(join(MODELS_DIR, 'index.json'), 'utf8')) as ModelListing[];
  return index;
}

const RECOVERY = 'Restore it: reinstall llmz, or in a checkout run "git checkout -- public/models".';

/**
 * A listed model (findModel: a name or SHA-256), or — only for what the user
 * typed, never for a name from an archive — a folder or file path holding
 * model.bin + tokenizer.json. Listed models are checked against their SHA-256.
 */
export function resolveModel(ref: string = DEFAULT_MODEL): { dir: string; listed?: ModelListing } {
  const listed = findModel(shippedModels(), ref);
  if (listed) return { dir: join(MODELS_DIR, listed.path), listed };
  const p = resolve(ref);
  if (existsSync(p)) return { dir: statSync(p).isDirectory() ? p : dirname(p) };
  const names = [...new Set(offeredModels(shippedModels()).map((m) => m.name))].join(', ');
  throw new ModelLoadError(`Model "${ref}" not found: it is neither one of ${names} nor a folder at ${p}.`);
}

export const resolveModelDir = (ref?: string) => resolveModel(ref).dir;

async function loadExact(ref: string, backend: BackendChoice | 'reference'): Promise<LoadedModel> {
  const { dir, listed } = resolveModel(ref);
  const modelPath = join(dir, 'model.bin');
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(modelPath) || !existsSync(tokPath)) throw new ModelLoadError(`Model folder ${dir} needs model.bin and tokenizer.json.`);
  const expect = listed && { sha256: listed.sha256, name: `${listed.name}@${listed.version}`, recovery: RECOVERY };
  // Node has no navigator.gpu: WebGPU only when asked for, through the webgpu package
  const gpu = backend === 'webgpu' ? await nodeWebGpu() : undefined;
  return loadExactModel(new Uint8Array(readFileSync(modelPath)), readFileSync(tokPath, 'utf8'), { backend, wasmBytes: nodeModels.wasmKernels, expect, gpu });
}

/**
 * A float model from a local folder, run by onnxruntime-web's wasm in Node;
 * transformers.js loads only now. The CLI never downloads: fetch the folder
 * first (e.g. with git clone from the hub).
 */
async function loadHub(choice: HubChoice): Promise<LoadedModel> {
  const dir = resolve(choice.location);
  if (!existsSync(join(dir, 'config.json'))) {
    throw new ModelLoadError(`No model in the transformers.js layout at ${dir} (config.json missing). The CLI loads hub models from a local folder only; download it first.`);
  }
  const { loadHubModel } = await import('../../model/hub/loadHubModel.js');
  return loadHubModel({
    location: dir,
    dtype: choice.dtype,
    device: 'cpu',
    wasmPaths: ORT_WASM_DIR,
    threads: 1,
    readFile: async (name) => (existsSync(join(dir, name)) ? new Uint8Array(readFileSync(join(dir, name))) : null),
  });
}

export const nodeModels: ModelSource = {
  listModels: async () => shippedModels(),
  loadExact,
  loadHub,
  wasmKernels: async () => readFileSync(WASM_KERNELS),
};

/** What `--model` names: "hf:FOLDER" (a hub model), or an exact model's name or path (default: the default model). */
export function loadModelFromDisk(nameOrPath: string = DEFAULT_MODEL, backend: BackendChoice | 'reference' = 'auto', dtype?: HubDtype): Promise<LoadedModel> {
  if (nameOrPath.startsWith(HUB_PREFIX)) return loadHub({ location: nameOrPath.slice(HUB_PREFIX.length), remote: false, dtype, device: 'cpu' });
  return loadExact(nameOrPath, backend);
}
