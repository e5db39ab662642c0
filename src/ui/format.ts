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

/** Sizes of the same bytes through the browser's own compressors, where it has them. */
export async function classicSizes(bytes: Uint8Array): Promise<{ name: string; size: number }[]> {
  const out: { name: string; size: number }[] = [];
  for (const fmt of ['gzip', 'brotli'] as const) {
    try {
      const cs = new CompressionStream(fmt as CompressionFormat);
      const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(cs);
      const buf = await new Response(stream).arrayBuffer();
      out.push({ name: fmt, size: buf.byteLength });
    } catch {
      // this browser lacks the format
    }
  }
  return out;
}
