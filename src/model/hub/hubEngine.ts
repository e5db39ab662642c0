/**
 * Float causal LMs in the transformers.js layout, run by onnxruntime through
 * @huggingface/transformers. Only reproducible on the same backend and device
 * class, and only when both sides shape the work the same way, so coding goes
 * through `openBatch` (fixed rows, one token per step, KV cache carried in
 * past_key_values) on the encoder as on the decoder.
 */
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';
import type { BatchStepper, EngineOrigin, LockstepEngine, ModelIdentity } from '../types.js';
import { floatToIntLogits } from './floatLogits.js';

type Feeds = Record<string, Tensor>;

const int64 = (values: number[] | Int32Array, dims: number[]) => new Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
const ones = (dims: number[]) => new Tensor('int64', new BigInt64Array(dims[0]! * dims[1]!).fill(1n), dims);

/** present.N.key -> past_key_values.N.key, as transformers.js names the cache inputs. */
function cacheOf(outputs: Feeds): Feeds {
  const past: Feeds = {};
  for (const [name, t] of Object.entries(outputs)) if (name.startsWith('present')) past[name.replace('present', 'past_key_values')] = t;
  return past;
}

function disposeAll(feeds: Feeds | null): void {
  for (const t of Object.values(feeds ?? {})) (t as { dispose?: () => void }).dispose?.();
}

export class HubEngine implements LockstepEngine {
  readonly kind = 'lockstep';

  constructor(
    readonly identity: ModelIdentity,
    readonly origin: EngineOrigin,
    private readonly model: PreTrainedModel,
  ) {}

  get backend(): string {
    return this.origin.backend;
  }

  private async forward(feeds: Record<string, Tensor | Feeds>): Promise<Feeds> {
    return (await this.model.forward(feeds)) as Feeds;
  }

  /** Logits of the last axis of `logits` (dims [rows, 1 or T, V]) as integer rows. */
  private rows(logits: Tensor, rows: number, positions: number): Int32Array[] {
    const V = logits.dims[2]!;
    const data = logits.data as Float32Array;
    return Array.from({ length: rows }, (_, r) => floatToIntLogits(data.subarray(r * positions * V, (r + 1) * positions * V)));
  }

  async prefill(seqs: Int32Array[]): Promise<Int32Array[]> {
    const out: Int32Array[] = [];
    for (const seq of seqs) {
      const n = seq.length;
      const res = await this.forward({
        input_ids: int64(seq, [1, n]),
        attention_mask: ones([1, n]),
        position_ids: int64(Array.from({ length: n }, (_, i) => i), [1, n]),
      });
      out.push(this.rows(res['logits']!, 1, n)[0]!);
      disposeAll(cacheOf(res));
    }
    return out;
  }

  async openBatch(rows: number): Promise<BatchStepper> {
    let past: Feeds | null = null;
    let t = 0;
    return {
      step: async (tokens: Int32Array) => {
        if (tokens.length !== rows) throw new RangeError(`expected ${rows} tokens, got ${tokens.length}`);
        const res = await this.forward({
          input_ids: int64(tokens, [rows, 1]),
          attention_mask: ones([rows, t + 1]),
          position_ids: int64(new Array<number>(rows).fill(t), [rows, 1]),
          ...(past ? { past_key_values: past } : {}),
        });
        disposeAll(past);
        past = cacheOf(res);
        t++;
        return this.rows(res['logits']!, rows, 1);
      },
      dispose: () => {
        disposeAll(past);
        past = null;
      },
    };
  }

  dispose(): void {
    void this.model.dispose();
  }
}
