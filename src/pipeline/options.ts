/** What callers can ask of compression and decompression (one set of options for both directions). */
import type { ArchivePromptOptions } from './archivePromptLedger.js';
import type { PayloadSpool } from './byteStreams.js';
import type { Steering } from './chunkCoder.js';
import type { ProgressListener } from './progress.js';
import type { ChunkRunner } from './runner.js';

/** Something the user should know before the result (e.g. an archive made on another kind of device). */
export type WarningListener = (message: string) => void;

export interface CodingOptions {
  /** Tokens per chunk (default: the model's training context). */
  chunkTokens?: number;
  /** Chunks run through the engine together (local runner; default CPU_BATCH, LOCKSTEP_BATCH for hub models). */
  batch?: number;
  /** Where chunks are coded (default: this thread). */
  runner?: ChunkRunner;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  onWarning?: WarningListener;
  /** Keep chunks the model cannot shrink as raw bytes (default true). */
  storeIncompressible?: boolean;
  /** Decode the new archive and check it before returning (default: on for hub models, off for the exact engine). */
  verify?: boolean;
  /** One-chunk archives in the short form (docs/format.md), default true. */
  compact?: boolean;
  /** Whether chunks may be coded after one of the model's domain soft prompts (default 'off'; docs/steering.md). */
  steering?: Steering;
  /** Adaptive context mixing (docs/mixing.md; default true): exact engines, steering other than 'max'. */
  mixing?: boolean;
  /** With mixing: also code the text with the byte model alone and keep that archive when it is smaller (default true; docs/mixing.md, "Mixing id 2"). */
  byteModel?: boolean;
  /** Model chunks per mixing round (default DEFAULT_ROUND_WIDTH): wider decodes more chunks at once, narrower sees more history. */
  roundWidth?: number;
  /** Code CRLF text as LF (default true; docs/format.md, "Transforms"). */
  lineEndings?: boolean;
  /** Keep what each token cost as it was coded (the bits view: bitsMap.ts) and return it with the result (not with steering 'max'). */
  recordBits?: boolean;
  /** Under steering 'max': the prompt learned on the input (default: learned for big inputs, kept only when it pays); false: never. */
  archivePrompt?: ArchivePromptOptions | false;
}

export interface StreamOptions extends CodingOptions {
  /** Size of the input when known: progress percentages and ETA. */
  totalBytes?: number;
  /** Where payloads wait for the header (default: memory). */
  spool?: PayloadSpool;
}
