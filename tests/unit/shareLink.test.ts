import { describe, expect, it } from 'vitest';
import { DamagedLinkError, TooLargeForLinkError } from '../../src/codec/errors.js';
import { archiveToLink, fitsInLink, fromBase64Url, linkLength, linkToArchive, toBase64Url } from '../../src/format/shareLink.js';
import { rng } from '../helpers/fixtures.js';

describe('share links', () => {
  it('base64url round-trips every length, without padding', () => {
    const r = rng(9);
    for (let n = 0; n < 100; n++) {
      const b = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
      const s = toBase64Url(b);
      expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(s.length).toBe(Math.ceil((n * 4) / 3));
      expect(fromBase64Url(s)).toEqual(b);
      // agrees with Node's own encoder
      expect(s).toBe(Buffer.from(b).toString('base64url'));
    }
  });

  it('puts the archive in #z= and reads it back', () => {
    const a = Uint8Array.from([0x4c, 0x5a, 1, 0, 250, 251, 252]);
    const link = archiveToLink(a, 'https://llmz.example/app/#old');
    expect(link.startsWith('https://llmz.example/app/#z=')).toBe(true);
    expect(linkToArchive(link)).toEqual(a);
    expect(linkToArchive('#z=' + toBase64Url(a))).toEqual(a);
    expect(linkToArchive('https://llmz.example/')).toBeNull();
    expect(linkLength(a.length, 'https://llmz.example/app/')).toBe(link.length);
  });

  it('rejects damaged links with a clear error', () => {
    expect(() => linkToArchive('#z=abc$def')).toThrow(DamagedLinkError);
    expect(() => linkToArchive('#z=a')).toThrow(DamagedLinkError);
    expect(() => linkToArchive('#z=')).toThrow(DamagedLinkError);
    expect(() => fromBase64Url('AB')).toThrow(DamagedLinkError); // non-zero trailing bits
  });

  it('refuses archives too big for a link', () => {
    const big = new Uint8Array(30000);
    expect(fitsInLink(big.length, 'https://x/')).toBe(false);
    expect(() => archiveToLink(big, 'https://x/')).toThrow(TooLargeForLinkError);
    expect(fitsInLink(1000, 'https://x/')).toBe(true);
  });
});
