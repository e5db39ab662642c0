/** Coding progress, sent at most every 100 ms. */
import { CancelledError } from '../codec/errors.js';
import { REPORT_GROUP } from './defaults.js';
import type { ProgressListener } from './progress.js';

export class Meter {
  private readonly t0 = performance.now();
  private last = 0;
  tokens = 0;
  constructor(
    private readonly direction: 'compress' | 'decompress',
    /** Bytes of original text in all; 0 when unknown (stdin). */
    private readonly total: number,
    private readonly listener?: ProgressListener,
  ) {}

  report(bytesDone: number, bitsSoFar: number, force = false): void {
    if (!this.listener) return;
    const now = performance.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const secs = Math.max(1e-3, (now - this.t0) / 1000);
    const rate = bytesDone / secs;
    this.listener({
      stage: 'coding',
      direction: this.direction,
      bytesDone,
      bytesTotal: this.total,
      tokensPerSecond: this.tokens / secs,
      etaSeconds: rate > 0 && this.total >= bytesDone ? (this.total - bytesDone) / rate : Infinity,
      bitsPerByte: bytesDone > 0 ? bitsSoFar / bytesDone : 0,
    });
  }

  get seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}


/** A group size that keeps every worker busy and, for lockstep engines, is a whole number of batches. */
export function groupSize(runnerCapacity: number | undefined, batch: number): number {
  const want = Math.max(REPORT_GROUP, runnerCapacity ?? 0);
  return Math.ceil(want / batch) * batch;
}
