/**
 * What gzip -9-like and brotli -q 11 would make of the same bytes, for the
 * page's comparison. Runs in the codec worker (brotli at quality 11 is slow:
 * never on the page's thread); brotli-wasm loads only when first needed.
 * gzip is the browser's own CompressionStream (level 6: what browsers have).
 */
export interface ClassicSize {
  name: string;
  size: number;
}

/** brotli at quality 11 takes ~1 s per MB here: bigger inputs get no brotli figure rather than a long wait. */
const BROTLI_LIMIT = 8 << 20;

async function gzipSize(input: Blob): Promise<number> {
  const reader = input.stream().pipeThrough(new CompressionStream('gzip')).getReader();
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) size += r.value.byteLength;
  return size;
}

async function brotliSize(input: Blob): Promise<number> {
  const brotli = await (await import('brotli-wasm')).default;
  return brotli.compress(new Uint8Array(await input.arrayBuffer()), { quality: 11 }).length;
}

export async function classicSizes(input: Blob): Promise<ClassicSize[]> {
  const out: ClassicSize[] = [{ name: 'gzip', size: await gzipSize(input) }];
  if (input.size <= BROTLI_LIMIT) out.push({ name: 'brotli -q 11', size: await brotliSize(input) });
  return out;
}
