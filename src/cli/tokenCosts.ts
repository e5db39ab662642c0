/**
 * `llmz bpc IN --tokens`: what each token cost as the archive coded it, as
 * TSV for a notebook (one row per span of the BitsMap: a token, or a run of
 * stored bytes). The text column is escaped so a row is always one line and
 * a terminal never sees a control character.
 */
import { PREDICTED_BY, type BitsMap } from '../pipeline/bitsMap.js';
import { printable } from './printable.js';

export const TSV_HEADER = 'offset\tbytes\tbits\tpredicted_by\ttext';

const NAMES = Object.fromEntries(Object.entries(PREDICTED_BY).map(([name, code]) => [code, name])) as Record<number, string>;
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const hex = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`;

/** A token's bytes as one TSV field: \t \n \r \\ and control characters escaped; bytes that are not valid UTF-8 on their own (a token may hold part of a character) as \xNN. */
export function tsvText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = strict.decode(bytes);
  } catch {
    return Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : hex(b))).join('');
  }
  // the TSV's own escapes first, then every other control character as llmz info shows them
  return printable(text.replace(/[\\\t\n\r]/g, (c) => TSV_ESCAPES[c]!));
}

/** The rows, header first; stored runs longer than `maxText` bytes show only their start. */
export function* tokenCostRows(map: BitsMap, original: Uint8Array, maxText = 64): Generator<string> {
  yield TSV_HEADER;
  let at = 0;
  for (let i = 0; i < map.lengths.length; i++) {
    const n = map.lengths[i]!;
    const piece = original.subarray(at, at + Math.min(n, map.predictedBy[i] === PREDICTED_BY.stored ? maxText : n));
    yield `${at}\t${n}\t${map.bits[i]!.toFixed(4)}\t${NAMES[map.predictedBy[i]!] ?? 'unknown'}\t${tsvText(piece)}`;
    at += n;
  }
}
