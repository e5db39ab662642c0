/** What the file commands share: their one input, and outputs that appear only when complete. */
import { UsageError } from '../../codec/errors.js';
import type { OutputFile } from '../../platform/node/files.js';
import type { Flags } from '../flags.js';

export function singleInput(command: string, positional: string[], flags: Flags): string {
  const [input, extra] = positional;
  if (!input || extra !== undefined) throw new UsageError(`llmz ${command} takes one input file. Run "llmz help".`);
  if (flags.output === '') throw new UsageError('-o needs a file name.');
  return input;
}

/** Runs `job`, then moves the output into place; on any failure removes it. */
export async function finishOrAbandon(file: OutputFile, job: () => Promise<unknown>): Promise<void> {
  try {
    await job();
    await file.commit();
  } catch (e) {
    await file.abandon();
    throw e;
  }
}
