/**
 * Prints (JSON on stdout) bad inputs for the browser's error test, each with
 * the message the decoder gives for it here in Node: the page must show
 * exactly that message, which proves the error crossed the worker boundary
 * of the production build with its class (else the page says "Something went
 * wrong"). Run with tsx.
 */
import { WrongModelError } from '../../src/codec/errors.js';
import { archiveToLink, linkToArchive } from '../../src/format/shareLink.js';
import type { LoadedModel } from '../../src/model/loadedModel.js';
import { compress } from '../../src/pipeline/compressor.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';

const TEXT = new TextEncoder().encode('A message that will not arrive whole: the link was cut short on its way, or the file was damaged.\n');
const model = await loadModelFromDisk('llmz-base', 'wasm');

/** The message decoding `archive` (or reading `link`) fails with here. */
async function failureOf(job: () => Promise<unknown>): Promise<{ name: string; message: string; needed?: string }> {
  try {
    await job();
  } catch (e) {
    const err = e as Error;
    return { name: err.name, message: err.message, needed: e instanceof WrongModelError ? e.needed : undefined };
  }
  throw new Error('expected a failure');
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const archive = await compress(TEXT, model, { compact: false });

// a link cut short: the fragment loses its last characters on the way (cut where base64url still decodes: whole 4-character groups)
const link = archiveToLink(archive, 'http://x/');
const dataStart = link.indexOf('#z=') + 3;
const cut = link.slice(0, dataStart + 4 * Math.floor((link.length - dataStart - 12) / 4));
const truncatedLink = { fragment: cut.slice(cut.indexOf('#')), ...(await failureOf(async () => decompress(linkToArchive(cut)!, model))) };

// a damaged file: one payload byte flipped
const damaged = archive.slice();
damaged[damaged.length - 3]! ^= 0x20;
const damagedFile = { archive: b64(damaged), ...(await failureOf(() => decompress(damaged, model))) };

// archives of models this copy does not have: one naming its model (full form), one by fingerprint only (compact)
const stranger: LoadedModel = { ...model, identity: { ...model.identity, name: 'llmz-mystery', sha256: 'ab'.repeat(32) } };
const named = await compress(TEXT, stranger, { compact: false });
const compact = await compress(TEXT, stranger);
const wrongModel = { archive: b64(named), ...(await failureOf(() => decompress(named, model))) };
const wrongModelCompact = { archive: b64(compact), ...(await failureOf(() => decompress(compact, model))) };

process.stdout.write(JSON.stringify({ truncatedLink, damagedFile, wrongModel, wrongModelCompact }));
