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

/** "73% smaller" / "12% bigger": a size against the original, as people say it. */
export function versusOriginal(size: number, original: number): string {
  if (!original) return '–';
  const pct = Math.round((100 * (original - size)) / original);
  return pct >= 0 ? `${pct}% smaller` : `${-pct}% bigger`;
}
