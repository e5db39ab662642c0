/**
 * The backend chosen by measuring (src/model/backendChoice.ts): the faster
 * candidate on a probe wins, weighed by how many workers run it; the first,
 * warming run is not timed; the decision is kept and reused; losers are
 * released. Time is a fake clock the engines advance, so nothing here
 * depends on this machine's speed.
 */
import { describe, expect, it } from 'vitest';
import { chooseFaster, measureBackends, type BackendCache, type Candidate } from '../../src/model/backendChoice.js';
import { loadExactModel } from '../../src/model/loadedModel.js';
import type { BackendName } from '../../src/model/capabilities.js';
import type { Engine, StreamHandle } from '../../src/model/types.js';
import { randomModel, tinyTokenizerJson } from '../helpers/fixtures.js';

const VOCAB = 64;

/** An engine that costs `perToken` ms of fake time per token (the first probe run `warmup` ms more). */
function fakeEngine(clock: { now: number }, perToken: number, warmup = 0) {
  let calls = 0;
  let disposed = false;
  const spend = (tokens: number) => {
    clock.now += tokens * perToken + (calls++ === 0 ? warmup : 0);
  };
  const engine = {
    async prefill(seqs: Int32Array[]) {
      spend(seqs[0]!.length);
      return seqs.map((s) => new Int32Array(s.length * VOCAB));
    },
    newStream: (): StreamHandle => ({ id: 1 }),
    async step(streams: StreamHandle[]) {
      spend(streams.length);
      return streams.map(() => new Int32Array(VOCAB));
    },
    freeStream() {},
    dispose() {
      disposed = true;
    },
  } as unknown as Engine;
  return { engine, probes: () => calls, disposed: () => disposed };
}

function memoryCache(): BackendCache & { saved: Map<string, BackendName> } {
  const saved = new Map<string, BackendName>();
  return { saved, get: async (k) => saved.get(k) ?? null, set: async (k, b) => void saved.set(k, b) };
}

describe('choosing the backend by measuring', () => {
  it('the faster engine on the probe wins; a forced slow backend loses; warm-up is not timed', async () => {
    const clock = { now: 0 };
    const slow = fakeEngine(clock, 2, 0);
    const fast = fakeEngine(clock, 1, 100_000); // a long first run (shader compilation) is not held against it
    const measured = await measureBackends(
      [
        { name: 'webgpu', engine: slow.engine, parallel: 1 },
        { name: 'wasm', engine: fast.engine, parallel: 1 },
      ],
      VOCAB,
      () => clock.now,
    );
    expect(measured.map((m) => m.name)).toEqual(['wasm', 'webgpu']);
    expect(measured[0]!.tokensPerSecond).toBeCloseTo(1000, 6); // 1 ms a token
    expect(measured[1]!.tokensPerSecond).toBeCloseTo(500, 6);
  });

  it('weighs each backend by the workers that run it (wasm on three workers beats a GPU twice as fast as one)', async () => {
    const clock = { now: 0 };
    const gpu = fakeEngine(clock, 1);
    const cpu = fakeEngine(clock, 2);
    const measured = await measureBackends(
      [
        { name: 'webgpu', engine: gpu.engine, parallel: 1 },
        { name: 'wasm', engine: cpu.engine, parallel: 3 },
      ],
      VOCAB,
      () => clock.now,
    );
    expect(measured[0]!.name).toBe('wasm');
  });

  it('keeps the decision: measured once, then taken from the cache without a probe; the loser is released', async () => {
    const cache = memoryCache();
    const clock = { now: 0 };
    const run = async () => {
      const gpu = fakeEngine(clock, 1);
      const cpu = fakeEngine(clock, 5);
      const candidates: Candidate[] = [
        { name: 'webgpu', engine: gpu.engine, parallel: 1 },
        { name: 'wasm', engine: cpu.engine, parallel: 1 },
      ];
      const { winner, reason } = await chooseFaster(candidates, 'model adapter 2', cache, VOCAB, () => clock.now);
      return { winner: winner.name, reason, gpu, cpu };
    };
    const first = await run();
    expect(first.winner).toBe('webgpu');
    expect(first.reason).toMatch(/^measured faster here: 1000 tokens\/s against wasm 200$/);
    expect(first.gpu.probes()).toBeGreaterThan(0);
    expect(first.cpu.disposed()).toBe(true);
    expect(first.gpu.disposed()).toBe(false);
    expect(cache.saved.get('model adapter 2')).toBe('webgpu');

    const second = await run();
    expect(second.winner).toBe('webgpu');
    expect(second.reason).toBe('measured faster here earlier');
    expect(second.gpu.probes() + second.cpu.probes(), 'no probe the second time').toBe(0);
    expect(second.cpu.disposed()).toBe(true);
  });

  it('says why: a backend asked for, or the best this runtime has (Node: no WebGPU)', async () => {
    const forced = await loadExactModel(randomModel({}), tinyTokenizerJson(), { backend: 'ts' });
    expect(forced.engine.backend).toBe('ts');
    expect(forced.backendReason).toBe('asked for');
    const auto = await loadExactModel(randomModel({}), tinyTokenizerJson(), { backend: 'auto' });
    // no wasm bytes given: wasm is passed over with its reason, TS runs
    expect(auto.engine.backend).toBe('ts');
    expect(auto.backendReason).toMatch(/^wasm not used: The wasm kernels were not provided\.$/);
  });
});
