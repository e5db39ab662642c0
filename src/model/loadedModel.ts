/** A model ready to code: engine + tokenizer + the identity archives record. */
import { ModelLoadError } from '../codec/errors.js';
import { ByteTokenizer } from './tokenizer.js';
import type { Engine, ModelIdentity } from './types.js';
import { parseModelFile } from './exact/modelFile.js';
import { weightsOf } from './exact/weights.js';
import { ReferenceEngine } from './exact/reference.js';

export interface LoadedModel {
  identity: ModelIdentity;
  engine: Engine;
  tokenizer: ByteTokenizer;
  /** Longest chunk (in tokens) the model was trained for. */
  contextTokens: number;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Build the exact engine's model from its two files. */
export async function loadExactModel(modelBytes: Uint8Array, tokenizerText: string): Promise<LoadedModel> {
  const file = parseModelFile(modelBytes);
  const tokenizerSha256 = await sha256Hex(new TextEncoder().encode(tokenizerText));
  if (file.header.tokenizer_sha256 && file.header.tokenizer_sha256 !== tokenizerSha256) {
    throw new ModelLoadError(`The tokenizer does not belong to model "${file.header.name}" (hash mismatch). Use the tokenizer.json shipped with the model.`);
  }
  const tokenizer = new ByteTokenizer(JSON.parse(tokenizerText));
  const config = file.header.config;
  if (tokenizer.vocabSize > config.vocab) throw new ModelLoadError('The tokenizer has more tokens than the model.');
  const identity: ModelIdentity = {
    name: file.header.name,
    sha256: await sha256Hex(modelBytes),
    tokenizerSha256,
    numericsId: file.header.numerics,
    config,
  };
  const engine = new ReferenceEngine(identity, weightsOf(file));
  const trained = file.header.scalars['train_context'];
  return { identity, engine, tokenizer, contextTokens: Math.min(config.maxPos - 1, trained ?? config.maxPos - 1) };
}
