/**
 * The CLI's one flag parser (node:util parseArgs, strict: unknown flags are
 * errors, not surprises) and the typed readings of its values.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError } from '../codec/errors.js';
import type { BackendChoice } from '../model/capabilities.js';
import type { HubDtype } from '../model/hub/hubChoice.js';
import type { Steering } from '../pipeline/chunkCoder.js';
import { defaultThreads } from '../pipeline/defaults.js';

/** Every flag any command takes; each command reads the ones it documents. */
const OPTIONS = {
  output: { type: 'string', short: 'o' },
  model: { type: 'string', short: 'm' },
  chunk: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  batch: { type: 'string' },
  verify: { type: 'boolean' },
  dtype: { type: 'string' },
  steering: { type: 'string' },
  force: { type: 'boolean', short: 'f' },
  block: { type: 'string' },
  stride: { type: 'string' },
  'no-compress': { type: 'boolean' },
  tokens: { type: 'boolean' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  scaling: { type: 'string' },
  mixing: { type: 'string' },
  rounds: { type: 'string' },
  bytes: { type: 'string' },
} as const;

export type Flags = { -readonly [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

export interface Args {
  positional: string[];
  flags: Flags;
}

export function parseFlags(argv: string[]): Args {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    return { positional: positionals, flags: values as Flags };
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(`${e.message.replace(/\. To specify a positional.*$/, '.')} Run "llmz help".`);
    throw e;
  }
}

export function intFlag(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}.`);
  return n;
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be ${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}.`);
}

export const backendFlag = (f: Flags): BackendChoice => oneOf(f.backend, 'backend', ['auto', 'wasm', 'ts', 'webgpu'] as const) ?? 'auto';
export const steeringFlag = (f: Flags): Steering | undefined => oneOf(f.steering, 'steering', ['auto', 'off', 'max'] as const);
export const dtypeFlag = (f: Flags): HubDtype | undefined => oneOf(f.dtype, 'dtype', ['fp32', 'fp16', 'q8', 'q4'] as const);
export const batchFlag = (f: Flags) => intFlag(f.batch, 'batch', 1, 4096);
export const chunkFlag = (f: Flags) => intFlag(f.chunk, 'chunk', 1, 1 << 20);

/** --threads, default: all cores (at most MAX_DEFAULT_THREADS). */
export const threadCount = (f: Flags): number => intFlag(f.threads, 'threads', 1, 256) ?? defaultThreads(availableParallelism());

/** --mixing on|off (default on), --rounds N (chunks per mixing round) and --bytes on|off (the byte model's coding beside the LM's, default on): docs/mixing.md. */
export const mixingFlags = (f: Flags) => ({
  mixing: (oneOf(f.mixing, 'mixing', ['on', 'off'] as const) ?? 'on') === 'on',
  roundWidth: intFlag(f.rounds, 'rounds', 1, 1 << 20),
  byteModel: (oneOf(f.bytes, 'bytes', ['on', 'off'] as const) ?? 'on') === 'on',
});
