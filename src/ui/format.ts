/** Human-readable sizes and rates for the UI. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '…';
  if (s < 60) return `${Math.ceil(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
}

/** Sizes of the same bytes through the browser's own compressors, where it has them (streamed: any size). */
export async function classicSizes(input: Blob): Promise<{ name: string; size: number }[]> {
  const out: { name: string; size: number }[] = [];
  for (const fmt of ['gzip', 'brotli'] as const) {
    try {
      const reader = input.stream().pipeThrough(new CompressionStream(fmt as CompressionFormat)).getReader();
      let size = 0;
      for (let r = await reader.read(); !r.done; r = await reader.read()) size += r.value.byteLength;
      out.push({ name: fmt, size });
    } catch {
      // this browser lacks the format
    }
  }
  return out;
}
