/** Coding progress, sent at most every 100 ms, with a time-left estimate that holds steady. */
import { CancelledError } from '../codec/errors.js';
import { REPORT_GROUP } from './defaults.js';
import type { ProgressListener } from './progress.js';

/** No time-left estimate until coding has run this long: the first chunks alone say little about the rate. */
const ETA_AFTER_SECONDS = 1.5;

export class Meter {
  private readonly t0 = performance.now();
  private last = 0;
  /** When the first bytes were done, and how many: the rate is measured from there, not from start-up (model loading). */
  private first: { time: number; bytes: number } | null = null;
  tokens = 0;
  constructor(
    private readonly direction: 'compress' | 'decompress',
    /** Bytes of original text in all; 0 when unknown (stdin). */
    private readonly total: number,
    private readonly listener?: ProgressListener,
  ) {}

  /** The most bytes reported so far: estimates never make progress go backwards. */
  private shown = 0;

  /** `bytesDone`: original bytes coded so far, finished chunks plus an estimate for those in flight. */
  report(bytesDone: number, bitsSoFar: number, force = false): void {
    if (!this.listener) return;
    bytesDone = this.shown = Math.max(this.shown, bytesDone);
    const now = performance.now();
    if (bytesDone > 0 && !this.first) this.first = { time: now, bytes: bytesDone };
    if (!force && now - this.last < 100) return;
    this.last = now;
    const secs = Math.max(1e-3, (now - this.t0) / 1000);
    this.listener({
      stage: 'coding',
      direction: this.direction,
      bytesDone,
      bytesTotal: this.total,
      tokensPerSecond: this.tokens / secs,
      etaSeconds: this.eta(now, bytesDone),
      bitsPerByte: bytesDone > 0 ? bitsSoFar / bytesDone : 0,
    });
  }

  private eta(now: number, bytesDone: number): number {
    if (!this.first || this.total < bytesDone) return Infinity;
    const secs = (now - this.first.time) / 1000;
    const rate = (bytesDone - this.first.bytes) / secs;
    return secs >= ETA_AFTER_SECONDS && rate > 0 ? (this.total - bytesDone) / rate : Infinity;
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
