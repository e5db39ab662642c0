import { describe, expect, it } from 'vitest';
import { backendOrder, detectCapabilities } from '../../src/model/capabilities.js';

describe('capability detection', () => {
  it('sees wasm SIMD in Node 20 and prefers it', () => {
    expect(detectCapabilities().wasmSimd).toBe(true);
    expect(backendOrder('auto')).toEqual(['wasm', 'ts']);
  });
  it('falls back to plain TypeScript without SIMD, and honours an explicit choice', () => {
    expect(backendOrder('auto', { wasmSimd: false, webgpu: false, crossOriginIsolated: false, threads: 1 })).toEqual(['ts']);
    expect(backendOrder('ts')).toEqual(['ts']);
  });
});
