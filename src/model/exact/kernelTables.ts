/**
 * The coder's frequency tables made by the kernels (wasm SIMD) instead of
 * TS: the kernel reads a row of logits in kernel memory (where the engine's
 * views already are; other rows are copied in), writes its cumulative table
 * there, and the coder reads it in place. Same integers as
 * src/codec/logitsToFrequencies.ts (tests/unit/kernels.test.ts); issue #20
 * measured the TS version at 13-15% of compression time.
 */
import { PrefixTable } from '../../codec/frequencyTable.js';
import type { TableMaker } from '../../codec/logitsToFrequencies.js';
import type { Kernels } from './kernels.js';

export class KernelTableMaker implements TableMaker {
  private readonly logits: number;
  private readonly scratch: number;
  private readonly cum: number;
  private disposed = false;

  constructor(
    private readonly K: Kernels & Required<Pick<Kernels, 'cumulativeFrequencies'>>,
    private readonly vocab: number,
    private readonly exp2: number,
  ) {
    this.logits = K.alloc(vocab * 4);
    this.scratch = K.alloc(vocab * 4);
    this.cum = K.alloc((vocab + 1) * 4);
  }

  /** The table of `logits` (vocab int32); valid until the next call. */
  table(logits: Int32Array): PrefixTable {
    if (this.disposed) throw new Error('table maker already disposed');
    if (logits.length !== this.vocab) throw new RangeError(`expected ${this.vocab} logits, got ${logits.length}`);
    const K = this.K;
    // a row that already lies in kernel memory (an engine's view of its logits) is read in place;
    // others are copied in (views made afresh: the kernel memory may have grown, detaching older ones)
    let at = this.logits;
    if (logits.buffer === K.buffer()) at = logits.byteOffset;
    else new Int32Array(K.buffer(), this.logits, this.vocab).set(logits);
    K.cumulativeFrequencies(at, this.vocab, this.exp2, this.scratch, this.cum);
    return new PrefixTable(new Int32Array(K.buffer(), this.cum, this.vocab + 1), this.vocab);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of [this.logits, this.scratch, this.cum]) this.K.free(p);
  }
}
