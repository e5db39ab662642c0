/**
 * The compressor's side of a learned archive prompt: when to learn one, and
 * at the end whether it paid for itself. Chunks coded after it carry their
 * best coding without it (chunkCoder's `fallback`), so dropping the prompt
 * needs no second pass: their entries and payloads are swapped back.
 */
import { ARCHIVE_PROMPT, type ChunkEntry } from '../format/container.js';
import type { CodedPrompt, PriorKind } from '../steering/promptPriors.js';
import { SourceReader, type ByteSource } from './byteStreams.js';
import type { CodedChunk } from './chunkCoder.js';

export interface ArchivePromptOptions {
  /** Prior the prompt is coded under (default: empirical, the cheapest measured; docs/steering.md). */
  prior?: PriorKind;
  /** Use this prompt instead of learning one (benchmarks compare priors on one learned prompt). */
  coded?: CodedPrompt;
  /** Learn only when the input is expected to have at least this many chunks (default 32). */
  minChunks?: number;
  /** Gradient steps (default 16). */
  steps?: number;
  /** Chunks of the input it learns from (default 6). */
  sampleChunks?: number;
  /** 'if-smaller' (default): dropped unless it pays for itself; 'always': kept (to measure its net effect). */
  keep?: 'if-smaller' | 'always';
}

/** Bytes a varint of `n` takes. */
const varintBytes = (n: number) => Math.max(1, Math.ceil(Math.log2(n + 1) / 7));

/** Chunks coded after the archive prompt, by entry index: their fallback and the payload length they were spooled with. */
export class ArchivePromptLedger {
  private readonly swaps = new Map<number, { fallback: CodedChunk; spooled: number }>();

  constructor(
    readonly prompt: CodedPrompt,
    private readonly keep: 'if-smaller' | 'always' = 'if-smaller',
  ) {}

  note(entryIndex: number, coded: CodedChunk): void {
    if (coded.prompt === ARCHIVE_PROMPT && coded.fallback) this.swaps.set(entryIndex, { fallback: coded.fallback, spooled: coded.payload.length });
  }

  /** Bytes the prompt saved in the payloads, minus what it costs in the header. */
  netBytes(): number {
    let saved = 0;
    for (const { fallback, spooled } of this.swaps.values()) saved += fallback.payload.length - spooled;
    return saved - this.prompt.bytes.length - varintBytes(this.prompt.bytes.length);
  }

  /**
   * Keeps the prompt when it pays (true); otherwise rewrites the entries to
   * their fallbacks and returns false (then payloads come from `splice`).
   */
  settle(entries: ChunkEntry[]): boolean {
    if (this.keep === 'always' || (this.swaps.size && this.netBytes() > 0)) return true;
    for (const [i, { fallback }] of this.swaps) {
      entries[i]!.prompt = fallback.prompt;
      entries[i]!.payloadLength = fallback.payload.length;
    }
    return false;
  }

  /** The spooled payloads with the fallbacks in place of the swapped ones (`lengths`: what was spooled per entry). */
  async *splice(spooled: ByteSource, lengths: number[]): ByteSource {
    const reader = new SourceReader(spooled);
    for (let i = 0; i < lengths.length; i++) {
      const swap = this.swaps.get(i);
      if (swap) {
        await reader.read(lengths[i]!);
        yield swap.fallback.payload;
        continue;
      }
      for (let left = lengths[i]!; left > 0; ) {
        const piece = await reader.readSome(Math.min(left, 1 << 20));
        if (!piece.length) throw new Error('spool shorter than its entries');
        left -= piece.length;
        yield piece;
      }
    }
  }
}
