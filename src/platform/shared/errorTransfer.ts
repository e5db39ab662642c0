/**
 * Errors across a worker boundary. Structured clone keeps only an Error's
 * message (and comlink only name, message and stack), so worker APIs throw an
 * `ErrorRecord` instead — the literal class name, the message and the error's
 * own fields (e.g. WrongModelError.needed) — and `reviveError` turns it back
 * into the matching LlmzError subclass, so callers can use `instanceof`.
 */
import * as errors from '../../codec/errors.js';

/**
 * Every error class by its literal `name` (object keys survive minification,
 * class names do not). tests/unit/errorTransfer.test.ts checks each key
 * against the class's own `name`.
 */
export const ERROR_CLASSES: Record<string, new (...args: never[]) => errors.LlmzError> = {
  LlmzError: errors.LlmzError,
  NotAnArchiveError: errors.NotAnArchiveError,
  UnsupportedVersionError: errors.UnsupportedVersionError,
  TruncatedArchiveError: errors.TruncatedArchiveError,
  CorruptArchiveError: errors.CorruptArchiveError,
  WrongModelError: errors.WrongModelError,
  DamagedLinkError: errors.DamagedLinkError,
  TooLargeForLinkError: errors.TooLargeForLinkError,
  CancelledError: errors.CancelledError,
  ModelLoadError: errors.ModelLoadError,
  ModelIntegrityError: errors.ModelIntegrityError,
  UsageError: errors.UsageError,
  DeviceMismatchError: errors.DeviceMismatchError,
};

/** What crosses the boundary in place of an error. */
export interface ErrorRecord {
  llmzErrorRecord: true;
  name: string;
  message: string;
  stack?: string;
  /** The error's own fields, where they are plain values. */
  fields: Record<string, unknown>;
}

const plain = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

export function errorRecord(e: unknown): ErrorRecord {
  if (isRecord(e)) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) if (k !== 'name' && k !== 'message' && k !== 'stack' && plain(v)) fields[k] = v;
  return { llmzErrorRecord: true, name: err.name, message: err.message, stack: err.stack, fields };
}

function isRecord(e: unknown): e is ErrorRecord {
  return typeof e === 'object' && e !== null && (e as ErrorRecord).llmzErrorRecord === true;
}

/** The error `e` stood for: a record or an Error-like value becomes its class again (a plain Error when the name is not ours). */
export function reviveError(e: unknown): Error {
  if (e instanceof errors.LlmzError) return e;
  const rec = isRecord(e) ? e : null;
  const name = rec?.name ?? (e as { name?: unknown } | null)?.name;
  const message = rec?.message ?? (e as { message?: unknown } | null)?.message ?? String(e);
  const cls = typeof name === 'string' ? ERROR_CLASSES[name] : undefined;
  if (!cls) {
    if (e instanceof Error) return e;
    const err = new Error(String(message));
    if (typeof name === 'string') err.name = name;
    return err;
  }
  const revived = Object.create(cls.prototype) as Error;
  Object.assign(revived, rec?.fields ?? {}, { name, message: String(message), stack: rec?.stack ?? (e as Error).stack });
  return revived;
}

/** `api` with every function throwing an ErrorRecord instead of an error: what worker entries expose. */
export function guardErrors<T extends object>(api: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(api)) {
    out[k] =
      typeof f === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (f as (...a: unknown[]) => unknown).apply(api, args);
            } catch (e) {
              throw errorRecord(e);
            }
          }
        : f;
  }
  return out as T;
}
