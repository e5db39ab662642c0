/** `llmz decompress IN [-o OUT]`: the model the archive needs, then the original, renamed into place once every check passed. */
import { UsageError, WrongModelError } from '../../codec/errors.js';
import { modelForArchive } from '../../model/modelSource.js';
import { DEFAULT_MODEL } from '../../pipeline/defaults.js';
import { decodeArchive, openArchive } from '../../pipeline/decompressor.js';
import { fileSource, outputFile } from '../../platform/node/files.js';
import { nodeModels, resolveModel } from '../../platform/node/nodeModelSource.js';
import { batchFlag, type Args } from '../flags.js';
import { printWarning, progressPrinter } from '../progressPrinter.js';
import { coordinatorModel, threadsForChunks, withRunner } from '../runners.js';
import { finishOrAbandon, singleInput } from './io.js';

export async function decompressCommand({ positional, flags: given }: Args): Promise<void> {
  const input = singleInput('decompress', positional, given);
  const opened = await openArchive(fileSource(input).source);
  const flags = threadsForChunks(given, opened.header.chunks.filter((c) => c.kind === 'model').length);
  const needs = modelForArchive(opened.header, await nodeModels.listModels(), DEFAULT_MODEL);
  if (needs.kind === 'hub' && !flags.model) throw new UsageError(`This archive was made with hub model "${needs.name}": pass --model hf:<folder of that model>.`);
  if (flags.model && needs.kind === 'exact' && needs.listed) {
    // a forced model that is another listed one cannot open it: name the one that can
    const forced = resolveModel(flags.model).listed;
    const { name, version, sha256 } = needs.listed;
    if (forced && forced.sha256 !== sha256) {
      throw new WrongModelError(`${name}@${version}`, `${forced.name}@${forced.version}`, `weights ${opened.header.model.fingerprint}…`, `Run without --model: llmz finds ${name}@${version} by its fingerprint.`);
    }
  }
  // --model from the user wins; otherwise the listed model with the archive's fingerprint (a name inside the archive is never used)
  const modelName = flags.model ?? (needs.kind === 'exact' ? needs.ref : undefined);
  const model = needs.kind === 'none' ? null : await coordinatorModel(flags, modelName);
  const opts = { batch: batchFlag(flags), onProgress: progressPrinter(), onWarning: printWarning };
  const file = await outputFile(flags.output ?? (input === '-' ? '-' : input.endsWith('.llmz') ? input.slice(0, -5) : input + '.out'), { binary: false, force: !!flags.force });
  await finishOrAbandon(file, () =>
    model ? withRunner(flags, modelName, model, (runner) => decodeArchive(opened, model, file, { ...opts, runner })) : decodeArchive(opened, null, file, opts),
  );
}
