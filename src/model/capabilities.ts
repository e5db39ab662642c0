/**
 * The one place that looks at what this runtime can do and picks the exact
 * engine's backend, in priority order: WebGPU, wasm SIMD, then plain
 * TypeScript. Every backend computes the same bits, so the choice is only
 * about speed.
 */
import { wasmSimdSupported } from './exact/wasmKernels.js';

export type BackendName = 'webgpu' | 'wasm' | 'ts';
export type BackendChoice = BackendName | 'auto';

export interface Capabilities {
  wasmSimd: boolean;
  webgpu: boolean;
  crossOriginIsolated: boolean;
  threads: number;
}

export function detectCapabilities(): Capabilities {
  const g = globalThis as { navigator?: { gpu?: unknown; hardwareConcurrency?: number }; crossOriginIsolated?: boolean };
  return {
    wasmSimd: wasmSimdSupported(),
    webgpu: !!g.navigator?.gpu,
    crossOriginIsolated: !!g.crossOriginIsolated,
    threads: g.navigator?.hardwareConcurrency ?? 1,
  };
}

/** The backends to try, best first. */
export function backendOrder(choice: BackendChoice, caps: Capabilities = detectCapabilities()): BackendName[] {
  if (choice !== 'auto') return [choice];
  const order: BackendName[] = [];
  if (caps.webgpu) order.push('webgpu');
  if (caps.wasmSimd) order.push('wasm');
  order.push('ts');
  return order;
}
