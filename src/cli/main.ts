/**
 * The `llmz` command line: the same pipeline as the web app, on files. One
 * file per command under commands/; errors are one line on stderr and a
 * non-zero exit code (2 for bad usage, 1 for bad data or model).
 */
import { LlmzError, UsageError } from '../codec/errors.js';
import { DEFAULT_MODEL } from '../pipeline/defaults.js';
import { benchCommand } from './commands/bench.js';
import { bpcCommand } from './commands/bpc.js';
import { compressCommand } from './commands/compress.js';
import { decompressCommand } from './commands/decompress.js';
import { infoCommand } from './commands/info.js';
import { removeUnfinished } from '../platform/node/files.js';
import { parseFlags, type Args } from './flags.js';

const HELP = `llmz — text compression with a language model

  llmz compress IN [-o OUT] [--model NAME|PATH|hf:FOLDER] [--backend auto|wasm|ts|webgpu] [--threads N]
                 [--chunk TOKENS] [--batch N] [--verify] [--dtype fp32|fp16|q8|q4]
                 [--steering off|auto|max]   (the model's domain prompts: not at all (default) /
                                              tried on each chunk's first tokens / on whole chunks,
                                              and for big inputs a prompt learned on the input)
                 [--mixing on|off] [--rounds N]  (adaptive context mixing, default on; chunks per
                                              round, default 16: fewer sees more history, decodes slower)
                 [--bytes on|off]            (with mixing, also code the text with the byte model alone
                                              and keep whichever archive is smaller; default on)
  llmz decompress IN [-o OUT] [--model NAME|PATH] [--backend …] [--threads N]
  llmz info IN
  llmz bpc IN [--block TOKENS] [--stride TOKENS] [--model NAME|PATH] [--no-compress]
  llmz bpc IN --tokens [--chunk TOKENS] [--mixing on|off] [--rounds N] [--threads N]
                 (TSV of what each token cost in the real archive: offset, bytes, bits,
                  predicted_by, text; a summary on stderr)
  llmz bench [FILES…] [--limit BYTES] [--threads N] [--chunk TOKENS] [--steering auto|off|max] [--mixing on|off] [--rounds N]
             [--model NAME|PATH] [--json]
  llmz bench --scaling MAX_BYTES [--threads N]

IN or OUT may be "-" for stdin/stdout. compress writes IN.llmz by default;
decompress writes IN without ".llmz". Existing files are kept unless -f/--force.
Output files appear only when complete (an interrupted or failed run leaves
none). Decompressing to stdout streams the text as it decodes, before the
final checksum: on a damaged archive the stream ends with an error (exit 1).
One archive per file: bytes after an archive are an error.
Archives open with the model they were made with, found by its fingerprint
among every released model; --model only forces another.
The default model is ${DEFAULT_MODEL}.

Exit codes: 0 done, 1 bad data or model, 2 bad usage, 130 interrupted,
141 output pipe closed (e.g. by head).`;

const COMMANDS: Record<string, (args: Args) => Promise<void>> = {
  compress: compressCommand,
  decompress: decompressCommand,
  info: infoCommand,
  bpc: bpcCommand,
  bench: benchCommand,
};

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP + '\n');
    return;
  }
  const handler = COMMANDS[command];
  if (!handler) throw new UsageError(`Unknown command "${command}". Run "llmz help".`);
  await handler(parseFlags(rest));
}

// Ctrl-C or kill: no half-written output or spool stays behind
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    removeUnfinished();
    process.exit(code);
  });
}

/** A reader that closed the pipe (`llmz decompress x.llmz - | head`) is not an error to report. */
const closedPipe = (e: unknown) => (e as { code?: string } | null)?.code === 'EPIPE';
process.stdout.on('error', (e) => {
  if (!closedPipe(e)) throw e;
  removeUnfinished();
  process.exit(141);
});

run(process.argv.slice(2)).catch((e: unknown) => {
  if (closedPipe(e)) return void (process.exitCode = 141);
  const msg = e instanceof Error ? `${e.name === 'Error' ? 'error' : e.name}: ${e.message}` : String(e);
  process.stderr.write(`llmz: ${msg.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = e instanceof UsageError ? 2 : e instanceof LlmzError ? 1 : 70;
});
