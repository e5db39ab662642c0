/** `llmz compress IN [-o OUT]`: the archive of a file (or stdin), streamed through a temporary spool. */
import { compressStream } from '../../pipeline/compressor.js';
import { fileSource, FileSpool, outputFile } from '../../platform/node/files.js';
import { batchFlag, chunkFlag, mixingFlags, steeringFlag, type Args } from '../flags.js';
import { progressPrinter } from '../progressPrinter.js';
import { coordinatorModel, withRunner } from '../runners.js';
import { finishOrAbandon, singleInput } from './io.js';

export async function compressCommand({ positional, flags }: Args): Promise<void> {
  const input = singleInput('compress', positional, flags);
  const model = await coordinatorModel(flags, flags.model);
  const { source, size } = fileSource(input);
  const file = await outputFile(flags.output ?? (input === '-' ? '-' : input + '.llmz'), { binary: true, force: !!flags.force });
  const opts = { chunkTokens: chunkFlag(flags), batch: batchFlag(flags), steering: steeringFlag(flags), ...mixingFlags(flags), onProgress: progressPrinter() };
  await finishOrAbandon(file, () =>
    withRunner(flags, flags.model, model, (runner) =>
      // --verify: decode and check before writing (always on for hub models)
      compressStream(source, model, file, { ...opts, runner, totalBytes: size, spool: new FileSpool(), verify: flags.verify || undefined }),
    ),
  );
}
