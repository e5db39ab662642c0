/**
 * Progress of a long operation, as one typed union (also sent across the
 * worker boundary). Warnings are not progress: they go to `onWarning`.
 */
export type Progress =
  /** An archive's header was read: what it claims to hold, shown (with a cancel) before any work on it. */
  | { stage: 'opening'; originalBytes: number; chunks: number }
  | { stage: 'loading-model'; loaded: number; total: number }
  | { stage: 'tokenizing'; bytesDone: number; bytesTotal: number }
  /** Steering 'max': fitting the archive's own soft prompt to the input (gradient steps). */
  | { stage: 'learning-prompt'; step: number; steps: number }
  | {
      stage: 'coding';
      direction: 'compress' | 'decompress';
      bytesDone: number;
      bytesTotal: number;
      tokensPerSecond: number;
      etaSeconds: number;
      /** Bits per input byte so far. */
      bitsPerByte: number;
    }
  | { stage: 'done'; bytesIn: number; bytesOut: number; seconds: number };

export type ProgressListener = (p: Progress) => void;
