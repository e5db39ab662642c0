/** The CLI at its edges: interrupted runs, closed pipes, bad output folders, forced models. */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { threadsForChunks } from '../../src/cli/runners.js';
import { defaultModel } from '../helpers/registry.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const llmz = (...args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });
const GOLDEN = 'tests/golden';

describe('llmz at its edges', () => {
  it('Ctrl-C during compression leaves no .partial file and no output (exit 130)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmz-int-'));
    const input = join(dir, 'big.txt');
    writeFileSync(input, readFileSync(join(process.cwd(), '../shared/corpus/dev/wiki.txt')).subarray(0, 200_000));
    const child = spawn(process.execPath, [...CLI, 'compress', input, '--threads', '1'], { stdio: 'ignore' });
    // wait until the partial output exists (the run is under way), then interrupt
    for (let i = 0; i < 600 && !readdirSync(dir).some((f) => f.endsWith('.partial')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(true);
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(readdirSync(dir).sort()).toEqual(['big.txt']);
  });

  it('a reader that closes the pipe ends the run quietly with exit 141', async () => {
    const child = spawn(process.execPath, [...CLI, 'decompress', join(GOLDEN, 'llmz-base@4/multichunk.llmz'), '-o', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.destroy(); // like `| head -c 0`
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(141);
    expect(stderr).toBe('');
  });

  it('decompression starts no more workers than the archive has model chunks, and none for one', () => {
    expect(threadsForChunks({ threads: '4', force: true }, 11)).toEqual({ threads: '4', force: true });
    expect(threadsForChunks({ threads: '4' }, 3).threads).toBe('3');
    expect(threadsForChunks({ threads: '4' }, 1).threads).toBe('1');
    expect(threadsForChunks({ threads: '2' }, 0).threads).toBe('1'); // stored chunks only: no model work at all
    const unset = Number(threadsForChunks({}, 2).threads);
    expect(unset >= 1 && unset <= 2).toBe(true);
    expect(() => threadsForChunks({ threads: '0' }, 5)).toThrow(/threads/);
  });

  it('-o into a folder that does not exist names that folder, not an internal file', () => {
    const r = llmz('compress', join(GOLDEN, 'inputs/message.txt'), '-o', '/nonexistent-llmz-folder/x.llmz');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/nonexistent-llmz-folder: no such folder');
    expect(r.stderr).not.toContain('.partial');
  });

  it('forcing llmz-base on an llmz-lite archive names the model it needs', () => {
    const r = llmz('decompress', join(GOLDEN, 'llmz-lite@3/message.llmz'), '--model', 'llmz-base', '-o', join(tmpdir(), 'llmz-forced.out'), '-f');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('WrongModelError: This archive was made with model "llmz-lite@3"');
    expect(r.stderr).toContain('Run without --model');
  });

  it('an archive of a retired model opens without --model; forcing its name gives the version advice', () => {
    const out = join(tmpdir(), 'llmz-retired.out');
    let r = llmz('decompress', join(GOLDEN, 'llmz-base@2/multichunk.llmz'), '-o', out, '-f');
    expect(r.status).toBe(0);
    expect(readFileSync(out)).toEqual(readFileSync(join(GOLDEN, 'inputs/multichunk.txt')));
    r = llmz('decompress', join(GOLDEN, 'llmz-base@2/multichunk.llmz'), '--model', 'public/models/llmz-base', '-o', out, '-f');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('another version of model "llmz-base"');
    expect(existsSync(out)).toBe(true); // the earlier, complete output is untouched
  });

  it('a damaged model file is refused with ModelIntegrityError, never used', () => {
    // a copy of the registry (LLMZ_MODELS_DIR) whose default model has one flipped bit
    const models = mkdtempSync(join(tmpdir(), 'llmz-models-'));
    cpSync('public/models/index.json', join(models, 'index.json'));
    cpSync('public/models/llmz-base', join(models, 'llmz-base'), { recursive: true });
    const bin = readFileSync(join(models, 'llmz-base/model.bin'));
    bin[bin.length >> 1]! ^= 0x01;
    writeFileSync(join(models, 'llmz-base/model.bin'), bin);
    const r = spawnSync(process.execPath, [...CLI, 'compress', join(GOLDEN, 'inputs/message.txt'), '-o', join(models, 'x.llmz'), '--threads', '1'], {
      encoding: 'utf8',
      env: { ...process.env, LLMZ_MODELS_DIR: models },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ModelIntegrityError: The file of model "${defaultModel.name}@${defaultModel.version}" is damaged`);
    expect(existsSync(join(models, 'x.llmz'))).toBe(false);
  });

  it('--help says how stdout streams and what the exit codes mean', () => {
    const r = llmz('--help');
    expect(r.stdout).toContain('streams the text as it decodes, before the\nfinal checksum');
    expect(r.stdout).toContain('141 output pipe closed');
  });
});
