/**
 * What a hub-model archive records in the container's extension block: how
 * the chunks were batched (the decoder must batch them the same way) and
 * where the numbers came from, so a decoder elsewhere can warn before trying.
 *
 *   u8 0x48 ('H'), u8 version = 1, varint batch rows,
 *   then four strings (varint length + UTF-8): dtype, backend, device, revision
 */
import { CorruptArchiveError, UnsupportedVersionError } from '../../codec/errors.js';
import { ByteReader, ByteWriter } from '../../format/bytes.js';
import type { EngineOrigin } from '../types.js';

/** numerics id of archives coded by a float model through onnxruntime (docs/format.md). */
export const HUB_NUMERICS_ID = 256;
const TAG = 0x48;
const VERSION = 1;

export interface HubStamp extends EngineOrigin {
  /** Rows per lockstep batch: the decoder must group chunks the same way. */
  batch: number;
}

export function writeHubStamp(s: HubStamp): Uint8Array {
  const w = new ByteWriter();
  w.u8(TAG).u8(VERSION).varint(s.batch);
  for (const text of [s.dtype, s.backend, s.device, s.revision]) {
    const b = new TextEncoder().encode(text.slice(0, 200));
    w.varint(b.length).bytes(b);
  }
  return w.finish();
}

export function readHubStamp(bytes: Uint8Array | undefined): HubStamp {
  if (!bytes || bytes.length < 2 || bytes[0] !== TAG) throw new CorruptArchiveError('Damaged archive: the hub-model record is missing.');
  if (bytes[1] !== VERSION) throw new UnsupportedVersionError(bytes[1]!, VERSION);
  const r = new ByteReader(bytes);
  r.bytes(2);
  const batch = r.varint(16);
  if (batch < 1) throw new CorruptArchiveError('Damaged archive: hub-model batch size 0.');
  const text = () => {
    const n = r.varint(16);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(r.bytes(n));
    } catch (e) {
      if (e instanceof TypeError) throw new CorruptArchiveError('Damaged archive: the hub-model record is not text.');
      throw e;
    }
  };
  return { batch, dtype: text(), backend: text(), device: text(), revision: text() };
}

/** Differences that may change the numbers, in words; empty when none. */
export function stampDifferences(made: HubStamp, here: EngineOrigin): string[] {
  const out: string[] = [];
  if (made.dtype !== here.dtype) out.push(`dtype ${made.dtype} here ${here.dtype}`);
  if (made.backend !== here.backend) out.push(`backend ${made.backend} here ${here.backend}`);
  if (made.device !== here.device) out.push(`device "${made.device}" here "${here.device}"`);
  if (made.revision !== here.revision) out.push(`revision ${made.revision} here ${here.revision}`);
  return out;
}
