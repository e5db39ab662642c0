/**
 * Loading a float causal LM for the hub engine: from a local folder or URL in
 * the transformers.js layout (config.json, tokenizer.json, onnx/model*.onnx),
 * or by hub id when the user opted in to downloading it.
 */
import { AutoModelForCausalLM, env } from '@huggingface/transformers';
import { ModelLoadError } from '../../codec/errors.js';
import { sha256Hex, type LoadedModel } from '../loadedModel.js';
import { ByteTokenizer } from '../tokenizer.js';
import type { ModelIdentity } from '../types.js';
import { HubEngine } from './hubEngine.js';
import { HUB_NUMERICS_ID } from './hubStamp.js';

import type { HubDevice, HubDtype } from './hubChoice.js';

export interface HubSource {
  /** Folder path (Node), URL (browser) or hub id ("HuggingFaceTB/SmolLM2-135M"). */
  location: string;
  /** A hub id is only fetched from the network when this is true (the user opted in). */
  remote?: boolean;
  revision?: string;
  dtype?: HubDtype;
  device?: HubDevice;
  /** Where onnxruntime-web's .wasm/.mjs files are (self-hosted; never a CDN). */
  wasmPaths: string;
  /** Reads a file of the model (config.json, tokenizer.json, tokenizer_config.json). */
  readFile: (name: string) => Promise<Uint8Array | null>;
  /** Describes the device the numbers come from (e.g. the WebGPU adapter). */
  deviceDescription?: () => Promise<string>;
  onDownload?: (file: string, loaded: number, total: number) => void;
  threads?: number;
  /** The fetch transformers.js uses for the model's weights (the browser's checks status, content type and time). */
  fetch?: (input: string | URL, init?: RequestInit) => Promise<Response>;
}

interface ConfigJson {
  model_type?: string;
  vocab_size?: number;
  hidden_size?: number;
  n_embd?: number;
  num_hidden_layers?: number;
  n_layer?: number;
  num_attention_heads?: number;
  n_head?: number;
  num_key_value_heads?: number;
  intermediate_size?: number;
  max_position_embeddings?: number;
  n_positions?: number;
  bos_token_id?: number | number[];
  eos_token_id?: number | number[];
}

const first = (v: number | number[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Splits "…/parent/name" into transformers.js's (localModelPath, id). */
function splitLocation(location: string): [string, string] {
  const trimmed = location.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  return cut < 0 ? ['./', trimmed] : [trimmed.slice(0, cut + 1), trimmed.slice(cut + 1)];
}

export async function loadHubModel(src: HubSource): Promise<LoadedModel> {
  const text = async (name: string, required: boolean) => {
    const bytes = await src.readFile(name).catch(() => null);
    if (!bytes && required) throw new ModelLoadError(`The model at ${src.location} has no ${name}; llmz needs the transformers.js layout (config.json, tokenizer.json, onnx/model.onnx).`);
    return bytes ? new TextDecoder().decode(bytes) : null;
  };
  /** JSON, or a ModelLoadError that says which file is not (a web page where a model file should be, usually). */
  const json = <T>(name: string, body: string): T => {
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new ModelLoadError(`${src.location} is not a model folder: its ${name} is not JSON${/^\s*</.test(body) ? ' (the server answered with a web page)' : ''}. Check the address: llmz needs the transformers.js layout (config.json, tokenizer.json, onnx/model.onnx).`);
    }
  };
  const configText = (await text('config.json', true))!;
  const tokenizerText = (await text('tokenizer.json', true))!;
  const tokenizerConfig = json<{ bos_token?: string | { content: string } }>('tokenizer_config.json', (await text('tokenizer_config.json', false)) ?? '{}');
  const config = json<ConfigJson>('config.json', configText);
  const tokenizer = new ByteTokenizer(json('tokenizer.json', tokenizerText));

  const dtype = src.dtype ?? 'fp32';
  const device = src.device ?? 'wasm';
  env.allowRemoteModels = !!src.remote;
  env.allowLocalModels = !src.remote;
  env.backends.onnx.wasm!.wasmPaths = src.wasmPaths;
  if (src.fetch) env.fetch = src.fetch;
  if (src.threads) env.backends.onnx.wasm!.numThreads = src.threads;
  let id = src.location;
  if (!src.remote) [env.localModelPath, id] = splitLocation(src.location);
  let model;
  try {
    model = await AutoModelForCausalLM.from_pretrained(id, {
      dtype,
      device,
      revision: src.revision,
      progress_callback: (p: { status: string; file?: string; loaded?: number; total?: number }) => {
        if (p.status === 'progress' && p.file) src.onDownload?.(p.file, p.loaded ?? 0, p.total ?? 0);
      },
    });
  } catch (e) {
    throw new ModelLoadError(`Could not load the model at ${src.location} (${dtype} on ${device}): ${(e as Error).message}`);
  }

  const bosText = typeof tokenizerConfig.bos_token === 'string' ? tokenizerConfig.bos_token : tokenizerConfig.bos_token?.content;
  const bosId = first(config.bos_token_id) ?? first(config.eos_token_id) ?? (bosText !== undefined ? tokenizer.tokenBytes.findIndex((b) => new TextDecoder().decode(b) === bosText) : -1);
  if (bosId === undefined || bosId < 0) throw new ModelLoadError('The model names no start (bos) or end-of-text token to start each chunk with.');
  const vocab = config.vocab_size ?? tokenizer.vocabSize;
  const heads = config.num_attention_heads ?? config.n_head ?? 1;
  const revision = src.remote ? (src.revision ?? 'main') : 'local';
  const identity: ModelIdentity = {
    name: (src.remote ? 'hf:' : '') + splitLocation(src.location)[1],
    // What decides the numbers besides the device: config, tokenizer, dtype, revision.
    sha256: await sha256Hex(new TextEncoder().encode([configText, tokenizerText, dtype, revision].join('\u0000'))),
    tokenizerSha256: await sha256Hex(new TextEncoder().encode(tokenizerText)),
    numericsId: HUB_NUMERICS_ID,
    config: {
      vocab,
      dim: config.hidden_size ?? config.n_embd ?? 0,
      layers: config.num_hidden_layers ?? config.n_layer ?? 0,
      heads,
      kvHeads: config.num_key_value_heads ?? heads,
      ffn: config.intermediate_size ?? 0,
      maxPos: config.max_position_embeddings ?? config.n_positions ?? 2048,
      bos: bosId,
    },
  };
  const backend = device === 'cpu' ? 'wasm' : device; // in Node "cpu" is onnxruntime-web's wasm too (stubs/onnxruntime-node)
  const description = (await src.deviceDescription?.()) ?? `onnxruntime-web ${backend}`;
  const engine = new HubEngine(identity, { dtype, backend, device: description, revision }, model);
  // Chunks of 512 tokens keep the per-step KV cache small; longer contexts pay little more.
  return { identity, engine, tokenizer, contextTokens: Math.min(512, identity.config.maxPos - 1) };
}
