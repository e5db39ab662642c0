/** `llmz decompress IN [-o OUT]`: the model the archive needs, then the original, renamed into place once every check passed. */
import { UsageError } from '../../codec/errors.js';
import { modelForArchive } from '../../model/modelSource.js';
import { DEFAULT_MODEL } from '../../pipeline/defaults.js';
import { decodeArchive, openArchive } from '../../pipeline/decompressor.js';
import { fileSource, outputFile } from '../../platform/node/files.js';
import { nodeModels } from '../../platform/node/nodeModelSource.js';
import { batchFlag, type Args } from '../flags.js';
import { printWarning, progressPrinter } from '../progressPrinter.js';
import { coordinatorModel, withRunner } from '../runners.js';
import { finishOrAbandon, singleInput } from './io.js';

export async function decompressCommand({ positional, flags }: Args): Promise<void> {
  const input = singleInput('decompress', positional, flags);
  const opened = await openArchive(fileSource(input).source);
  const needs = modelForArchive(opened.header, await nodeModels.listModels(), DEFAULT_MODEL);
  if (needs.kind === 'hub' && !flags.model) throw new UsageError(`This archive was made with hub model "${needs.name}": pass --model hf:<folder of that model>.`);
  // --model from the user wins; a name inside the archive is only ever looked up among the shipped models
  const modelName = flags.model ?? (needs.kind === 'exact' ? needs.name : undefined);
  const model = needs.kind === 'none' ? null : await coordinatorModel(flags, modelName);
  const opts = { batch: batchFlag(flags), onProgress: progressPrinter(), onWarning: printWarning };
  const file = await outputFile(flags.output ?? (input === '-' ? '-' : input.endsWith('.llmz') ? input.slice(0, -5) : input + '.out'), { binary: false, force: !!flags.force });
  await finishOrAbandon(file, () =>
    model ? withRunner(flags, modelName, model, (runner) => decodeArchive(opened, model, file, { ...opts, runner })) : decodeArchive(opened, null, file, opts),
  );
}
