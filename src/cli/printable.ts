/**
 * Text from an archive, made safe for a terminal: control characters (C0,
 * DEL, C1 — escape sequences start with them) and bidirectional overrides are
 * shown as escapes instead of being printed raw.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
