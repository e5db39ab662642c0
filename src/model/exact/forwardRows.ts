/**
 * The rows a forward pass of the fast engines (wasm/TS kernels, WebGPU)
 * runs: a stream at a position, fed a token or a soft-prompt vector
 * (docs/numerics.md, "Soft prompts"). Both engines build and check them here.
 */

export interface ForwardRow<S extends { capacity: number }> {
  stream: S;
  /** Token id, or -1 for a soft-prompt vector. */
  token: number;
  pos: number;
  /** A soft-prompt vector (residual values) in place of the token's embedding. */
  vec?: Int32Array;
}

/** One row per `dim`-wide vector of `prompt`, at positions start, start + 1, … */
export function promptRows<S extends { capacity: number }>(stream: S, prompt: Int32Array, start: number, dim: number): ForwardRow<S>[] {
  if (prompt.length % dim) throw new RangeError(`a prompt is a whole number of ${dim}-wide vectors`);
  return Array.from({ length: prompt.length / dim }, (_, i) => ({ stream, token: -1, pos: start + i, vec: prompt.subarray(i * dim, (i + 1) * dim) }));
}

/** Refuses a row past its stream's cache or a token outside the vocabulary. */
export function checkRows(rows: ForwardRow<{ capacity: number }>[], vocab: number): void {
  for (const r of rows) {
    if (r.pos >= r.stream.capacity) throw new RangeError(`position ${r.pos} beyond the stream's ${r.stream.capacity}`);
    if (!r.vec && !(r.token >= 0 && r.token < vocab)) throw new RangeError(`token ${r.token} outside the vocabulary`);
  }
}

/**
 * Runs of rows of one stream at consecutive positions, as [first row, count]:
 * a prefill is one run, a decoding step one run per stream. Attention takes a
 * run in one kernel call (its queries in tiles that share each key's loads).
 */
export function positionRuns(rows: ForwardRow<{ capacity: number }>[]): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    while (j < rows.length && rows[j]!.stream === rows[i]!.stream && rows[j]!.pos === rows[j - 1]!.pos + 1) j++;
    runs.push([i, j - i]);
    i = j;
  }
  return runs;
}
