/**
 * Format version 2's coding block (docs/format.md, "Version 2"): how the
 * chunks were coded beyond the LM (adaptive mixing and its round width) and
 * which reversible transform the original went through before tokenizing.
 * The reader checks every number against the bytes present and the lengths
 * they must fit; nothing it returns is trusted further than that.
 */
import { CorruptArchiveError, UnsupportedVersionError } from '../codec/errors.js';
import type { ByteReader, ByteWriter } from './bytes.js';

/**
 * Mixing ids this llmz knows: 1 = the token mixer of docs/mixing.md; 2 and 3
 * = the byte model's two versions (chunks coded without the LM; 3 is what
 * the encoder writes, 2 is read for the archives made before it).
 */
export const TOKEN_MIXING = 1;
export const BYTES_MIXING = 2;
export const BYTES_MIXING_V2 = 3;
export const KNOWN_MIXING = [TOKEN_MIXING, BYTES_MIXING, BYTES_MIXING_V2] as const;
export const MAX_ROUND_WIDTH = 2 ** 20;
/** Table sizes a byte-model archive may ask for: id 2 allocates 6 x 3 x 2^bits bytes for them, id 3 10 x 4 x 2^bits (no more than its encoder writes). */
export const MIN_TABLE_BITS = 10;
export const MAX_TABLE_BITS = 22;
/** Id 3's largest tables: BYTE_MODEL_V2's own size, which its encoder never exceeds. */
export const MAX_TABLE_BITS_V2 = 20;

/** Whether a mixing id codes the chunks with the byte model (no LM). */
export function isByteMixing(id: number | undefined): boolean {
  return id === BYTES_MIXING || id === BYTES_MIXING_V2;
}

function tableBitsAllowed(id: number, bits: number): boolean {
  return bits >= MIN_TABLE_BITS && bits <= (id === BYTES_MIXING_V2 ? MAX_TABLE_BITS_V2 : MAX_TABLE_BITS);
}

export interface MixingInfo {
  /** Which mixer (docs/mixing.md): TOKEN_MIXING, BYTES_MIXING or BYTES_MIXING_V2. */
  id: number;
  /** Token mixing: the widest round, in chunks (docs/mixing.md, "Rounds"); 0 for the byte model, which has no rounds. */
  roundWidth: number;
  /** The byte model: log2 of its hashed tables' entries, MIN_TABLE_BITS..MAX_TABLE_BITS (sized to the input by the encoder). */
  tableBits?: number;
}

/** Line endings: the coded text has LF where the original had CR LF, except at the listed LFs. */
export interface LineFeedTransform {
  kind: 'lf';
  /** Length of the coded (transformed) text in bytes. */
  codedLength: number;
  /** Ordinals, ascending, of the coded text's LFs that stay LF (the original's lone LFs). */
  exceptions: number[];
}

export type Transform = LineFeedTransform;

export interface CodingBlock {
  mixing?: MixingInfo;
  transform?: Transform;
}

const TRANSFORM_NONE = 0;
const TRANSFORM_LF = 1;

export function writeCodingBlock(w: ByteWriter, block: CodingBlock): void {
  const m = block.mixing;
  w.varint(m ? m.id : 0);
  if (m?.id === TOKEN_MIXING) w.varint(m.roundWidth);
  if (m && isByteMixing(m.id)) {
    const bits = m.tableBits ?? -1;
    if (!tableBitsAllowed(m.id, bits)) throw new RangeError('byte-model table bits out of range');
    w.varint(bits);
  }
  const t = block.transform;
  w.varint(t ? TRANSFORM_LF : TRANSFORM_NONE);
  if (t) {
    w.varint(t.codedLength).varint(t.exceptions.length);
    let prev = -1;
    for (const e of t.exceptions) {
      if (!(e > prev)) throw new RangeError('line-feed exceptions must ascend');
      w.varint(e - prev - 1);
      prev = e;
    }
  }
}

export function readCodingBlock(r: ByteReader, version: number): CodingBlock {
  const block: CodingBlock = {};
  const mixingId = r.varint(32);
  if (mixingId) {
    if (!(KNOWN_MIXING as readonly number[]).includes(mixingId)) throw new UnsupportedVersionError(version * 1000 + 100 + mixingId, 2);
    const roundWidth = mixingId === TOKEN_MIXING ? r.varint(32) : 0;
    if (mixingId === TOKEN_MIXING && (roundWidth < 1 || roundWidth > MAX_ROUND_WIDTH)) throw new CorruptArchiveError('Damaged archive: impossible round width.');
    block.mixing = { id: mixingId, roundWidth };
    if (isByteMixing(mixingId)) {
      const tableBits = r.varint(32);
      if (!tableBitsAllowed(mixingId, tableBits)) throw new CorruptArchiveError('Damaged archive: impossible byte-model table size.');
      block.mixing.tableBits = tableBits;
    }
  }
  const transform = r.varint(32);
  if (transform === TRANSFORM_LF) {
    const codedLength = r.varint(49);
    const count = r.varint(49);
    // each exception is an LF of the coded text and takes a byte of the header
    if (count > codedLength || count > r.remaining) throw new CorruptArchiveError('Damaged archive: impossible line-ending exceptions.');
    const exceptions: number[] = new Array(count);
    let prev = -1;
    for (let i = 0; i < count; i++) {
      prev = prev + 1 + r.varint(49);
      if (prev >= codedLength) throw new CorruptArchiveError('Damaged archive: a line-ending exception lies past the text.');
      exceptions[i] = prev;
    }
    block.transform = { kind: 'lf', codedLength, exceptions };
  } else if (transform !== TRANSFORM_NONE) throw new UnsupportedVersionError(version * 1000 + 200 + transform, 2);
  return block;
}

/** Bytes the chunks decode to: the coded text's length (the original's without a transform). */
export function codedLength(block: CodingBlock, originalLength: number): number {
  return block.transform ? block.transform.codedLength : originalLength;
}

/** A transform's lengths must fit the original's: LF -> CR LF adds at most one byte per coded byte. */
export function checkTransformLengths(block: CodingBlock, originalLength: number): void {
  const t = block.transform;
  if (!t) return;
  if (t.codedLength > originalLength || originalLength > 2 * t.codedLength) throw new CorruptArchiveError('Damaged archive: its line-ending transform does not fit its length.');
}
