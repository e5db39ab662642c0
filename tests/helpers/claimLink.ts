/**
 * Prints a share link of a valid-looking compact archive of the default model
 * that claims 2,047 one-byte tokens in 2 payload bytes: minutes of decoding on
 * a slow device, which the page must show (claimed size, cancel) before doing it.
 */
import { encodeHeader } from '../../src/format/container.js';
import { archiveToLink } from '../../src/format/shareLink.js';

const header = encodeHeader(
  {
    model: { name: '', fingerprint: 'e1f2259f8d701601', tokenizerFingerprint: 'ac45f292', numericsId: 1 },
    chunkTokens: 2047,
    originalLength: 2047,
    chunks: [{ kind: 'model', count: 2047, payloadLength: 2, crc32: 0 }],
    crc32: 0,
  },
  { compact: true },
);
process.stdout.write(archiveToLink(new Uint8Array([...header, 0x55, 0x55]), 'http://x/'));
