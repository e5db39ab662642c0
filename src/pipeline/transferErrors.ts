/**
 * Errors lose their class when they cross a worker boundary (structured
 * clone keeps only name/message). `reviveError` turns them back into the
 * matching LlmzError subclass so callers can still use `instanceof`.
 */
import * as errors from '../codec/errors.js';

const CLASSES: Record<string, new (...args: never[]) => Error> = Object.fromEntries(
  Object.entries(errors).filter(([, v]) => typeof v === 'function') as [string, new () => Error][],
);

export function reviveError(e: unknown): Error {
  if (e instanceof errors.LlmzError) return e;
  const name = (e as { name?: string } | null)?.name;
  const message = (e as { message?: string } | null)?.message ?? String(e);
  const cls = name ? CLASSES[name] : undefined;
  if (!cls) return e instanceof Error ? e : new Error(message);
  const revived = Object.create(cls.prototype) as Error;
  Object.assign(revived, e, { name, message });
  return revived;
}
