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

/** One entry of public/models/index.json. */
export interface ModelListing {
  name: string;
  description: string;
  bytes: number;
  /** SHA-256 of model.bin, hex: archives name their model by its first bytes. */
  sha256: string;
}

/** Bytes of a model downloaded so far. */
export type LoadListener = (loaded: number, total: number) => void;

export interface ModelSource {
  /** The models this copy of llmz ships (empty when the index cannot be read). */
  listModels(): Promise<ModelListing[]>;
  /** An exact model by name (Node: a path too); 'reference' is the line-by-line spec engine. */
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
   * An exact model: `name` is a shipped model found by the archive's name or
   * fingerprint, or else `fallback` (which then meets WrongModelError, naming
   * what the archive needs). Names from an archive are only ever matched
   * against the listing, never used as paths.
   */
  | { kind: 'exact'; name: string; shipped: boolean };

/** The shipped model an archive names: by name (full form), or by fingerprint (compact form, which names none). */
export function shippedModelFor({ name, fingerprint }: ModelStamp, listing: ModelListing[]): ModelListing | undefined {
  return listing.find((l) => (name ? l.name === name : l.sha256.startsWith(fingerprint)));
}

export function modelForArchive(header: ArchiveHeader, listing: ModelListing[], fallback: string): ArchiveModel {
  if (!header.chunks.some((c) => c.kind === 'model')) return { kind: 'none' };
  if (header.model.numericsId === HUB_NUMERICS_ID) return { kind: 'hub', name: header.model.name };
  const found = shippedModelFor(header.model, listing);
  return found ? { kind: 'exact', name: found.name, shipped: true } : { kind: 'exact', name: fallback, shipped: false };
}
