/** Cutting a token stream into independent chunks, and spotting binary ones. */
import { utf8Runs } from '../model/utf8.js';

export interface ChunkPlan {
  /** Token range [tokenStart, tokenEnd) and byte range [byteStart, byteEnd). */
  tokenStart: number;
  tokenEnd: number;
  byteStart: number;
  byteEnd: number;
}

export function planChunks(ids: Int32Array, tokenBytes: Uint8Array[], chunkTokens: number): ChunkPlan[] {
  const plans: ChunkPlan[] = [];
  let byte = 0;
  for (let t = 0; t < ids.length; t += chunkTokens) {
    const end = Math.min(ids.length, t + chunkTokens);
    let bytes = 0;
    for (let i = t; i < end; i++) bytes += tokenBytes[ids[i]!]!.length;
    plans.push({ tokenStart: t, tokenEnd: end, byteStart: byte, byteEnd: byte + bytes });
    byte += bytes;
  }
  return plans;
}

/**
 * Chunks that are mostly not text (over 1/8 of the bytes invalid UTF-8 or
 * NUL) are stored as they are: a text model cannot shrink them, and running
 * it would only cost time.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  let bad = 0;
  for (const r of utf8Runs(bytes)) if (!r.valid) bad++;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) bad++;
  return bad * 8 > bytes.length;
}
