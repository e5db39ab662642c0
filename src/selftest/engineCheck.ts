/**
 * The equality check every backend must pass (the browser's selftest.html
 * and the Node tests run it): prefill of ragged sequences in one call, then
 * the same sequences stepped in lockstep as streams end one after another;
 * every row of logits must equal the expected engine's.
 */
import type { Engine } from '../model/types.js';
import { rng } from '../model/exact/randomModel.js';

export interface EngineCheck {
  prefill: boolean;
  step: boolean;
}

const same = (a: Int32Array, b: Int32Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Three sequences of `length`, `length - 3` and `length - 6` tokens: BOS (0), then random ids. */
export function checkSequences(vocab: number, length: number, seed: number): Int32Array[] {
  const r = rng(seed);
  return [0, 1, 2].map((k) => Int32Array.from({ length: length - 3 * k }, (_, t) => (t === 0 ? 0 : 1 + Math.floor(r() * (vocab - 1)))));
}

/** Runs `seqs` through `engine` both ways; `want`: the expected logits (each sequence's rows, vocab each), or null to take prefill's. */
export async function checkEngine(engine: Engine, seqs: Int32Array[], want: Int32Array[] | null): Promise<EngineCheck & { logits: Int32Array[] }> {
  const V = engine.identity.config.vocab;
  const got = await engine.prefill(seqs);
  const expected = want ?? got;
  const prefill = got.every((g, i) => same(g, expected[i]!));
  const streams = seqs.map((q) => engine.newStream(q.length));
  let step = true;
  let live = seqs.map((_, i) => i);
  for (let t = 0; live.length; t++) {
    const rows = await engine.step(live.map((i) => streams[i]!), Int32Array.from(live, (i) => seqs[i]![t]!));
    live.forEach((i, k) => (step &&= same(rows[k]!, expected[i]!.subarray(t * V, (t + 1) * V))));
    live = live.filter((i) => t + 1 < seqs[i]!.length);
  }
  for (const s of streams) engine.freeStream(s);
  return { prefill, step, logits: got };
}
