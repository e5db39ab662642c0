/**
 * Nothing inside an archive is trusted: names are identifiers looked up in the
 * registry (never paths, never hub references), text from an archive reaches
 * the terminal escaped, and claims that contradict each other fail in the
 * header reader — before any model work, so they cost no decoding time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptArchiveError } from '../../src/codec/errors.js';
import { crc32 } from '../../src/codec/crc32.js';
import { encodeHeader, readArchive, type ModelStamp } from '../../src/format/container.js';
import { HUB_NUMERICS_ID } from '../../src/model/hub/hubStamp.js';
import { modelForArchive } from '../../src/model/modelSource.js';
import { nodeModels } from '../../src/platform/node/nodeModelSource.js';

const dir = mkdtempSync(join(tmpdir(), 'llmz-attack-'));
const llmz = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
const TEXT = new TextEncoder().encode('hello, hello, hello\n');

/** A full-form archive whose header says what we like, with a 4-byte payload. */
function crafted(model: Partial<ModelStamp>, claims: { originalLength?: number; count?: number } = {}): Uint8Array {
  const stamp: ModelStamp = { name: 'llmz-base', fingerprint: '00'.repeat(8), tokenizerFingerprint: 'ac45f292', numericsId: 1, ...model };
  const payload = new Uint8Array([1, 2, 3, 4]);
  const header = encodeHeader({
    model: stamp,
    chunkTokens: 512,
    originalLength: claims.originalLength ?? TEXT.length,
    chunks: [{ kind: 'model', count: claims.count ?? 5, payloadLength: payload.length, crc32: crc32(TEXT) }],
    crc32: crc32(TEXT),
  });
  return new Uint8Array([...header, ...payload]);
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

let listing: Awaited<ReturnType<typeof nodeModels.listModels>>;
beforeAll(async () => {
  listing = await nodeModels.listModels();
});

describe('names inside an archive', () => {
  it('a path as the model name is never opened: the real model folder named by path gives WrongModelError', () => {
    const realFolder = resolve('public/models/llmz-base');
    for (const name of [realFolder, '../../../../etc/passwd', 'llmz-base/../llmz-lite']) {
      const archive = crafted({ name });
      expect(modelForArchive(readArchive(archive).header, listing, 'llmz-base')).toMatchObject({ kind: 'exact', ref: 'llmz-base', listed: undefined });
      const r = llmz('decompress', file('path.llmz', archive), '-o', join(dir, 'out'), '-f');
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('WrongModelError');
      expect(r.stderr).toContain(`made with model "${name}"`);
    }
  });

  it('an "hf:" name reaches no hub loader: as an exact model it is unknown, as a hub model the user must pass --model', () => {
    let r = llmz('decompress', file('hf.llmz', crafted({ name: 'hf:/tmp' })), '-o', join(dir, 'out'), '-f');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('WrongModelError');
    r = llmz('decompress', file('hub.llmz', crafted({ name: 'hf:/tmp', numericsId: HUB_NUMERICS_ID })), '-o', join(dir, 'out'), '-f');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('pass --model hf:<folder of that model>');
  });

  it('llmz info shows control characters in a name as escapes, never raw', () => {
    const evil = 'x\u001b[2J\u001b]0;owned\u0007\u009b31m\u202e';
    const r = llmz('info', file('ctl.llmz', crafted({ name: evil })));
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(r.stdout).toContain('x\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{9b}31m\\u{202e}');
  });
});

describe('claims that contradict each other fail in the header reader, before any model work', () => {
  it('more tokens than the original has bytes (full form)', () => {
    expect(() => readArchive(crafted({}, { count: TEXT.length + 1 }))).toThrow(CorruptArchiveError);
    expect(() => readArchive(crafted({}, { count: TEXT.length }))).not.toThrow();
  });

  it('more tokens than bytes, and huge counts (compact form)', () => {
    const stamp: ModelStamp = { name: '', fingerprint: 'e1f2259f8d701601', tokenizerFingerprint: 'ac45f292', numericsId: 1 };
    for (const count of [TEXT.length + 1, 2 ** 40]) {
      const header = encodeHeader(
        { model: stamp, chunkTokens: 512, originalLength: TEXT.length, chunks: [{ kind: 'model', count, payloadLength: 2, crc32: 0 }], crc32: 0 },
        { compact: true },
      );
      expect(header.length).toBeLessThan(24);
      expect(() => readArchive(new Uint8Array([...header, 7, 7]))).toThrow(CorruptArchiveError);
    }
  });

  it('a joined archive (cat a.llmz a.llmz) is refused, compact and full form', () => {
    for (const f of ['message.llmz', 'multichunk.llmz']) {
      const a = readFileSync(join('tests/golden/llmz-base@4', f));
      const r = llmz('decompress', file('twice.llmz', new Uint8Array([...a, ...a])), '-o', join(dir, 'twice.out'), '-f');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/joined with other data/);
    }
  });

  it('a claimed original length beyond the format limit is refused', () => {
    expect(() => readArchive(crafted({}, { originalLength: 2 ** 48 + 1 }))).toThrow(CorruptArchiveError);
  });
});
