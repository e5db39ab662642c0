/**
 * Every archive llmz has ever made keeps decoding: tests/golden/ holds
 * archives written by the code of each release with its model
 * (scripts/make-golden.sh), decoded here the way the CLI does — the model
 * found by fingerprint in the registry, retired ones included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkToArchive } from '../../src/format/shareLink.js';
import { BYTES_MIXING, BYTES_MIXING_V2 } from '../../src/format/codingBlock.js';
import { readArchive } from '../../src/format/container.js';
import { modelForArchive } from '../../src/model/modelSource.js';
import { DEFAULT_MODEL } from '../../src/pipeline/defaults.js';
import { decompress } from '../../src/pipeline/decompressor.js';
import { nodeModels } from '../../src/platform/node/nodeModelSource.js';

const GOLDEN = join(process.cwd(), 'tests/golden');
const input = (name: string) => new Uint8Array(readFileSync(join(GOLDEN, 'inputs', name)));
/** Which input each archive was made from. */
const ORIGINAL: Record<string, string> = { 'message.llmz': 'message.txt', 'multichunk.llmz': 'multichunk.txt', 'random.llmz': 'random.bin', 'steering.llmz': 'multichunk.txt' };
const releases = readdirSync(GOLDEN).filter((d) => d.includes('@')).sort();

async function open(archive: Uint8Array): Promise<Uint8Array> {
  const needs = modelForArchive(readArchive(archive).header, await nodeModels.listModels(), DEFAULT_MODEL);
  const model = needs.kind === 'exact' ? await nodeModels.loadExact(needs.ref, 'wasm') : null;
  return decompress(archive, model);
}

describe('golden archives (tests/golden/)', () => {
  it('cover every released model', async () => {
    const listed = (await nodeModels.listModels()).map((m) => `${m.name}@${m.version}`).sort();
    expect(releases).toEqual(listed);
  });

  for (const release of releases) {
    it(`${release} (made by ${readFileSync(join(GOLDEN, release, 'MADE-BY'), 'utf8').trim()}): every archive and the link decode exactly`, async () => {
      const files = readdirSync(join(GOLDEN, release)).filter((f) => f.endsWith('.llmz'));
      expect(files).toEqual(expect.arrayContaining(['message.llmz', 'multichunk.llmz', 'random.llmz']));
      for (const f of files) expect(await open(new Uint8Array(readFileSync(join(GOLDEN, release, f))))).toEqual(input(ORIGINAL[f]!));
      const link = readFileSync(join(GOLDEN, release, 'message.link'), 'utf8').trim();
      const fromLink = linkToArchive(link)!;
      expect(fromLink).toEqual(new Uint8Array(readFileSync(join(GOLDEN, release, 'message.llmz'))));
      expect(await open(fromLink)).toEqual(input('message.txt'));
    });
  }

  // format version 2 (mixing, the line-ending transform): archives written by the commit in MADE-BY
  const FORMAT2: Record<string, string> = { 'mixing.llmz': 'mixing.txt', 'crlf.llmz': 'crlf.txt', 'message.llmz': 'mixing-message.txt', 'crlf-message.llmz': 'crlf-message.txt' };
  it(`format version 2 (made by ${readFileSync(join(GOLDEN, 'format2', 'MADE-BY'), 'utf8').trim()}): every archive and the link decode exactly`, async () => {
    for (const [f, original] of Object.entries(FORMAT2)) {
      const archive = new Uint8Array(readFileSync(join(GOLDEN, 'format2', f)));
      const { header } = readArchive(archive);
      expect(header.version).toBe(2);
      expect(await open(archive)).toEqual(input(original));
    }
    const mixing = readArchive(new Uint8Array(readFileSync(join(GOLDEN, 'format2', 'mixing.llmz')))).header;
    expect(mixing.chunks.filter((c) => c.mixed).length).toBeGreaterThan(mixing.chunks.length / 2);
    expect(readArchive(new Uint8Array(readFileSync(join(GOLDEN, 'format2', 'crlf.llmz')))).header.transform?.kind).toBe('lf');
    const fromLink = linkToArchive(readFileSync(join(GOLDEN, 'format2', 'message.link'), 'utf8').trim())!;
    expect(await open(fromLink)).toEqual(input('mixing-message.txt'));
  });

  // mixing ids 2 and 3 (the byte model's two versions): compact, CRLF, and a full form of three 64 KB chunks with a stored one between
  const BYTES: Record<string, string> = { 'bytes.llmz': 'bytes.txt', 'bytes-crlf.llmz': 'bytes-crlf.txt', 'multichunk.llmz': 'bytes-multichunk.bin' };
  for (const [dir, id] of [['format2-bytes', BYTES_MIXING], ['format2-bytes-v2', BYTES_MIXING_V2]] as const) {
    it(`the byte model's archives, mixing id ${id} (made by ${readFileSync(join(GOLDEN, dir, 'MADE-BY'), 'utf8').trim().split(' (')[0]}), decode exactly, with no model loaded`, async () => {
      for (const [f, original] of Object.entries(BYTES)) {
        const archive = new Uint8Array(readFileSync(join(GOLDEN, dir, f)));
        const { header } = readArchive(archive);
        expect(header.mixing?.id).toBe(id);
        expect(await decompress(archive, null)).toEqual(input(original));
      }
      const multi = readArchive(new Uint8Array(readFileSync(join(GOLDEN, dir, 'multichunk.llmz')))).header;
      expect(multi.chunks.map((c) => c.kind)).toEqual(['bytes', 'stored', 'bytes']);
      const fromLink = linkToArchive(readFileSync(join(GOLDEN, dir, 'bytes.link'), 'utf8').trim())!;
      expect(await open(fromLink)).toEqual(input('bytes.txt'));
    });
  }
});
