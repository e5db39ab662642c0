/** Progress on a terminal's stderr (nothing when stderr is not a terminal). */
import type { ProgressListener } from '../pipeline/progress.js';

export function progressPrinter(): ProgressListener | undefined {
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

export const printWarning = (message: string) => process.stderr.write(`llmz: warning: ${message}\n`);
