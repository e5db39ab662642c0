/** The engine input that predicts `ids`: BOS, then every token but the last. */
export function bosShifted(ids: Int32Array, bos: number): Int32Array {
  const seq = new Int32Array(ids.length);
  seq[0] = bos;
  seq.set(ids.subarray(0, ids.length - 1), 1);
  return seq;
}
