// AssemblyScript kernels of the exact engine (compiled by scripts/build-wasm.mjs).
// Integer only: int8 x int8 products summed in i32 lanes, which is exact, so
// any lane order gives the same result as the TS reference.

/** acc[r][o] = sum_i w[o][i] * x[r][i]  (w: out x in int8, x: rows x in int8, acc: rows x out i32). */
export function matmul(w: usize, outN: i32, inN: i32, x: usize, rows: i32, acc: usize): void {
  const vecEnd = inN & ~15;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const x0 = x + <usize>(r * inN);
    const x1 = x0 + <usize>inN;
    const x2 = x1 + <usize>inN;
    const x3 = x2 + <usize>inN;
    for (let o = 0; o < outN; o++) {
      const wr = w + <usize>(o * inN);
      let s0 = i32x4.splat(0);
      let s1 = i32x4.splat(0);
      let s2 = i32x4.splat(0);
      let s3 = i32x4.splat(0);
      for (let i = 0; i < vecEnd; i += 16) {
        const a = v128.load(wr + <usize>i);
        const al = i16x8.extend_low_i8x16_s(a);
        const ah = i16x8.extend_high_i8x16_s(a);
        let b = v128.load(x0 + <usize>i);
        s0 = i32x4.add(s0, i32x4.add(i32x4.dot_i16x8_s(al, i16x8.extend_low_i8x16_s(b)), i32x4.dot_i16x8_s(ah, i16x8.extend_high_i8x16_s(b))));
        b = v128.load(x1 + <usize>i);
        s1 = i32x4.add(s1, i32x4.add(i32x4.dot_i16x8_s(al, i16x8.extend_low_i8x16_s(b)), i32x4.dot_i16x8_s(ah, i16x8.extend_high_i8x16_s(b))));
        b = v128.load(x2 + <usize>i);
        s2 = i32x4.add(s2, i32x4.add(i32x4.dot_i16x8_s(al, i16x8.extend_low_i8x16_s(b)), i32x4.dot_i16x8_s(ah, i16x8.extend_high_i8x16_s(b))));
        b = v128.load(x3 + <usize>i);
        s3 = i32x4.add(s3, i32x4.add(i32x4.dot_i16x8_s(al, i16x8.extend_low_i8x16_s(b)), i32x4.dot_i16x8_s(ah, i16x8.extend_high_i8x16_s(b))));
      }
      let t0 = hsum(s0);
      let t1 = hsum(s1);
      let t2 = hsum(s2);
      let t3 = hsum(s3);
      for (let i = vecEnd; i < inN; i++) {
        const wv = <i32>load<i8>(wr + <usize>i);
        t0 += wv * <i32>load<i8>(x0 + <usize>i);
        t1 += wv * <i32>load<i8>(x1 + <usize>i);
        t2 += wv * <i32>load<i8>(x2 + <usize>i);
        t3 += wv * <i32>load<i8>(x3 + <usize>i);
      }
      store<i32>(acc + (<usize>(r * outN + o) << 2), t0);
      store<i32>(acc + (<usize>((r + 1) * outN + o) << 2), t1);
      store<i32>(acc + (<usize>((r + 2) * outN + o) << 2), t2);
      store<i32>(acc + (<usize>((r + 3) * outN + o) << 2), t3);
    }
  }
  for (; r < rows; r++) {
    const xr = x + <usize>(r * inN);
    for (let o = 0; o < outN; o++) {
      store<i32>(acc + (<usize>(r * outN + o) << 2), dot8(w + <usize>(o * inN), xr, inN));
    }
  }
}

@inline function hsum(s: v128): i32 {
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

@inline function dot8(a: usize, b: usize, n: i32): i32 {
  const vecEnd = n & ~15;
  let s = i32x4.splat(0);
  for (let i = 0; i < vecEnd; i += 16) {
    const x = v128.load(a + <usize>i);
    const y = v128.load(b + <usize>i);
    s = i32x4.add(s, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(x), i16x8.extend_low_i8x16_s(y)), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(x), i16x8.extend_high_i8x16_s(y))));
  }
  let t = hsum(s);
  for (let i = vecEnd; i < n; i++) t += <i32>load<i8>(a + <usize>i) * <i32>load<i8>(b + <usize>i);
  return t;
}

/** out[c] = sum_j w[j] * v[j*stride + c], c < hd (w: i32 weights, v: int8 cache). */
function attnMix(w: usize, v: usize, n: i32, hd: i32, stride: i32, out: usize): void {
  const vecEnd = hd & ~3;
  for (let c = 0; c < hd; c++) store<i32>(out + (<usize>c << 2), 0);
  for (let j = 0; j < n; j++) {
    const wj = load<i32>(w + (<usize>j << 2));
    if (wj == 0) continue;
    const ws = i32x4.splat(wj);
    const vr = v + <usize>(j * stride);
    let c = 0;
    for (; c < vecEnd; c += 4) {
      const o = out + (<usize>c << 2);
      const vv = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(vr + <usize>c)));
      v128.store(o, i32x4.add(v128.load(o), i32x4.mul(ws, vv)));
    }
    for (; c < hd; c++) {
      const o = out + (<usize>c << 2);
      store<i32>(o, load<i32>(o) + wj * <i32>load<i8>(vr + <usize>c));
    }
  }
}

@inline function requant64(a: i64, m: i32, s: i32): i64 {
  return (a * <i64>m + (<i64>1 << <i64>(s - 1))) >> <i64>s;
}

/** dst[r][o] = clamp(requant(acc[r][o], m[o], s[o]), lo, hi)  (i32 in, i32 out; m, s per column). */
export function requantRows(acc: usize, rows: i32, outN: i32, m: usize, s: usize, lo: i32, hi: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const base = <usize>(r * outN) << 2;
    for (let o = 0; o < outN; o++) {
      const oo = <usize>o << 2;
      let v = requant64(<i64>load<i32>(acc + base + oo), load<i32>(m + oo), load<i32>(s + oo));
      if (v < <i64>lo) v = <i64>lo;
      if (v > <i64>hi) v = <i64>hi;
      store<i32>(dst + base + oo, <i32>v);
    }
  }
}

/**
 * One head of attention for one query (docs/numerics.md, attention step 4):
 * scores against n cached keys, integer exp2 weights, weighted sum of the
 * cached values, requantised to int8 at `out`. `exp2` is EXP2_Q23 (256 i32);
 * `scratch` holds n + hd i32.
 */
export function attend(q: usize, k: usize, v: usize, n: i32, hd: i32, stride: i32, attM: i32, attS: i32, aoM: i32, aoS: i32, exp2: usize, scratch: usize, out: usize): void {
  let M: i32 = i32.MIN_VALUE;
  for (let j = 0; j < n; j++) {
    const d = dot8(q, k + <usize>(j * stride), hd);
    store<i32>(scratch + (<usize>j << 2), d);
    if (d > M) M = d;
  }
  let P: i64 = 0;
  for (let j = 0; j < n; j++) {
    const t = <i32>requant64(<i64>(M - load<i32>(scratch + (<usize>j << 2))), attM, attS);
    const whole = t >> 8;
    const w0 = whole >= 16 ? 0 : (load<i32>(exp2 + (<usize>(t & 255) << 2)) >> 8) >> whole;
    store<i32>(scratch + (<usize>j << 2), w0);
    P += <i64>w0;
  }
  for (let j = 0; j < n; j++) {
    const p = scratch + (<usize>j << 2);
    store<i32>(p, <i32>((<i64>load<i32>(p) << 15) / P));
  }
  const o = scratch + (<usize>n << 2);
  attnMix(scratch, v, n, hd, stride, o);
  for (let c = 0; c < hd; c++) {
    let y = requant64(<i64>load<i32>(o + (<usize>c << 2)), aoM, aoS);
    if (y < -127) y = -127;
    if (y > 127) y = 127;
    store<i8>(out + <usize>c, <i8>y);
  }
}
