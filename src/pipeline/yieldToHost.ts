/**
 * Lets Node's event loop run between units of synchronous engine work, so a
 * signal (Ctrl-C) or an abort is seen within one chunk or a few dozen decode
 * steps even when coding runs on the main thread (--threads 1). Browsers
 * need none of it (a busy worker is cancelled by terminating it), and
 * setTimeout's clamping there would cost time, so elsewhere it does nothing.
 */
const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;

export const yieldToHost: () => Promise<void> = immediate ? () => new Promise<void>((resolve) => void immediate(resolve)) : async () => {};

/** Decode steps between yields (a step of a batch takes well under a millisecond to a few). */
export const STEPS_PER_YIELD = 32;

/**
 * Resolves after the promise jobs queued now have run (a macrotask, in Node and browsers alike):
 * e.g. a request to a worker that goes out a few promise hops after the call that makes it.
 */
export const nextTask = (): Promise<void> => new Promise<void>((resolve) => void setTimeout(resolve, 0));
