/**
 * Which backend runs the exact engine when the user left it to us: every
 * backend computes the same bits, so the only question is speed, and that is
 * measured rather than assumed. A hardware WebGPU adapter does not mean the
 * GPU path is faster: today only the matrix products run there, with a
 * readback after each, while the wasm kernels also run on every helper
 * worker. So on first use both run the same short probe and the faster one
 * stays; the decision is kept per device and model (BackendCache).
 */
import type { BackendName } from './capabilities.js';
import type { Engine } from './types.js';

/** Positions the probe prefills, and decode steps it takes (each backend's first, untimed run warms it up). */
export const PROBE_TOKENS = 64;
export const PROBE_STEPS = 16;

export interface Candidate {
  name: BackendName;
  engine: Engine;
  /** Workers that run this backend at once in the app (wasm: the codec worker and its helpers; WebGPU: one). */
  parallel: number;
}

export interface Measured {
  name: BackendName;
  /** Tokens per second of one engine on the probe, times its `parallel`. */
  tokensPerSecond: number;
}

/** Where a decision is kept between page loads (the browser's Cache API); absent: measured every load. */
export interface BackendCache {
  get(key: string): Promise<BackendName | null>;
  set(key: string, backend: BackendName): Promise<void>;
}

/** One run of the probe: a prefill of PROBE_TOKENS positions, then PROBE_STEPS single-stream steps. */
async function probe(engine: Engine, vocab: number): Promise<void> {
  const seq = Int32Array.from({ length: PROBE_TOKENS }, (_, i) => (i * 7919 + 1) % vocab);
  await engine.prefill([seq]);
  const s = engine.newStream(PROBE_STEPS + 1);
  try {
    for (let t = 0; t < PROBE_STEPS; t++) await engine.step([s], Int32Array.of(seq[t]!));
  } finally {
    engine.freeStream(s);
  }
}

/**
 * Runs the probe on every candidate (once to warm up — shader compilation,
 * the wasm compiler's second tier — then timed) and returns them fastest
 * first. `clock` is injectable so that tests need no real timing.
 */
export async function measureBackends(candidates: Candidate[], vocab: number, clock: () => number = () => performance.now()): Promise<Measured[]> {
  const out: Measured[] = [];
  for (const c of candidates) {
    await probe(c.engine, vocab);
    const t0 = clock();
    await probe(c.engine, vocab);
    const secs = Math.max(1e-6, (clock() - t0) / 1000);
    out.push({ name: c.name, tokensPerSecond: (c.parallel * (PROBE_TOKENS + PROBE_STEPS)) / secs });
  }
  return out.sort((a, b) => b.tokensPerSecond - a.tokensPerSecond);
}

/** The footer's words for a measured choice. */
export function describeMeasured(measured: Measured[]): string {
  const [best, ...rest] = measured;
  const figures = rest.map((m) => `${m.name} ${Math.round(m.tokensPerSecond)}`).join(', ');
  return `measured faster here: ${Math.round(best!.tokensPerSecond)} tokens/s against ${figures}`;
}

/**
 * The faster candidate on this device, measured once and then kept in
 * `cache` under `key` (model, adapter, worker count); every other candidate's
 * engine is disposed. Returns the winner and the reason the user sees.
 */
export async function chooseFaster(
  candidates: Candidate[],
  key: string,
  cache: BackendCache | undefined,
  vocab: number,
  clock?: () => number,
): Promise<{ winner: Candidate; reason: string }> {
  const keep = (winner: Candidate, reason: string) => {
    for (const c of candidates) if (c !== winner) c.engine.dispose();
    return { winner, reason };
  };
  const known = await cache?.get(key).catch(() => null);
  const remembered = candidates.find((c) => c.name === known);
  if (remembered) return keep(remembered, 'measured faster here earlier');
  const measured = await measureBackends(candidates, vocab, clock);
  await cache?.set(key, measured[0]!.name).catch(() => {});
  return keep(candidates.find((c) => c.name === measured[0]!.name)!, describeMeasured(measured));
}
