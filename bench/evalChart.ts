/**
 * The README's chart: bits per byte against download size (log scale), one
 * point per model variant, the classic compressors as horizontal lines. Plain
 * SVG text so it diffs and renders on any forge.
 */
export interface Point {
  label: string;
  mb: number;
  bpb: number;
}

const W = 560;
const H = 300;
const PAD = { left: 56, right: 120, top: 20, bottom: 44 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function barChartSvg(points: Point[], refs: { name: string; bpb: number }[]): string {
  const maxBpb = Math.max(...refs.map((r) => r.bpb), ...points.map((p) => p.bpb)) * 1.08;
  const minMb = Math.min(...points.map((p) => p.mb)) / 1.6;
  const maxMb = Math.max(...points.map((p) => p.mb)) * 1.6;
  const x = (mb: number) => PAD.left + ((Math.log(mb) - Math.log(minMb)) / (Math.log(maxMb) - Math.log(minMb))) * (W - PAD.left - PAD.right);
  const y = (bpb: number) => H - PAD.bottom - (bpb / maxBpb) * (H - PAD.top - PAD.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 8}" text-anchor="middle">model download (MB, log scale)</text>`,
    `<text x="14" y="${(PAD.top + H - PAD.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(PAD.top + H - PAD.bottom) / 2})">bits per byte (lower is better)</text>`,
  ];
  for (let b = 0; b <= maxBpb; b += 0.5) {
    out.push(`<line x1="${PAD.left - 4}" y1="${y(b)}" x2="${PAD.left}" y2="${y(b)}" stroke="#333"/><text x="${PAD.left - 6}" y="${y(b) + 4}" text-anchor="end">${b.toFixed(1)}</text>`);
  }
  for (const mb of [1, 2, 4, 8, 16, 32, 64]) {
    if (mb < minMb || mb > maxMb) continue;
    out.push(`<line x1="${x(mb)}" y1="${H - PAD.bottom}" x2="${x(mb)}" y2="${H - PAD.bottom + 4}" stroke="#333"/><text x="${x(mb)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${mb}</text>`);
  }
  for (const r of refs) {
    out.push(`<line x1="${PAD.left}" y1="${y(r.bpb)}" x2="${W - PAD.right}" y2="${y(r.bpb)}" stroke="#999" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${W - PAD.right + 6}" y="${y(r.bpb) + 4}" fill="#555">${esc(r.name)} ${r.bpb.toFixed(2)}</text>`);
  }
  // Labels above their points; one that would run into the previous label above goes below (or, failing that, higher up).
  const last = { above: -Infinity, below: -Infinity };
  for (const p of [...points].sort((a, b) => a.mb - b.mb)) {
    const px = x(p.mb);
    const room = (at: number) => px - at >= 90;
    const dy = room(last.above) ? ((last.above = px), -9) : room(last.below) ? ((last.below = px), 19) : ((last.above = px), -22);
    out.push(`<circle cx="${px}" cy="${y(p.bpb)}" r="5" fill="#2f5bd3"/>`);
    out.push(`<text x="${px}" y="${y(p.bpb) + dy}" text-anchor="middle">${esc(p.label)} ${p.bpb.toFixed(2)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
