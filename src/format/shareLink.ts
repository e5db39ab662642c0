/**
 * Archives in a URL fragment: `#z=` + base64url without padding. A fragment
 * never reaches a server, so the text stays between the two people.
 */
import { DamagedLinkError, TooLargeForLinkError } from '../codec/errors.js';

export const LINK_PREFIX = 'z=';
/** Default upper bound for a whole link, in characters. */
export const DEFAULT_LINK_LIMIT = 32 * 1024;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

export function fromBase64Url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new DamagedLinkError('The link is damaged (its data has an impossible length). Copy the whole link again.');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) throw new DamagedLinkError(`The link is damaged (unexpected character at position ${i}). Copy the whole link again.`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) {
    throw new DamagedLinkError('The link is damaged (its last characters do not decode). Copy the whole link again.');
  }
  return out;
}

/** `base` (a page URL) with the archive in its fragment. */
export function archiveToLink(archive: Uint8Array, base: string, limit = DEFAULT_LINK_LIMIT): string {
  const link = base.replace(/#.*$/, '') + '#' + LINK_PREFIX + toBase64Url(archive);
  if (link.length > limit) {
    throw new TooLargeForLinkError(`The archive is ${archive.length} bytes; as a link it would be ${link.length} characters, over the ${limit}-character limit. Download the .llmz file and send that instead.`);
  }
  return link;
}

/** The length a link for this archive would have. */
export function linkLength(archiveBytes: number, base: string): number {
  return base.replace(/#.*$/, '').length + 1 + LINK_PREFIX.length + Math.ceil((archiveBytes * 4) / 3);
}

export function fitsInLink(archiveBytes: number, base: string, limit = DEFAULT_LINK_LIMIT): boolean {
  return linkLength(archiveBytes, base) <= limit;
}

/** The archive in a link or fragment, or null when it carries none. */
export function linkToArchive(urlOrFragment: string): Uint8Array | null {
  const hash = urlOrFragment.includes('#') ? urlOrFragment.slice(urlOrFragment.indexOf('#') + 1) : urlOrFragment;
  const params = hash.split('&');
  const z = params.find((p) => p.startsWith(LINK_PREFIX));
  if (z === undefined) return null;
  const data = z.slice(LINK_PREFIX.length);
  if (data.length === 0) throw new DamagedLinkError('The link has no data after "#z=". Copy the whole link again.');
  return fromBase64Url(data);
}
