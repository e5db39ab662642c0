/**
 * The `.llmz` container, format versions 1 and 2. Byte layout: docs/format.md.
 * Version 2 adds the coding block (codingBlock.ts: mixing, transforms) and a
 * "mixed" bit per chunk; the writer uses it only when an archive needs it, so
 * archives coded by the LM alone are still version 1, byte for byte.
 * The reader never trusts a length before checking it against the bytes
 * present, and every failure is a typed LlmzError.
 */
import { crc32 } from '../codec/crc32.js';
import { CorruptArchiveError, NotAnArchiveError, TruncatedArchiveError, UnsupportedVersionError, WrongModelError } from '../codec/errors.js';
import { fromHex, toHex } from '../codec/hex.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { checkTransformLengths, isByteMixing, codedLength, readCodingBlock, writeCodingBlock, type CodingBlock } from './codingBlock.js';

export const MAGIC = [0x4c, 0x5a] as const; // "LZ"
/** The newest version this code reads and writes; it reads every version from 1. */
export const FORMAT_VERSION = 2;
const FLAG_EXTENSION = 1;
/** One chunk, short form: no name, 4-byte model fingerprint, no lengths the payload implies, no header check. */
const FLAG_COMPACT = 2;
/**
 * Chunk entries carry the model's soft prompt each chunk was coded after
 * (0: none, up to 7), packed into the entry's first varint as
 * (count * 8 + prompt) * 2 + stored: still 2 bytes for chunks of up to 1023
 * tokens, so the choice costs nothing where it matters.
 */
const FLAG_PROMPTS = 4;
export const MAX_PROMPTS = 7;
/**
 * The archive carries a prompt of its own, learned by the encoder on the
 * input (docs/steering.md), coded after the chunk table; chunks coded after
 * it name prompt ARCHIVE_PROMPT, so models may ship at most 6 prompts.
 */
const FLAG_ARCHIVE_PROMPT = 8;
export const ARCHIVE_PROMPT = 7;
export const MAX_MODEL_PROMPTS = ARCHIVE_PROMPT - 1;
const KNOWN_FLAGS = FLAG_EXTENSION | FLAG_COMPACT | FLAG_PROMPTS | FLAG_ARCHIVE_PROMPT;
export const MODEL_FINGERPRINT_BYTES = 8;
export const COMPACT_FINGERPRINT_BYTES = 4;
export const TOKENIZER_FINGERPRINT_BYTES = 4;
const MAX_NAME_BYTES = 64;
const MAX_ORIGINAL_LENGTH = 2 ** 48;

/** What an archive says about the model that coded it. */
export interface ModelStamp {
  /** Empty in compact archives: the decoder finds the model by fingerprint. */
  name: string;
  /** The SHA-256 of the model file, in hex, cut to its first 8 bytes (4 in compact archives). */
  fingerprint: string;
  /** The SHA-256 of tokenizer.json, in hex, cut to its first 4 bytes (empty in compact archives: the model file names its tokenizer). */
  tokenizerFingerprint: string;
  /** Which integer arithmetic (docs/numerics.md) or engine produced the probabilities. */
  numericsId: number;
}

/** 'bytes': coded by the byte model (version 2, mixing ids 2 and 3: docs/mixing.md); `count` is its length in bytes. */
export type ChunkKind = 'model' | 'stored' | 'bytes';

export interface ChunkEntry {
  kind: ChunkKind;
  /** Tokens coded (model chunks), or bytes (stored and byte-model chunks). */
  count: number;
  payloadLength: number;
  /** CRC-32 of the chunk's original bytes: version 1 only (version 2's whole CRC covers every chunk; writers may set it, it is not written). */
  crc32?: number;
  /** The model's soft prompt the chunk was coded after: 0 none, i the model's prompt i - 1 (docs/numerics.md). */
  prompt?: number;
  /** Version 2: coded by the adaptive mixer (docs/mixing.md) instead of the LM alone. */
  mixed?: boolean;
}

export interface ArchiveHeader extends CodingBlock {
  /** 1, or 2 when the header has a mixing or transform (written as needed: `versionFor`). */
  version: number;
  model: ModelStamp;
  chunkTokens: number;
  originalLength: number;
  chunks: ChunkEntry[];
  /** CRC-32 of the whole original (after undoing any transform). */
  crc32: number;
  /** Engine-specific metadata (e.g. hub models' backend); absent for the exact engine. */
  extension?: Uint8Array;
  /** The archive's own soft prompt, coded (src/steering/promptPriors.ts). */
  archivePrompt?: Uint8Array;
}

export interface ParsedArchive {
  header: ArchiveHeader;
  headerLength: number;
  /** Payload of chunk i. */
  payload(i: number): Uint8Array;
}

/** True when `writeArchive(…, { compact: true })` can use the short form. */
export function canBeCompact(header: Omit<ArchiveHeader, 'version'>): boolean {
  return header.chunks.length === 1 && !header.extension && !header.archivePrompt;
}

/**
 * The short form, for chat-sized messages where the 40-byte header would be
 * a sixth of the archive: 2+1+1 magic/version/flags, 4-byte fingerprint,
 * varint numerics, varint original length, varint count*2+stored, CRC-32; the payload follows.
 */
function compactHeader(header: Omit<ArchiveHeader, 'version'>): Uint8Array {
  const c = header.chunks[0]!;
  const prompts = usesPrompts(header);
  const version = versionFor(header);
  const w = new ByteWriter();
  w.u8(MAGIC[0]).u8(MAGIC[1]).u8(version).u8(FLAG_COMPACT | (prompts ? FLAG_PROMPTS : 0));
  w.bytes(fromHex(header.model.fingerprint.slice(0, 2 * COMPACT_FINGERPRINT_BYTES)));
  w.varint(header.model.numericsId).varint(header.originalLength);
  if (version >= 2) writeCodingBlock(w, header);
  w.varint(entryWord(c, prompts, version));
  // version 1: the chunk's CRC (= the original's); version 2: the original's, after undoing any transform
  w.u32(version >= 2 ? header.crc32 : c.crc32!);
  return w.finish();
}

/** Version 2 only where the archive needs it: mixing or a transform. */
export function versionFor(header: CodingBlock): number {
  return header.mixing || header.transform ? 2 : 1;
}

const usesPrompts = (header: Omit<ArchiveHeader, 'version'>) => header.chunks.some((c) => (c.prompt ?? 0) > 0);

/** An entry's first varint: count, kind, (with FLAG_PROMPTS) the prompt and (version 2) the mixed bit. */
function entryWord(c: ChunkEntry, prompts: boolean, version: number): number {
  const p = c.prompt ?? 0;
  if (p < 0 || p > MAX_PROMPTS || (p && !prompts)) throw new RangeError(`prompt index ${p} out of range`);
  if (c.mixed && (version < 2 || c.kind !== 'model')) throw new RangeError('only model chunks of version-2 archives can be mixed');
  if (c.kind === 'bytes' && (version < 2 || p)) throw new RangeError('byte-model chunks are version 2 and name no prompt');
  const counted = prompts ? c.count * 8 + p : c.count;
  const withMixed = version >= 2 ? counted * 2 + (c.mixed ? 1 : 0) : counted;
  return withMixed * 2 + (c.kind === 'stored' ? 1 : 0);
}

/** The inverse of entryWord; `bytes`: the archive's coded chunks are the byte model's (mixing ids 2 and 3). */
function splitEntryWord(v: number, prompts: boolean, version: number, bytes: boolean): { kind: ChunkKind; count: number; prompt: number; mixed: boolean } {
  const kind: ChunkKind = v % 2 ? 'stored' : bytes ? 'bytes' : 'model';
  let rest = Math.floor(v / 2);
  let mixed = false;
  if (version >= 2) {
    mixed = rest % 2 === 1;
    rest = Math.floor(rest / 2);
  }
  return prompts ? { kind, count: Math.floor(rest / 8), prompt: rest % 8, mixed } : { kind, count: rest, prompt: 0, mixed };
}

/**
 * The header bytes; the payloads follow it, in chunk order. Streaming writers
 * call this once every chunk is coded (the chunk table comes first).
 */
export function encodeHeader(header: Omit<ArchiveHeader, 'version'>, opts: { compact?: boolean } = {}): Uint8Array {
  if (opts.compact && canBeCompact(header)) return compactHeader(header);
  const prompts = usesPrompts(header);
  const version = versionFor(header);
  const w = new ByteWriter();
  const flags = (header.extension ? FLAG_EXTENSION : 0) | (prompts ? FLAG_PROMPTS : 0) | (header.archivePrompt ? FLAG_ARCHIVE_PROMPT : 0);
  if (!header.archivePrompt && header.chunks.some((c) => c.prompt === ARCHIVE_PROMPT)) throw new RangeError('a chunk names the archive prompt, which is missing');
  w.u8(MAGIC[0]).u8(MAGIC[1]).u8(version).u8(flags);
  const name = new TextEncoder().encode(header.model.name);
  if (name.length > MAX_NAME_BYTES) throw new RangeError('model name too long');
  const fingerprint = fromHex(header.model.fingerprint);
  const tokenizerFingerprint = fromHex(header.model.tokenizerFingerprint);
  if (fingerprint.length !== MODEL_FINGERPRINT_BYTES) throw new RangeError('model fingerprint must be 8 bytes');
  if (tokenizerFingerprint.length !== TOKENIZER_FINGERPRINT_BYTES) throw new RangeError('tokenizer fingerprint must be 4 bytes');
  w.u8(name.length).bytes(name).bytes(fingerprint).bytes(tokenizerFingerprint);
  w.varint(header.model.numericsId).varint(header.chunkTokens).varint(header.originalLength);
  if (version >= 2) writeCodingBlock(w, header);
  w.varint(header.chunks.length);
  for (const c of header.chunks) {
    w.varint(entryWord(c, prompts, version)).varint(c.payloadLength);
    // (version 2: no CRC per chunk; with mixing a chunk depends on those before it anyway, and the whole CRC checks them all)
    if (version === 1) w.u32(c.crc32!);
  }
  if (header.chunks.length !== 1 || version >= 2) w.u32(header.crc32);
  if (header.archivePrompt) w.varint(header.archivePrompt.length).bytes(header.archivePrompt);
  if (header.extension) w.varint(header.extension.length).bytes(header.extension);
  const headerBytes = w.finish();
  const check = crc32(headerBytes);
  w.u8(check & 0xff).u8((check >>> 8) & 0xff);
  return w.finish();
}

export function writeArchive(header: Omit<ArchiveHeader, 'version'>, payloads: Uint8Array[], opts: { compact?: boolean } = {}): Uint8Array {
  if (payloads.length !== header.chunks.length) throw new RangeError('one payload per chunk');
  header.chunks.forEach((c, i) => {
    if (payloads[i]!.length !== c.payloadLength) throw new RangeError(`chunk ${i}: payload length mismatch`);
  });
  const w = new ByteWriter().bytes(encodeHeader(header, opts));
  for (const p of payloads) w.bytes(p);
  return w.finish();
}

/** True when the bytes start like an llmz archive (for routing dropped files). */
export function looksLikeArchive(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === MAGIC[0] && bytes[1] === MAGIC[1];
}

/** A compact archive's model chunk has no recorded payload length: it is the rest of the archive. */
export const PAYLOAD_TO_END = -1;

export interface HeaderRead {
  header: ArchiveHeader;
  headerLength: number;
}

/**
 * Parses the header at the start of `bytes`. With `complete` false the bytes
 * may be only a prefix of the archive (a stream being read): a
 * TruncatedArchiveError then means "read more", and payload lengths are left
 * for the caller to check against what follows. A compact archive's model
 * chunk then has payloadLength PAYLOAD_TO_END.
 */
export function readArchiveHeader(bytes: Uint8Array, complete = true): HeaderRead {
  if (bytes.length < 2 || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) {
    if (!complete && bytes.length < 2 && (bytes.length === 0 || bytes[0] === MAGIC[0])) throw new TruncatedArchiveError('The archive is cut short.');
    throw new NotAnArchiveError('This is not an llmz archive (it does not start with the llmz signature). Pick a .llmz file or link made by llmz.');
  }
  const r = new ByteReader(bytes);
  r.bytes(2);
  const version = r.u8();
  if (version < 1 || version > FORMAT_VERSION) throw new UnsupportedVersionError(version, FORMAT_VERSION);
  const flags = r.u8();
  if (flags & ~KNOWN_FLAGS || ((flags & FLAG_COMPACT) && (flags & (FLAG_EXTENSION | FLAG_ARCHIVE_PROMPT)))) throw new UnsupportedVersionError(version * 1000 + flags, FORMAT_VERSION);
  if (flags & FLAG_COMPACT) return readCompactHeader(bytes, r, version, complete, (flags & FLAG_PROMPTS) !== 0);
  const nameLength = r.u8();
  if (nameLength > MAX_NAME_BYTES) throw new CorruptArchiveError('Damaged archive: model name too long.');
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(r.bytes(nameLength));
  } catch (e) {
    if (e instanceof TypeError) throw new CorruptArchiveError('Damaged archive: model name is not text.');
    throw e;
  }
  const fingerprint = toHex(r.bytes(MODEL_FINGERPRINT_BYTES));
  const tokenizerFingerprint = toHex(r.bytes(TOKENIZER_FINGERPRINT_BYTES));
  const numericsId = r.varint(32);
  const chunkTokens = r.varint(32);
  const originalLength = r.varint(49);
  if (originalLength > MAX_ORIGINAL_LENGTH) throw new CorruptArchiveError('Damaged archive: impossible original length.');
  const block = version >= 2 ? readCodingBlock(r, version) : {};
  checkTransformLengths(block, originalLength);
  // what the chunks decode to: the coded text
  const textLength = codedLength(block, originalLength);
  const chunkCount = r.varint(40);
  // Every chunk holds at least one byte of the original.
  if (chunkCount > textLength) throw new CorruptArchiveError('Damaged archive: more chunks than bytes.');
  // (an entry takes at least 6 bytes in version 1, 2 in version 2)
  if (complete && chunkCount * (version === 1 ? 6 : 2) > r.remaining) throw new TruncatedArchiveError('The archive is cut short: its chunk table needs more bytes than the file has. Get the complete file or link again.');
  const chunks: ChunkEntry[] = [];
  let storedTotal = 0;
  let tokenTotal = 0;
  for (let i = 0; i < chunkCount; i++) {
    const { kind, count, prompt, mixed } = splitEntryWord(r.varint(53), (flags & FLAG_PROMPTS) !== 0, version, isByteMixing(block.mixing?.id));
    const payloadLength = r.varint(49);
    const c = version === 1 ? r.u32() : undefined;
    if (mixed && (kind !== 'model' || !block.mixing)) throw new CorruptArchiveError(`Damaged archive: chunk ${i} is marked mixed where it cannot be.`);
    if (kind === 'bytes') checkBytesChunk(count, payloadLength, prompt, `chunk ${i}`);
    if (kind === 'stored' && prompt) throw new CorruptArchiveError(`Damaged archive: stored chunk ${i} names a prompt.`);
    if (kind === 'stored' && payloadLength !== count) throw new CorruptArchiveError(`Damaged archive: stored chunk ${i} has inconsistent lengths.`);
    if (kind === 'model' && count === 0) throw new CorruptArchiveError(`Damaged archive: chunk ${i} codes no tokens.`);
    if (kind === 'model' && payloadLength > maxModelPayload(count)) throw new CorruptArchiveError(`Damaged archive: chunk ${i} is longer than ${count} tokens can be.`);
    if (kind === 'model') tokenTotal += count;
    else storedTotal += count;
    chunks.push({ kind, count, payloadLength, ...(c !== undefined ? { crc32: c } : {}), prompt, ...(mixed ? { mixed } : {}) });
  }
  if (storedTotal > textLength) throw new CorruptArchiveError('Damaged archive: its chunks exceed the original length.');
  // every token stands for at least one byte: more tokens than bytes is a claim no encoder makes (and decoding it would be wasted work)
  if (tokenTotal + storedTotal > textLength) throw new CorruptArchiveError('Damaged archive: it claims more tokens than the original has bytes.');
  const whole = chunkCount === 1 && version === 1 ? chunks[0]!.crc32! : r.u32();
  let archivePrompt: Uint8Array | undefined;
  if (flags & FLAG_ARCHIVE_PROMPT) {
    const n = r.varint(24);
    archivePrompt = r.bytes(n).slice();
  } else if (chunks.some((c) => c.prompt === ARCHIVE_PROMPT)) throw new CorruptArchiveError("Damaged archive: a chunk names the archive's prompt, which it does not have.");
  let extension: Uint8Array | undefined;
  if (flags & FLAG_EXTENSION) {
    const n = r.varint(24);
    extension = r.bytes(n).slice();
  }
  const check = crc32(bytes.subarray(0, r.pos)) & 0xffff;
  const stored = r.u8() | (r.u8() << 8);
  if (check !== stored) throw new CorruptArchiveError('The archive header is damaged (checksum mismatch). Get the file or link again.');
  return {
    header: { version, model: { name, fingerprint, tokenizerFingerprint, numericsId }, chunkTokens, originalLength, chunks, crc32: whole, extension, archivePrompt, ...block },
    headerLength: r.pos,
  };
}

/**
 * The most bytes a model chunk of `count` tokens can code to: every token's
 * frequency is at least 1 of 2^24, so at most 24 bits, plus the coder's flush.
 */
export function maxModelPayload(count: number): number {
  return 3 * count + 8;
}

/** The most bytes a byte-model chunk of `count` bytes can code to: every bit's probability is at least 1 of 2^16, plus the flush. */
export function maxBytesPayload(count: number): number {
  return 16 * count + 8;
}

/** The most payload a coded chunk's entry allows. */
export function maxPayload(entry: ChunkEntry): number {
  return entry.kind === 'bytes' ? maxBytesPayload(entry.count) : maxModelPayload(entry.count);
}

function checkBytesChunk(count: number, payloadLength: number, prompt: number, which: string): void {
  if (count === 0) throw new CorruptArchiveError(`Damaged archive: ${which} codes no bytes.`);
  if (prompt) throw new CorruptArchiveError(`Damaged archive: ${which} names a prompt the byte model cannot use.`);
  if (payloadLength !== PAYLOAD_TO_END && payloadLength > maxBytesPayload(count)) throw new CorruptArchiveError(`Damaged archive: ${which} is longer than ${count} bytes can be.`);
}

export function readArchive(bytes: Uint8Array): ParsedArchive {
  const { header, headerLength } = readArchiveHeader(bytes, true);
  const payloadTotal = header.chunks.reduce((n, c) => n + c.payloadLength, 0);
  if (headerLength + payloadTotal > bytes.length) {
    throw new CorruptArchiveError(`The archive is incomplete: ${bytes.length - headerLength} of ${payloadTotal} payload bytes present. Get the complete file or link again.`);
  }
  if (headerLength + payloadTotal < bytes.length) {
    throw new CorruptArchiveError(`The archive has ${bytes.length - headerLength - payloadTotal} unexpected trailing byte(s): it was damaged or joined with other data.`);
  }
  const offsets: number[] = [];
  let off = headerLength;
  for (const c of header.chunks) {
    offsets.push(off);
    off += c.payloadLength;
  }
  return { header, headerLength, payload: (i) => bytes.subarray(offsets[i]!, offsets[i]! + header.chunks[i]!.payloadLength) };
}

function readCompactHeader(bytes: Uint8Array, r: ByteReader, version: number, complete: boolean, prompts: boolean): HeaderRead {
  const fingerprint = toHex(r.bytes(COMPACT_FINGERPRINT_BYTES));
  const numericsId = r.varint(32);
  const originalLength = r.varint(49);
  if (originalLength > MAX_ORIGINAL_LENGTH) throw new CorruptArchiveError('Damaged archive: impossible original length.');
  const block = version >= 2 ? readCodingBlock(r, version) : {};
  checkTransformLengths(block, originalLength);
  const textLength = codedLength(block, originalLength);
  const { kind, count, prompt, mixed } = splitEntryWord(r.varint(53), prompts, version, isByteMixing(block.mixing?.id));
  // version 1: the chunk's CRC, which is the original's; version 2: the original's
  const whole = r.u32();
  const headerLength = r.pos;
  if (mixed && (kind !== 'model' || !block.mixing)) throw new CorruptArchiveError('Damaged archive: the chunk is marked mixed where it cannot be.');
  const payloadLength = kind === 'stored' ? count : complete ? bytes.length - headerLength : PAYLOAD_TO_END;
  if (kind === 'stored' && count !== textLength) throw new CorruptArchiveError('Damaged archive: the stored data does not have the length the header gives.');
  if (kind === 'stored' && complete && count > bytes.length - headerLength) {
    throw new TruncatedArchiveError(`The archive is incomplete: ${bytes.length - headerLength} of ${count} bytes present. Get the complete file or link again.`);
  }
  if (kind === 'stored' && complete && count < bytes.length - headerLength) {
    throw new CorruptArchiveError('The archive has unexpected trailing bytes: it was damaged or joined with other data.');
  }
  if (kind === 'model' && (count === 0 || textLength === 0)) throw new CorruptArchiveError('Damaged archive: the chunk codes no tokens.');
  if (count > textLength) throw new CorruptArchiveError('Damaged archive: it claims more tokens than the original has bytes.');
  if (kind === 'stored' && prompt) throw new CorruptArchiveError('Damaged archive: a stored chunk names a prompt.');
  if (prompt === ARCHIVE_PROMPT) throw new CorruptArchiveError("Damaged archive: the chunk names the archive's prompt, which it does not have.");
  if (kind === 'model' && payloadLength > maxModelPayload(count)) throw new CorruptArchiveError(`Damaged archive: the chunk is longer than ${count} tokens can be.`);
  if (kind === 'bytes') checkBytesChunk(count, payloadLength, prompt, 'the chunk');
  return {
    header: {
      version,
      model: { name: '', fingerprint, tokenizerFingerprint: '', numericsId },
      chunkTokens: count,
      originalLength,
      chunks: [{ kind, count, payloadLength, ...(version === 1 ? { crc32: whole } : {}), prompt, ...(mixed ? { mixed } : {}) }],
      crc32: whole,
      ...block,
    },
    headerLength,
  };
}

/** Throws WrongModelError when the archive needs a model other than `loaded` (only if it has model-coded chunks). */
export function checkModel(header: ArchiveHeader, loaded: ModelStamp): void {
  if (!header.chunks.some((c) => c.kind === 'model')) return;
  const need = header.model;
  // compact archives carry shorter fingerprints and none for the tokenizer (the model file names it)
  const same =
    need.numericsId === loaded.numericsId && loaded.fingerprint.startsWith(need.fingerprint) && loaded.tokenizerFingerprint.startsWith(need.tokenizerFingerprint);
  if (!same) {
    const detail = `weights ${need.fingerprint}${need.tokenizerFingerprint ? `, tokenizer ${need.tokenizerFingerprint}` : ''}, numerics ${need.numericsId}`;
    throw new WrongModelError(need.name || `#${need.fingerprint}`, loaded.name, detail);
  }
}
