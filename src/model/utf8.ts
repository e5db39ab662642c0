/**
 * Split bytes into runs of valid UTF-8 and single invalid bytes. The same
 * rules as training/bpe_tokenizer.py (`utf8_runs`), so both sides tokenize alike.
 */
export interface ByteRun {
  start: number;
  end: number;
  valid: boolean;
}

/** Length of the valid UTF-8 sequence starting at i, or 0 if the byte there starts none. */
export function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number) => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 > 0x9f) return 0; // surrogates
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xf0 && c1 < 0x90) return 0; // overlong
    if (c === 0xf4 && c1 > 0x8f) return 0; // beyond U+10FFFF
    return 4;
  }
  return 0;
}

export function utf8Runs(b: Uint8Array): ByteRun[] {
  const runs: ByteRun[] = [];
  let i = 0;
  let start = 0;
  while (i < b.length) {
    const n = utf8SequenceLength(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (i > start) runs.push({ start, end: i, valid: true });
    runs.push({ start: i, end: i + 1, valid: false });
    i += 1;
    start = i;
  }
  if (i > start) runs.push({ start, end: i, valid: true });
  return runs;
}
