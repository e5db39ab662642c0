/** Runs the training side's integer simulation (training/intsim.py) on a model file. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = process.env.LLMZ_PYTHON ?? '/usr/bin/python3';

/** `seqs`: token lists, or { seq, prompt } with a soft prompt of [P][dim] residual values. */
export function intsimLogits(modelPath: string, seqs: (number[] | { seq: number[]; prompt: number[][] })[]): Int32Array {
  const dir = mkdtempSync(join(tmpdir(), 'llmz-intsim-'));
  writeFileSync(join(dir, 'in.json'), JSON.stringify(seqs));
  execFileSync(PYTHON, ['training/intsim.py', modelPath, join(dir, 'in.json'), join(dir, 'out.bin')], { stdio: 'inherit' });
  const buf = readFileSync(join(dir, 'out.bin'));
  return new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}
