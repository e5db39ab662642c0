/**
 * The `llmz` command line: the same pipeline as the web app, on files.
 * Errors are one line on stderr and a non-zero exit code.
 */
import { readFileSync } from 'node:fs';
import { LlmzError, UsageError } from '../codec/errors.js';
import { ARCHIVE_PROMPT, readArchive, toHex } from '../format/container.js';
import { compress, compressStream, decodeArchive, openArchive } from '../pipeline/compressor.js';
import { fileSource, FileSpool, outputFile, type OutputFile } from './files.js';
import { crossEntropy } from '../pipeline/bpc.js';
import { runBench } from './bench.js';
import type { Progress } from '../pipeline/progress.js';
import { intFlag, parseArgs, type ParsedArgs } from './args.js';
import { availableParallelism } from 'node:os';
import { DEFAULT_MODEL, HUB_PREFIX, loadModelFromDisk, modelByFingerprint } from './modelStore.js';
import { isLockstep } from '../model/types.js';
import { HUB_NUMERICS_ID, readHubStamp } from '../model/hub/hubStamp.js';
import type { HubDtype } from '../model/hub/loadHubModel.js';
import { createNodePool } from '../pipeline/nodePool.js';
import type { BackendChoice } from '../capabilities.js';
import type { LoadedModel } from '../model/loadedModel.js';
import type { ChunkRunner } from '../pipeline/runner.js';
import type { Steering } from '../pipeline/chunkCoder.js';

function backendFlag(v: string | true | undefined): BackendChoice {
  if (v === undefined) return 'auto';
  if (v === 'auto' || v === 'wasm' || v === 'ts') return v;
  throw new UsageError('--backend must be auto, wasm or ts.');
}

/** --threads, default: all cores (at most 8). */
function threadCount(args: ParsedArgs): number {
  return intFlag(args, 'threads', 1, 256) ?? Math.min(availableParallelism(), 8);
}

/**
 * The model on this thread for compress/decompress. With a worker pool this
 * thread only tokenizes and assembles, so it takes the reference engine,
 * which costs nothing to set up, instead of a second copy of the kernels.
 */
function coordinatorModel(args: ParsedArgs, modelName: string | undefined): Promise<LoadedModel> {
  if (modelName?.startsWith(HUB_PREFIX)) return loadModelFromDisk(modelName, 'auto', dtypeFlag(args.flags.get('dtype')));
  return loadModelFromDisk(modelName, threadCount(args) > 1 ? 'reference' : backendFlag(args.flags.get('backend')));
}

function steeringFlag(v: string | true | undefined): Steering | undefined {
  if (v === undefined) return undefined;
  if (v === 'auto' || v === 'off' || v === 'max') return v;
  throw new UsageError('--steering must be auto, off or max.');
}

function dtypeFlag(v: string | true | undefined): HubDtype | undefined {
  if (v === undefined) return undefined;
  if (v === 'fp32' || v === 'fp16' || v === 'q8' || v === 'q4') return v;
  throw new UsageError('--dtype must be fp32, fp16, q8 or q4.');
}

/** Runs `job` with chunks coded on a pool of worker threads, or inline for one thread. */
async function withRunner<T>(args: ParsedArgs, modelName: string | undefined, model: LoadedModel, job: (runner?: ChunkRunner) => Promise<T>): Promise<T> {
  const threads = threadCount(args);
  // hub models code on this thread: their batches must be shaped as the decoder will shape them
  if (threads <= 1 || isLockstep(model.engine)) return job();
  const pool = await createNodePool({ model: modelName ?? model.identity.name, backend: backendFlag(args.flags.get('backend')), threads, batch: intFlag(args, 'batch', 1, 4096) });
  try {
    return await job(pool.runner);
  } finally {
    await pool.close();
  }
}

const HELP = `llmz — text compression with a language model

  llmz compress IN [-o OUT] [--model NAME|PATH|hf:FOLDER] [--backend auto|wasm|ts] [--threads N]
                 [--chunk TOKENS] [--batch N] [--verify] [--dtype fp32|fp16|q8|q4]
                 [--steering off|auto|max]   (the model's domain prompts: not at all (default) /
                                              tried on each chunk's first tokens / on whole chunks,
                                              and for big inputs a prompt learned on the input)
  llmz decompress IN [-o OUT] [--model NAME|PATH] [--backend …] [--threads N]
  llmz info IN
  llmz bpc IN [--block TOKENS] [--stride TOKENS] [--model NAME|PATH] [--no-compress]
  llmz bench [FILES…] [--limit BYTES] [--threads N] [--chunk TOKENS] [--steering auto|off|max] [--model NAME|PATH] [--json]

IN or OUT may be "-" for stdin/stdout. compress writes IN.llmz by default;
decompress writes IN without ".llmz". Existing files are kept unless -f/--force.
The default model is ${DEFAULT_MODEL}.`;

function readInput(path: string): Uint8Array {
  return new Uint8Array(path === '-' ? readFileSync(0) : readFileSync(path));
}

/** Runs `job`, then moves the output into place; on any failure removes it. */
async function finishOrAbandon(file: OutputFile, job: () => Promise<unknown>): Promise<void> {
  try {
    await job();
    await file.commit();
  } catch (e) {
    await file.abandon();
    throw e;
  }
}

function progressPrinter(): ((p: Progress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    if (p.stage === 'coding') {
      // stdin has no known size: bytes so far instead of a percentage
      const done = p.bytesTotal ? `${((100 * p.bytesDone) / p.bytesTotal).toFixed(1)}%` : `${(p.bytesDone / 1e6).toFixed(1)} MB`;
      const eta = Number.isFinite(p.etaSeconds) ? `${Math.ceil(p.etaSeconds)}s left` : '';
      process.stderr.write(`\r${p.direction} ${done}  ${p.tokensPerSecond.toFixed(0)} tok/s  ${eta}   `);
    } else if (p.stage === 'learning-prompt') process.stderr.write(`\rlearning a prompt for this input: step ${p.step}/${p.steps}   `);
    else if (p.stage === 'done') process.stderr.write('\r\x1b[K');
  };
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const spec = {
    output: { value: true, alias: 'o' },
    model: { value: true, alias: 'm' },
    chunk: { value: true },
    backend: { value: true },
    threads: { value: true },
    batch: { value: true },
    verify: { value: false },
    dtype: { value: true },
    steering: { value: true },
    force: { value: false, alias: 'f' },
    block: { value: true },
    stride: { value: true },
    'no-compress': { value: false },
  };
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP + '\n');
    return;
  }
  if (command === 'bench') return runBench(rest);
  const args = parseArgs(rest, spec);
  const [input, extra] = args.positional;
  if (!input || extra !== undefined) throw new UsageError(`llmz ${command} takes one input file. Run "llmz help".`);
  const out = args.flags.get('output');
  if (out === true) throw new UsageError('-o needs a file name.');

  if (command === 'compress') {
    const modelName = args.flags.get('model') as string | undefined;
    const model = await coordinatorModel(args, modelName);
    const { source, size } = fileSource(input);
    const opts = {
      chunkTokens: intFlag(args, 'chunk', 1, 1 << 20),
      batch: intFlag(args, 'batch', 1, 4096),
      steering: steeringFlag(args.flags.get('steering')),
      onProgress: progressPrinter(),
    };
    const file = await outputFile(out ?? (input === '-' ? '-' : input + '.llmz'), { binary: true, force: args.flags.has('force') });
    await finishOrAbandon(file, () =>
      withRunner(args, modelName, model, (runner) =>
        // --verify: decode and check before writing (always on for hub models)
        compressStream(source, model, file, { ...opts, runner, totalBytes: size, spool: new FileSpool(), verify: args.flags.has('verify') || undefined }),
      ),
    );
  } else if (command === 'decompress') {
    const opened = await openArchive(fileSource(input).source);
    const { header } = opened;
    const needsModel = header.chunks.some((c) => c.kind === 'model');
    const given = args.flags.get('model') as string | undefined;
    if (needsModel && !given && header.model.numericsId === HUB_NUMERICS_ID) {
      throw new UsageError(`This archive was made with hub model "${header.model.name}": pass --model hf:<folder of that model>.`);
    }
    const modelName = given ?? (header.model.name || modelByFingerprint(header.model.fingerprint) || DEFAULT_MODEL);
    const model = needsModel ? await coordinatorModel(args, modelName) : null;
    const onWarning = (m: string) => process.stderr.write(`llmz: warning: ${m}\n`);
    const opts = { batch: intFlag(args, 'batch', 1, 4096), onProgress: progressPrinter(), onWarning };
    const file = await outputFile(out ?? (input === '-' ? '-' : input.endsWith('.llmz') ? input.slice(0, -5) : input + '.out'), { binary: false, force: args.flags.has('force') });
    await finishOrAbandon(file, () =>
      model ? withRunner(args, modelName, model, (runner) => decodeArchive(opened, model, file, { ...opts, runner })) : decodeArchive(opened, null, file, opts),
    );
  } else if (command === 'info') {
    const { source, size } = fileSource(input);
    const opened = await openArchive(source);
    const { header: h, headerLength } = opened;
    let archiveBytes = size;
    if (archiveBytes === undefined) {
      archiveBytes = headerLength;
      for (let piece = await opened.reader.readSome(1 << 20); piece.length; piece = await opened.reader.readSome(1 << 20)) archiveBytes += piece.length;
    }
    const lines = [
      `format version   ${h.version}`,
      `model            ${h.model.name || `${modelByFingerprint(h.model.fingerprint) ?? 'unknown'} (compact form: found by fingerprint)`} (weights ${toHex(h.model.fingerprint)}…, tokenizer ${toHex(h.model.tokenizerFingerprint)}…, numerics ${h.model.numericsId})`,
      `original size    ${h.originalLength} bytes, CRC-32 ${h.crc32.toString(16).padStart(8, '0')}`,
      `archive size     ${archiveBytes} bytes (header ${headerLength}), ${h.originalLength ? ((archiveBytes * 8) / h.originalLength).toFixed(3) : '-'} bits/byte`,
      `chunks           ${h.chunks.length} of up to ${h.chunkTokens} tokens (${h.chunks.filter((c) => c.kind === 'stored').length} stored)`,
    ];
    const prompted = h.chunks.filter((c) => (c.prompt ?? 0) > 0);
    if (prompted.length) {
      const own = prompted.filter((c) => c.prompt === ARCHIVE_PROMPT).length;
      lines.push(`soft prompts     ${prompted.length - own} chunks after the model's domain prompts, ${own} after the archive's own`);
    }
    if (h.archivePrompt) lines.push(`archive prompt   ${h.archivePrompt.length} bytes (learned on the input, coded under a hyper-prior)`);
    if (h.model.numericsId === HUB_NUMERICS_ID) {
      const s = readHubStamp(h.extension);
      lines.push(`made on          ${s.backend} (${s.device}), dtype ${s.dtype}, revision ${s.revision}, batches of ${s.batch}: decodes on the same kind of device`);
    }
    process.stdout.write(lines.join('\n') + '\n');
  } else if (command === 'bpc') {
    const modelName = args.flags.get('model') as string | undefined;
    const model = await coordinatorModel({ ...args, flags: new Map([...args.flags, ['threads', '1']]) }, modelName);
    const data = readInput(input);
    const ids = model.tokenizer.encode(data);
    // The seeds' defaults (1900/512), shortened to what this model was trained for.
    const block = intFlag(args, 'block', 1, 1 << 20) ?? Math.min(1900, model.contextTokens);
    const stride = intFlag(args, 'stride', 1, 1 << 20) ?? Math.min(512, Math.max(1, Math.floor(block / 2)));
    const ce = await crossEntropy(model, ids, block, stride);
    const chars = new TextDecoder().decode(data).length;
    const lines = [
      `model            ${model.identity.name} (${model.engine.backend})`,
      `text             ${data.length} bytes, ${chars} characters, ${ce.tokens} tokens`,
      `window           ${block} tokens, stride ${stride} (${ce.windows} windows)`,
      `cross-entropy    ${(ce.bits / 8).toFixed(0)} bytes = ${(ce.bits / Math.max(1, chars)).toFixed(4)} bits/char, ${(ce.bits / Math.max(1, data.length)).toFixed(4)} bits/byte`,
    ];
    if (!args.flags.has('no-compress')) {
      const archive = await withRunner(args, modelName, model, (runner) => compress(data, model, { runner }));
      const { headerLength } = readArchive(archive);
      lines.push(
        `llmz compress    ${archive.length} bytes (header ${headerLength}) = ${((8 * archive.length) / Math.max(1, data.length)).toFixed(4)} bits/byte; ` +
          `${(((archive.length - headerLength) * 8) / ce.bits - 1) * 100 >= 0 ? '+' : ''}${((((archive.length - headerLength) * 8) / ce.bits - 1) * 100).toFixed(2)}% over the cross-entropy (chunking at ${model.contextTokens} tokens, coding)`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  } else {
    throw new UsageError(`Unknown command "${command}". Run "llmz help".`);
  }
}

run(process.argv.slice(2)).catch((e: unknown) => {
  const msg = e instanceof Error ? `${e.name === 'Error' ? 'error' : e.name}: ${e.message}` : String(e);
  process.stderr.write(`llmz: ${msg.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = e instanceof UsageError ? 2 : e instanceof LlmzError ? 1 : 70;
});
