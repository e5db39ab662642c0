/**
 * Where models come from, as one interface each platform implements once
 * (src/platform/browser/browserModelSource.ts, src/platform/node/nodeModelSource.ts),
 * and the one function that decides which model an archive needs.
 */
import type { ArchiveHeader, ModelStamp } from '../format/container.js';
import type { BackendChoice } from './capabilities.js';
import type { HubChoice } from './hub/hubChoice.js';
import { HUB_NUMERICS_ID } from './hub/hubStamp.js';
import type { LoadedModel } from './loadedModel.js';

/**
 * One entry of public/models/index.json, the registry of every model ever
 * released (written by scripts/model-index.mjs). Archives name a model by a
 * prefix of its SHA-256, so a retired model still opens its old archives.
 */
export interface ModelListing {
  name: string;
  /** Counts up each time a model of this name is replaced. */
  version: number;
  /** 'default': compresses unless the user picks another; 'available': offered; 'retired': only opens old archives. */
  status: 'default' | 'available' | 'retired';
  description: string;
  bytes: number;
  /** SHA-256 of model.bin, hex: checked before first use; archives name their model by its first bytes. */
  sha256: string;
  tokenizerSha256: string;
  numerics: number;
  /** Its folder (model.bin, tokenizer.json), relative to the folder of index.json. */
  path: string;
  /** The commit that released it. */
  released: string;
}

/**
 * The listed model `ref` names: a full SHA-256, or a name (then the current
 * model of that name, never a retired one).
 */
export function findModel(listing: ModelListing[], ref: string): ModelListing | undefined {
  return /^[0-9a-f]{64}$/.test(ref) ? listing.find((l) => l.sha256 === ref) : listing.find((l) => l.name === ref && l.status !== 'retired');
}

/** The models to offer for compressing (the default first). */
export const offeredModels = (listing: ModelListing[]) => listing.filter((l) => l.status !== 'retired').sort((a, b) => Number(b.status === 'default') - Number(a.status === 'default'));

/** Bytes of a model downloaded so far. */
export type LoadListener = (loaded: number, total: number) => void;

export interface ModelSource {
  /** The models this copy of llmz ships (empty when the index cannot be read). */
  listModels(): Promise<ModelListing[]>;
  /**
   * An exact model by registry reference (findModel: a name or a SHA-256;
   * Node: also a path the user gave), checked against the registry's SHA-256
   * before use (ModelIntegrityError). 'reference' is the line-by-line spec engine.
   */
  loadExact(name: string, backend: BackendChoice | 'reference', onLoad?: LoadListener): Promise<LoadedModel>;
  /** A float hub model; transformers.js and onnxruntime load only now. */
  loadHub(choice: HubChoice, onLoad?: LoadListener): Promise<LoadedModel>;
  /** The compiled wasm kernels (src/model/exact/wasm/kernels.wasm). */
  wasmKernels(): Promise<BufferSource>;
}

/** What an archive needs to decode. */
export type ArchiveModel =
  /** Every chunk is stored: no model at all. */
  | { kind: 'none' }
  /** A hub model: the user must choose it (its name is what the archive says). */
  | { kind: 'hub'; name: string }
  /**
   * An exact model: `ref` is the SHA-256 of the listed model whose
   * fingerprint the archive carries (retired ones too), or else `fallback`
   * (which then meets WrongModelError, naming what the archive needs). A name
   * inside an archive is never used to find a model: it is not trusted, and
   * several releases share one.
   */
  | { kind: 'exact'; ref: string; listed: ModelListing | undefined };

/** The listed model with the archive's fingerprint (8 bytes in full archives, 4 in compact ones) and numerics. */
export function listedModelFor({ fingerprint, numericsId }: ModelStamp, listing: ModelListing[]): ModelListing | undefined {
  return fingerprint ? listing.find((l) => l.sha256.startsWith(fingerprint) && l.numerics === numericsId) : undefined;
}

export function modelForArchive(header: ArchiveHeader, listing: ModelListing[], fallback: string): ArchiveModel {
  if (!header.chunks.some((c) => c.kind === 'model')) return { kind: 'none' };
  if (header.model.numericsId === HUB_NUMERICS_ID) return { kind: 'hub', name: header.model.name };
  const listed = listedModelFor(header.model, listing);
  return { kind: 'exact', ref: listed?.sha256 ?? fallback, listed };
}
