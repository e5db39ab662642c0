/** A model ready to code: engine + tokenizer + the identity archives record. */
import { ModelIntegrityError, ModelLoadError } from '../codec/errors.js';
import { toHex } from '../codec/hex.js';
import { ByteTokenizer } from './tokenizer.js';
import type { AnyEngine, ModelIdentity } from './types.js';
import { parseModelFile } from './exact/modelFile.js';
import { weightsOf, type ExactWeights, type SoftPrompt } from './exact/weights.js';
import { ReferenceEngine } from './exact/reference.js';
import { FastEngine } from './exact/fastEngine.js';
import { TsKernels } from './exact/kernels.js';
import { WasmKernels } from './exact/wasmKernels.js';
import { WebGpuEngine } from './exact/webgpu/webgpuEngine.js';
import type { Kernels } from './exact/kernels.js';
import { backendOrder, type BackendChoice } from './capabilities.js';
import { chooseFaster, type BackendCache } from './backendChoice.js';

export interface LoadedModel {
  identity: ModelIdentity;
  engine: AnyEngine;
  tokenizer: ByteTokenizer;
  /** Longest chunk (in tokens) the model was trained for. */
  contextTokens: number;
  /** Domain soft prompts the encoder may try on each chunk (exact models only; index i+1 in archives). */
  prompts?: SoftPrompt[];
  /** The exact engine's integer weights (the encoder learns archive prompts on them). */
  weights?: ExactWeights;
  /** Why the engine runs on its backend: asked for, measured faster, or what was passed over and why. */
  backendReason?: string;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return toHex(new Uint8Array(digest));
}

export interface LoadOptions {
  /** 'auto' (default) picks the best available; 'reference' is the line-by-line spec engine. */
  backend?: BackendChoice | 'reference';
  /** The compiled kernels (src/model/exact/wasm/kernels.wasm), needed for the wasm backend. */
  wasmBytes?: () => Promise<BufferSource>;
  /** The model file's SHA-256 as the model list gives it: other bytes are refused (ModelIntegrityError) before any use. */
  expect?: { sha256: string; name?: string; recovery: string };
  /** Workers that will run the wasm backend at once (the app's codec worker and helpers): weighs it against WebGPU. */
  wasmWorkers?: number;
  /** Keeps the measured choice between WebGPU and wasm per device (src/model/backendChoice.ts). */
  backendCache?: BackendCache;
  /** WebGPU's entry point where it is not navigator.gpu (in Node: the `webgpu` package's). */
  gpu?: GPU;
}

const BACKEND_LABEL = { webgpu: 'WebGPU', wasm: 'wasm', ts: 'TypeScript' } as const;

/** The engine and why it runs on its backend (the app's footer says it). */
interface Created {
  engine: AnyEngine;
  reason: string;
}

async function createEngine(identity: ModelIdentity, weights: ReturnType<typeof weightsOf>, opts: LoadOptions): Promise<Created> {
  const choice = opts.backend ?? 'auto';
  if (choice === 'reference') return { engine: new ReferenceEngine(identity, weights), reason: 'asked for' };
  let lastError: unknown;
  const passedOver: string[] = [];
  // Instantiated at most once: WebGPU's frequency tables are made by it, and
  // when WebGPU is refused the same instance serves the wasm backend.
  let wasm: Promise<WasmKernels> | null = null;
  const wasmKernels = () =>
    (wasm ??= opts.wasmBytes
      ? opts.wasmBytes().then((b) => WasmKernels.create(b))
      : Promise.reject(new ModelLoadError('The wasm kernels were not provided.')));
  const why = () => (choice !== 'auto' ? 'asked for' : passedOver.length ? passedOver.join('; ') : 'the fastest this runtime has');
  for (const backend of backendOrder(choice)) {
    try {
      if (backend === 'webgpu') {
        const cpu: Kernels | undefined = await wasmKernels().catch(() => undefined);
        // auto: only a hardware adapter is worth it; asked for by name: any adapter
        const engine = await WebGpuEngine.create(identity, weights, { cpu, allowSoftware: choice === 'webgpu', gpu: opts.gpu });
        if (choice === 'webgpu' || !cpu) return { engine, reason: why() };
        return await fasterOf(engine, new FastEngine(identity, weights, cpu), `${identity.sha256} ${engine.adapter} ${opts.wasmWorkers ?? 1}`, opts);
      }
      if (backend === 'wasm') return { engine: new FastEngine(identity, weights, await wasmKernels()), reason: why() };
      return { engine: new FastEngine(identity, weights, new TsKernels()), reason: why() };
    } catch (e) {
      lastError = e;
      passedOver.push(`${BACKEND_LABEL[backend]} not used: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw lastError instanceof Error ? lastError : new ModelLoadError('No engine backend could start.');
}

/** Hardware WebGPU beside wasm, backend left to us: the faster on this device (src/model/backendChoice.ts). */
async function fasterOf(gpu: WebGpuEngine, cpu: FastEngine, key: string, opts: LoadOptions): Promise<Created> {
  const { winner, reason } = await chooseFaster(
    [
      { name: 'webgpu', engine: gpu, parallel: 1 },
      { name: 'wasm', engine: cpu, parallel: opts.wasmWorkers ?? 1 },
    ],
    key,
    opts.backendCache,
    gpu.identity.config.vocab,
  );
  return { engine: winner.engine, reason };
}

/** Build the exact engine's model from its two files. */
export async function loadExactModel(modelBytes: Uint8Array, tokenizerText: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const sha256 = await sha256Hex(modelBytes);
  if (opts.expect && opts.expect.sha256 !== sha256) {
    // (the name in a damaged file may itself be damaged: the model list's is not)
    throw new ModelIntegrityError(opts.expect.name ?? 'unknown', opts.expect.sha256, sha256, opts.expect.recovery);
  }
  const file = parseModelFile(modelBytes);
  const tokenizerSha256 = await sha256Hex(new TextEncoder().encode(tokenizerText));
  if (file.header.tokenizer_sha256 && file.header.tokenizer_sha256 !== tokenizerSha256) {
    throw new ModelLoadError(`The tokenizer does not belong to model "${file.header.name}" (hash mismatch). Use the tokenizer.json shipped with the model.`);
  }
  const config = file.header.config;
  // Read when first used: the chunk workers never tokenize, and a parsed tokenizer is ~9 MB per thread.
  let tokenizer: ByteTokenizer | null = null;
  const readTokenizer = () => {
    let json: ConstructorParameters<typeof ByteTokenizer>[0];
    try {
      json = JSON.parse(tokenizerText);
    } catch (e) {
      throw new ModelLoadError(`The tokenizer could not be read: ${(e as Error).message}`);
    }
    const t = new ByteTokenizer(json);
    if (t.vocabSize > config.vocab) throw new ModelLoadError('The tokenizer has more tokens than the model.');
    return t;
  };
  const identity: ModelIdentity = {
    name: file.header.name,
    sha256,
    tokenizerSha256,
    numericsId: file.header.numerics,
    config,
  };
  const weights = weightsOf(file);
  const { engine, reason } = await createEngine(identity, weights, opts);
  const trained = file.header.scalars['train_context'];
  const P = weights.prompts[0] ? weights.prompts[0].vectors.length / config.dim : 0;
  // a prompt takes positions ahead of the chunk: chunks stay within the trained context with it
  return {
    identity,
    engine,
    backendReason: reason,
    get tokenizer() {
      return (tokenizer ??= readTokenizer());
    },
    contextTokens: Math.min(config.maxPos - 1 - P, trained ?? config.maxPos - 1),
    prompts: weights.prompts,
    weights,
  };
}
