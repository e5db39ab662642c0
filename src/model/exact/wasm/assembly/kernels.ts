// AssemblyScript kernels of the exact engine (compiled by scripts/build-wasm.mjs).
// Integer only: int8 x int8 products summed in i32 lanes, which is exact, so
// any lane order gives the same result as the TS reference.

/**
 * A weight matrix (out x in int8, row-major at w) in the order matmul reads it, at dst
 * (packedMatrixBytes(outN, inN) bytes): outputs in pairs, and for each pair its two rows
 * eight inputs at a time side by side (16 bytes a step), each row zero-padded to a
 * multiple of 8 inputs; an odd last output's row alone, padded. The matmul's loop then
 * walks one pointer with fixed offsets (no address arithmetic per load) and has no
 * scalar tail. Done once, when a model's weights are loaded.
 */
export function packMatrix(w: usize, outN: i32, inN: i32, dst: usize): void {
  const padded = (inN + 7) & ~7;
  memory.fill(dst, 0, <usize>packedMatrixBytes(outN, inN));
  for (let o = 0; o < outN; o++) {
    const pair = o >> 1;
    const last = (o & 1) == 0 && o + 1 == outN; // an odd last output: its row alone
    const base = dst + <usize>(pair * 2 * padded);
    for (let i = 0; i < inN; i++) {
      const at = last ? base + <usize>i : base + <usize>((i >> 3) * 16 + (o & 1) * 8 + (i & 7));
      store<i8>(at, load<i8>(w + <usize>(o * inN + i)));
    }
  }
}

/** Bytes of packMatrix's layout: each row padded to a multiple of 8 inputs. */
export function packedMatrixBytes(outN: i32, inN: i32): i32 {
  return outN * ((inN + 7) & ~7);
}

/**
 * The activations (rows x in int8) widened to int16 once per call, in the order the
 * matmul reads them: rows in tiles of four, each tile eight inputs at a time with its
 * four rows side by side (64 bytes a step); the rows after the last whole tile (one to
 * three) likewise side by side, 16 bytes per row a step; every row zero-padded to a
 * multiple of 8 inputs.
 */
function widenRows(x: usize, rows: i32, inN: i32, xw: usize): void {
  const groups = (inN + 7) >> 3;
  const whole = inN >> 3; // groups with all eight inputs (the last may be partial: padded with zeros)
  const tiles = rows >> 2;
  const rem = rows & 3;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>(r * inN);
    // where group 0 of this row goes, and the distance between groups
    let at: usize, step: usize;
    if (r < tiles << 2) {
      at = xw + (<usize>((r >> 2) * groups * 4 + (r & 3)) << 4);
      step = 64;
    }
    else {
      at = xw + (<usize>(tiles * groups * 4 + (r - (tiles << 2))) << 4);
      step = <usize>rem << 4;
    }
    for (let g = 0; g < whole; g++, at += step) v128.store(at, v128.load8x8_s(xr + (<usize>g << 3)));
    if (whole < groups) {
      v128.store(at, i16x8.splat(0));
      for (let i = whole << 3; i < inN; i++) store<i16>(at + (<usize>(i & 7) << 1), <i16>load<i8>(xr + <usize>i));
    }
  }
}

/** Packed weights above which one row goes one output pair at a time (see tile1x4). */
const ONE_ROW_STREAM_BYTES: usize = 1 << 20;

/**
 * acc[r][o] = sum_i w[o][i] * x[r][i]  (w: packed by packMatrix, x: rows x in int8,
 * acc: rows x out i32). `xw` is scratch for the widened rows (((rows + 3) & ~3) x
 * padded in int16). Tiles of 4 rows x 2 outputs (8 accumulators, 2 weight vectors
 * loaded and widened in one instruction each, 4 row vectors: the 15 SIMD registers V8
 * allocates); the one to three rows after the last whole tile as one tile too (3 x 2,
 * 2 x 4, 1 x 4 outputs), so a batch of 6 streams (a 32 KB text on two threads) reads
 * and widens each weight twice, not three times, and a lone row's weights serve two
 * rows' worth of products per load. (Blocking the outputs so that the weights stay in
 * L1 across tiles measured no faster: the weights stream from L3 fast enough.)
 */
export function matmul(w: usize, outN: i32, inN: i32, x: usize, rows: i32, acc: usize, xw: usize): void {
  widenRows(x, rows, inN, xw);
  const groups = (inN + 7) >> 3;
  const tiles = rows >> 2;
  const rem = rows & 3;
  const pairs = outN >> 1;
  const pairBytes = <usize>(groups << 4);
  const outBytes = <usize>outN << 2;
  const tailX = xw + (<usize>(tiles * groups) << 6);
  const tailAcc = acc + <usize>(tiles << 2) * outBytes;
  for (let t = 0; t < tiles; t++) tile4x2(w, pairs, groups, pairBytes, xw + (<usize>(t * groups) << 6), acc + <usize>(t << 2) * outBytes, outBytes);
  if (rem == 3) tile3x2(w, pairs, groups, pairBytes, tailX, tailAcc, outBytes);
  else if (rem == 2) tile2x4(w, pairs, groups, pairBytes, tailX, tailAcc, outBytes);
  else if (rem == 1) tile1x4(w, pairs, groups, pairBytes, tailX, tailAcc, <usize>pairs * pairBytes <= ONE_ROW_STREAM_BYTES);
  if (outN & 1) {
    // an odd last output: its row alone, against every row
    const wl0 = w + <usize>pairs * pairBytes;
    for (let t = 0; t < tiles; t++) {
      let wp = wl0;
      let xp = xw + (<usize>(t * groups) << 6);
      let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
      for (let g = 0; g < groups; g++, wp += 8, xp += 64) {
        const wl = v128.load8x8_s(wp);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(wl, v128.load(xp)));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(wl, v128.load(xp, 16)));
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(wl, v128.load(xp, 32)));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(wl, v128.load(xp, 48)));
      }
      const sums = sumsOf4(a0, a1, a2, a3);
      const c = acc + <usize>(t << 2) * outBytes + (<usize>(outN - 1) << 2);
      store<i32>(c, i32x4.extract_lane(sums, 0));
      store<i32>(c + outBytes, i32x4.extract_lane(sums, 1));
      store<i32>(c + 2 * outBytes, i32x4.extract_lane(sums, 2));
      store<i32>(c + 3 * outBytes, i32x4.extract_lane(sums, 3));
    }
    const step = <usize>rem << 4;
    for (let r = 0; r < rem; r++) {
      let wp = wl0;
      let xp = tailX + (<usize>r << 4);
      let a = i32x4.splat(0);
      for (let g = 0; g < groups; g++, wp += 8, xp += step) a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load8x8_s(wp), v128.load(xp)));
      store<i32>(tailAcc + <usize>r * outBytes + (<usize>(outN - 1) << 2), hsum(a));
    }
  }
}

/** Four rows (widened, side by side at xt) against every output pair: the 4 x 2 tile. */
function tile4x2(w: usize, pairs: i32, groups: i32, pairBytes: usize, xt: usize, rowAcc: usize, outBytes: usize): void {
  for (let p = 0; p < pairs; p++) {
    let wp = w + <usize>p * pairBytes;
    let xp = xt;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
    for (let g = 0; g < groups; g++, wp += 16, xp += 64) {
      const wl = v128.load8x8_s(wp);
      const wh = v128.load8x8_s(wp, 8);
      const y0 = v128.load(xp), y1 = v128.load(xp, 16), y2 = v128.load(xp, 32), y3 = v128.load(xp, 48);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(wl, y0));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(wh, y0));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(wl, y1));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(wh, y1));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(wl, y2));
      b2 = i32x4.add(b2, i32x4.dot_i16x8_s(wh, y2));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(wl, y3));
      b3 = i32x4.add(b3, i32x4.dot_i16x8_s(wh, y3));
    }
    // [row 0: o, o + 1, row 1: o, o + 1] and the same for rows 2 and 3
    const s01 = sumsOf4(a0, b0, a1, b1);
    const s23 = sumsOf4(a2, b2, a3, b3);
    const c = rowAcc + (<usize>p << 3);
    v128.store64_lane(c, s01, 0);
    v128.store64_lane(c + outBytes, s01, 1);
    v128.store64_lane(c + 2 * outBytes, s23, 0);
    v128.store64_lane(c + 3 * outBytes, s23, 1);
  }
}

/** Three rows (side by side, 48 bytes a step) against every output pair. */
function tile3x2(w: usize, pairs: i32, groups: i32, pairBytes: usize, xt: usize, rowAcc: usize, outBytes: usize): void {
  for (let p = 0; p < pairs; p++) {
    let wp = w + <usize>p * pairBytes;
    let xp = xt;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0);
    let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0);
    for (let g = 0; g < groups; g++, wp += 16, xp += 48) {
      const wl = v128.load8x8_s(wp);
      const wh = v128.load8x8_s(wp, 8);
      const y0 = v128.load(xp), y1 = v128.load(xp, 16), y2 = v128.load(xp, 32);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(wl, y0));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(wh, y0));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(wl, y1));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(wh, y1));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(wl, y2));
      b2 = i32x4.add(b2, i32x4.dot_i16x8_s(wh, y2));
    }
    const s01 = sumsOf4(a0, b0, a1, b1);
    const s2 = sumsOf4(a2, b2, a2, b2);
    const c = rowAcc + (<usize>p << 3);
    v128.store64_lane(c, s01, 0);
    v128.store64_lane(c + outBytes, s01, 1);
    v128.store64_lane(c + 2 * outBytes, s2, 0);
  }
}

/** Two rows (side by side, 32 bytes a step) against every output pair, two pairs at a time. */
function tile2x4(w: usize, pairs: i32, groups: i32, pairBytes: usize, xt: usize, rowAcc: usize, outBytes: usize): void {
  let p = 0;
  for (; p + 2 <= pairs; p += 2) {
    let wp = w + <usize>p * pairBytes;
    let xp = xt;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), b0 = i32x4.splat(0), b1 = i32x4.splat(0);
    let c0 = i32x4.splat(0), c1 = i32x4.splat(0), d0 = i32x4.splat(0), d1 = i32x4.splat(0);
    for (let g = 0; g < groups; g++, wp += 16, xp += 32) {
      const wa = v128.load8x8_s(wp);
      const wb = v128.load8x8_s(wp, 8);
      const wc = v128.load8x8_s(wp + pairBytes);
      const wd = v128.load8x8_s(wp + pairBytes, 8);
      const y0 = v128.load(xp), y1 = v128.load(xp, 16);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(wa, y0));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(wb, y0));
      c0 = i32x4.add(c0, i32x4.dot_i16x8_s(wc, y0));
      d0 = i32x4.add(d0, i32x4.dot_i16x8_s(wd, y0));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(wa, y1));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(wb, y1));
      c1 = i32x4.add(c1, i32x4.dot_i16x8_s(wc, y1));
      d1 = i32x4.add(d1, i32x4.dot_i16x8_s(wd, y1));
    }
    // row 0: outputs 2p .. 2p + 3, row 1 likewise
    const c = rowAcc + (<usize>p << 3);
    v128.store(c, sumsOf4(a0, b0, c0, d0));
    v128.store(c + outBytes, sumsOf4(a1, b1, c1, d1));
  }
  if (p < pairs) {
    let wp = w + <usize>p * pairBytes;
    let xp = xt;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), b0 = i32x4.splat(0), b1 = i32x4.splat(0);
    for (let g = 0; g < groups; g++, wp += 16, xp += 32) {
      const wl = v128.load8x8_s(wp);
      const wh = v128.load8x8_s(wp, 8);
      const y0 = v128.load(xp), y1 = v128.load(xp, 16);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(wl, y0));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(wh, y0));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(wl, y1));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(wh, y1));
    }
    const s = sumsOf4(a0, b0, a1, b1);
    const c = rowAcc + (<usize>p << 3);
    v128.store64_lane(c, s, 0);
    v128.store64_lane(c + outBytes, s, 1);
  }
}

/**
 * One row (16 bytes a step) against every output pair, two pairs at a time when `twoPairs`
 * (one pair at a time streams a matrix bigger than L2 faster: the head at batch 1 measured
 * 18 against 20 GMAC/s two at a time, the layers' matrices 27 against 23).
 */
function tile1x4(w: usize, pairs: i32, groups: i32, pairBytes: usize, xr: usize, rowAcc: usize, twoPairs: bool): void {
  let p = 0;
  if (twoPairs) for (; p + 2 <= pairs; p += 2) {
    let wp = w + <usize>p * pairBytes;
    let xp = xr;
    let a = i32x4.splat(0), b = i32x4.splat(0), c = i32x4.splat(0), d = i32x4.splat(0);
    for (let g = 0; g < groups; g++, wp += 16, xp += 16) {
      const y = v128.load(xp);
      a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load8x8_s(wp), y));
      b = i32x4.add(b, i32x4.dot_i16x8_s(v128.load8x8_s(wp, 8), y));
      c = i32x4.add(c, i32x4.dot_i16x8_s(v128.load8x8_s(wp + pairBytes), y));
      d = i32x4.add(d, i32x4.dot_i16x8_s(v128.load8x8_s(wp + pairBytes, 8), y));
    }
    v128.store(rowAcc + (<usize>p << 3), sumsOf4(a, b, c, d));
  }
  for (; p < pairs; p++) {
    let wp = w + <usize>p * pairBytes;
    let xp = xr;
    let a = i32x4.splat(0), b = i32x4.splat(0);
    for (let g = 0; g < groups; g++, wp += 16, xp += 16) {
      const y = v128.load(xp);
      a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load8x8_s(wp), y));
      b = i32x4.add(b, i32x4.dot_i16x8_s(v128.load8x8_s(wp, 8), y));
    }
    v128.store64_lane(rowAcc + (<usize>p << 3), sumsOf4(a, b, a, b), 0);
  }
}

/** sum_i a[i] * b[i], a int8, b int16 (widened activations). */
@inline function dot8w(a: usize, b: usize, n: i32): i32 {
  const vecEnd = n & ~15;
  let s = i32x4.splat(0);
  for (let i = 0; i < vecEnd; i += 16) {
    const x = v128.load(a + <usize>i);
    const off = <usize>i << 1;
    s = i32x4.add(s, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(x), v128.load(b + off)), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(x), v128.load(b + off + 16))));
  }
  let t = hsum(s);
  for (let i = vecEnd; i < n; i++) t += <i32>load<i8>(a + <usize>i) * <i32>load<i16>(b + (<usize>i << 1));
  return t;
}

@inline function hsum(s: v128): i32 {
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

/** A query's hd int8 (hd a multiple of 8) widened to int16 at qw, once for all the keys it meets. */
@inline function widenQuery(q: usize, hd: i32, qw: usize): void {
  for (let i = 0; i < hd; i += 8) v128.store(qw + (<usize>i << 1), v128.load8x8_s(q + <usize>i));
}

/** [sum s0, sum s1, sum s2, sum s3]: four accumulators' lanes summed by shuffles, no extracts. */
@inline function sumsOf4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const p01 = i32x4.add(i32x4.shuffle(s0, s1, 0, 4, 2, 6), i32x4.shuffle(s0, s1, 1, 5, 3, 7));
  const p23 = i32x4.add(i32x4.shuffle(s2, s3, 0, 4, 2, 6), i32x4.shuffle(s2, s3, 1, 5, 3, 7));
  return i32x4.add(i32x4.shuffle(p01, p23, 0, 1, 4, 5), i32x4.shuffle(p01, p23, 2, 3, 6, 7));
}

/** The largest of the four i32 lanes. */
@inline function maxLanes(v: v128): i32 {
  const a = i32x4.max_s(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  const b = i32x4.max_s(a, i32x4.shuffle(a, a, 1, 0, 3, 2));
  return i32x4.extract_lane(b, 0);
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

/**
 * scores[j] = q . k_j for n keys (hd a multiple of 16): q widened to int16
 * once (at qw, 2*hd bytes), four keys per pass, their four sums reduced
 * together by shuffles instead of a horizontal sum per key. Integer sums, so
 * the order of additions does not change a score. Returns the largest.
 * The channels go 32 a step, each load at an immediate offset from one
 * pointer per key: a step of 8 spent as many instructions on addresses, loop
 * control and V8's interrupt check as on the products (1.19x on the kernel).
 */
function attnScores16(q: usize, k: usize, n: i32, hd: i32, stride: i32, qw: usize, scores: usize): i32 {
  widenQuery(q, hd, qw);
  let mv = i32x4.splat(i32.MIN_VALUE);
  const wide = hd & ~31;
  let j = 0;
  let kr = k;
  for (; j + 4 <= n; j += 4, kr += <usize>(stride << 2)) {
    let s0 = i32x4.splat(0);
    let s1 = i32x4.splat(0);
    let s2 = i32x4.splat(0);
    let s3 = i32x4.splat(0);
    for (let i = 0; i < wide; i += 32) {
      const k0 = kr + <usize>i;
      const k1 = k0 + <usize>stride;
      const k2 = k1 + <usize>stride;
      const k3 = k2 + <usize>stride;
      const qp = qw + (<usize>i << 1);
      const qa = v128.load(qp);
      const qb = v128.load(qp, 16);
      const qc = v128.load(qp, 32);
      const qd = v128.load(qp, 48);
      s0 = i32x4.add(s0, i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k0), qa), i32x4.dot_i16x8_s(v128.load8x8_s(k0, 8), qb)), i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k0, 16), qc), i32x4.dot_i16x8_s(v128.load8x8_s(k0, 24), qd))));
      s1 = i32x4.add(s1, i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k1), qa), i32x4.dot_i16x8_s(v128.load8x8_s(k1, 8), qb)), i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k1, 16), qc), i32x4.dot_i16x8_s(v128.load8x8_s(k1, 24), qd))));
      s2 = i32x4.add(s2, i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k2), qa), i32x4.dot_i16x8_s(v128.load8x8_s(k2, 8), qb)), i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k2, 16), qc), i32x4.dot_i16x8_s(v128.load8x8_s(k2, 24), qd))));
      s3 = i32x4.add(s3, i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k3), qa), i32x4.dot_i16x8_s(v128.load8x8_s(k3, 8), qb)), i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k3, 16), qc), i32x4.dot_i16x8_s(v128.load8x8_s(k3, 24), qd))));
    }
    if (wide < hd) {
      // the last 16 channels of a head dim that is an odd multiple of 16
      const k0 = kr + <usize>wide;
      const k1 = k0 + <usize>stride;
      const k2 = k1 + <usize>stride;
      const k3 = k2 + <usize>stride;
      const qp = qw + (<usize>wide << 1);
      const qa = v128.load(qp);
      const qb = v128.load(qp, 16);
      s0 = i32x4.add(s0, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k0), qa), i32x4.dot_i16x8_s(v128.load8x8_s(k0, 8), qb)));
      s1 = i32x4.add(s1, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k1), qa), i32x4.dot_i16x8_s(v128.load8x8_s(k1, 8), qb)));
      s2 = i32x4.add(s2, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k2), qa), i32x4.dot_i16x8_s(v128.load8x8_s(k2, 8), qb)));
      s3 = i32x4.add(s3, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(k3), qa), i32x4.dot_i16x8_s(v128.load8x8_s(k3, 8), qb)));
    }
    const sums = sumsOf4(s0, s1, s2, s3);
    v128.store(scores + (<usize>j << 2), sums);
    mv = i32x4.max_s(mv, sums);
  }
  let M = maxLanes(mv);
  for (; j < n; j++) {
    const d = dot8(q, k + <usize>(j * stride), hd);
    store<i32>(scores + (<usize>j << 2), d);
    if (d > M) M = d;
  }
  return M;
}

/**
 * The weighted sum of one query's values for weights below 2^15 (every weight
 * unless one key holds them all) and hd a multiple of 16: two keys at a time
 * as one i16 dot product per four channels (the cache keeps a pair's values
 * interleaved byte by byte, the two weights packed into each i32 lane), so
 * eight multiply-adds per instruction. Integer sums in another order: the
 * same result as attnMix.
 */
function attnMixPairs16(w: usize, v: usize, n: i32, hd: i32, stride: i32, out: usize): void {
  // the weights of keys 2i and 2i + 1 packed as two i16 in one i32, in place, eight keys a step by
  // narrowing (exact below 2^15; a step's loads come before its store, which lands below them);
  // an odd last key pairs with a zero weight
  const pairs = (n + 1) >> 1;
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const p = w + (<usize>j << 2);
    v128.store(w + (<usize>j << 1), i16x8.narrow_i32x4_s(v128.load(p), v128.load(p + 16)));
  }
  for (; j < n; j += 2) {
    const wk = j + 1 < n ? load<i32>(w + (<usize>j << 2) + 4) : 0;
    store<i32>(w + (<usize>j << 1), load<i32>(w + (<usize>j << 2)) | (wk << 16));
  }
  // a pair of keys' values is stored interleaved (channel c of both at 2c, 2c + 1), so eight
  // bytes loaded and widened in one instruction are four channels of both keys: one i16 dot
  // product against the packed weights, no shuffles
  const step = <usize>(stride << 1);
  for (let c = 0; c < hd; c += 16) {
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    let a2 = i32x4.splat(0);
    let a3 = i32x4.splat(0);
    let vr = v + (<usize>c << 1);
    let wp = w;
    for (let i = 0; i < pairs; i++, vr += step, wp += 4) {
      const ws = v128.load32_splat(wp);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load8x8_s(vr), ws));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load8x8_s(vr, 8), ws));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load8x8_s(vr, 16), ws));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load8x8_s(vr, 24), ws));
    }
    const o = out + (<usize>c << 2);
    v128.store(o, a0);
    v128.store(o + 16, a1);
    v128.store(o + 32, a2);
    v128.store(o + 48, a3);
  }
}

/**
 * out[c] = sum_j w[j] * (key j's value c), c < hd, key by key, skipping zero weights: for the
 * cases the paired sums do not take (one key holding all the weight, head dims off the 16-lane
 * grid). Values in pairs of positions interleaved byte by byte (see attend).
 */
function attnMix(w: usize, v: usize, n: i32, hd: i32, stride: i32, out: usize): void {
  for (let c = 0; c < hd; c++) store<i32>(out + (<usize>c << 2), 0);
  for (let j = 0; j < n; j++) {
    const wj = load<i32>(w + (<usize>j << 2));
    if (wj == 0) continue;
    const vr = v + <usize>((j >> 1) * 2 * stride + (j & 1));
    for (let c = 0; c < hd; c++) {
      const o = out + (<usize>c << 2);
      store<i32>(o, load<i32>(o) + wj * <i32>load<i8>(vr + (<usize>c << 1)));
    }
  }
}

@inline function requant64(a: i64, m: i32, s: i32): i64 {
  return (a * <i64>m + (<i64>1 << <i64>(s - 1))) >> <i64>s;
}

/**
 * dst[r][o] = clamp(requant(acc[r][o], m[o], s[o]), lo, hi)  (i32 in, i32 out; m, s per column).
 * In f64, four columns at a time over a block of rows: docs/numerics.md bounds
 * abs(a * m) below 2^46, so with ms = m * 2^-s (exact: a power-of-two scaling)
 * a * ms = a * m / 2^s exactly, adding 1/2 stays within 53 bits, and its floor
 * is round_shift(a * m, s). The clamped integer is read from the low word of
 * y + 1.5 * 2^52, exact for abs(y) < 2^31.
 */
/**
 * Four accumulators requantised and clamped (requantRows' arithmetic): floor(a * ms + 1/2) in f64,
 * ms = m * 2^-s for columns 0, 1 in msLo and 2, 3 in msHi, clamped to [lo, hi] and read back as
 * i32 from the low words of y + 1.5 * 2^52 (`magic`).
 */
@inline function requantQuad(a: v128, msLo: v128, msHi: v128, half: v128, loV: v128, hiV: v128, magic: v128): v128 {
  const yl = f64x2.floor(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(a), msLo), half));
  const yh = f64x2.floor(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(a, a, 2, 3, 0, 1)), msHi), half));
  return i32x4.shuffle(f64x2.add(f64x2.pmin(f64x2.pmax(yl, loV), hiV), magic), f64x2.add(f64x2.pmin(f64x2.pmax(yh, loV), hiV), magic), 0, 2, 4, 6);
}

/** A block of columns' factors m * 2^-s for requantFewRows, two f64 per column. */
const FACTOR_COLUMNS = 256;
const FACTORS = memory.data(FACTOR_COLUMNS * 8, 16);

/**
 * requantRows for a few rows (a decoding step's, one per stream): the factors of a block of
 * columns computed once into FACTORS and used for every row, each row read along its columns.
 * (Rows that lie far apart visited column by column - the many-rows order - thrash L1 when they
 * are a multiple of 4 KB apart, as a head's rows of 8,192 logits are; and one row at a time
 * recomputing each factor doubled the work.)
 */
function requantFewRows(acc: usize, rows: i32, quadEnd: i32, rowBytes: usize, m: usize, s: usize, dst: usize, loV: v128, hiV: v128, half: v128, magic: v128): void {
  for (let c0 = 0; c0 < quadEnd; c0 += FACTOR_COLUMNS) {
    const c1 = min(quadEnd, c0 + FACTOR_COLUMNS);
    for (let o = c0; o < c1; o += 4) {
      const oo = <usize>o << 2;
      const mv = v128.load(m + oo);
      const sv = v128.load(s + oo);
      const scaleLo = i64x2.shl(i64x2.sub(i64x2.splat(1023), i64x2.extend_low_i32x4_s(sv)), 52);
      const scaleHi = i64x2.shl(i64x2.sub(i64x2.splat(1023), i64x2.extend_high_i32x4_s(sv)), 52);
      const f = FACTORS + (<usize>(o - c0) << 3);
      v128.store(f, f64x2.mul(f64x2.convert_low_i32x4_s(mv), scaleLo));
      v128.store(f, f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(mv, mv, 2, 3, 0, 1)), scaleHi), 16);
    }
    for (let r = 0; r < rows; r++) {
      let p = acc + <usize>r * rowBytes + (<usize>c0 << 2);
      let q = dst + <usize>r * rowBytes + (<usize>c0 << 2);
      let f = FACTORS;
      for (let o = c0; o < c1; o += 4, p += 16, q += 16, f += 32) v128.store(q, requantQuad(v128.load(p), v128.load(f), v128.load(f, 16), half, loV, hiV, magic));
    }
  }
}

export function requantRows(acc: usize, rows: i32, outN: i32, m: usize, s: usize, lo: i32, hi: i32, dst: usize): void {
  const loV = f64x2.splat(<f64>lo);
  const hiV = f64x2.splat(<f64>hi);
  const half = f64x2.splat(0.5);
  const magic = f64x2.splat(6755399441055744.0);
  const quadEnd = outN & ~3;
  const rowBytes = <usize>outN << 2;
  if (rows < 16) requantFewRows(acc, rows, quadEnd, rowBytes, m, s, dst, loV, hiV, half, magic);
  // blocks of rows that share each column's factors
  else for (let r0 = 0; r0 < rows; r0 += 64) {
    const r1 = min(rows, r0 + 64);
    for (let o = 0; o < quadEnd; o += 4) {
      const oo = <usize>o << 2;
      const mv = v128.load(m + oo);
      const sv = v128.load(s + oo);
      // 2^-s from its exponent bits, two columns at a time
      const scaleLo = i64x2.shl(i64x2.sub(i64x2.splat(1023), i64x2.extend_low_i32x4_s(sv)), 52);
      const scaleHi = i64x2.shl(i64x2.sub(i64x2.splat(1023), i64x2.extend_high_i32x4_s(sv)), 52);
      const msLo = f64x2.mul(f64x2.convert_low_i32x4_s(mv), scaleLo);
      const msHi = f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(mv, mv, 2, 3, 0, 1)), scaleHi);
      let p = acc + <usize>r0 * rowBytes + oo;
      let q = dst + <usize>r0 * rowBytes + oo;
      for (let r = r0; r < r1; r++, p += rowBytes, q += rowBytes) v128.store(q, requantQuad(v128.load(p), msLo, msHi, half, loV, hiV, magic));
    }
  }
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * rowBytes;
    for (let o = quadEnd; o < outN; o++) {
      const oo = <usize>o << 2;
      let v = requant64(<i64>load<i32>(acc + base + oo), load<i32>(m + oo), load<i32>(s + oo));
      if (v < <i64>lo) v = <i64>lo;
      if (v > <i64>hi) v = <i64>hi;
      store<i32>(dst + base + oo, <i32>v);
    }
  }
}

/**
 * exp2_q15(t) = (EXP2_Q23[t & 255] >> 8) >> (t >> 8) for t < 4096 and 0 from
 * there (the entry at W0_TABLE_LAST), as one table, so that attention can
 * look a weight up by t four keys at a time. Filled from the EXP2_Q23 the
 * caller passes (the same constant every time; refilled if its address changes).
 */
const W0_TABLE_LAST = 4096;
const W0_TABLE = memory.data((W0_TABLE_LAST + 1) * 4, 16);
let w0TableFrom: usize = 0;

function fillW0Table(exp2: usize): void {
  for (let t = 0; t < W0_TABLE_LAST; t++) store<i32>(W0_TABLE + (<usize>t << 2), (load<i32>(exp2 + (<usize>(t & 255) << 2)) >> 8) >> (t >> 8));
  store<i32>(W0_TABLE + (<usize>W0_TABLE_LAST << 2), 0);
  w0TableFrom = exp2;
}

/** 2^e as a double, for 0 <= e + 1023 < 2047. */
@inline function pow2(e: i32): f64 {
  return reinterpret<f64>(<i64>(e + 1023) << 52);
}

/**
 * The attention weights of one query from its n scores at w, in place
 * (docs/numerics.md, attention step 4): w0[j] = exp2_q15(requant(M - score[j],
 * attM, attS)), then w[j] = floor(w0[j] * 2^15 / P) with P their sum. M is
 * the largest score. Returns whether every weight is below 2^15 (always,
 * unless one key holds all the weight), which the paired weighted sums need.
 */
function attentionWeights(w: usize, n: i32, M: i32, attM: i32, attS: i32, exp2: usize): bool {
  if (exp2 != w0TableFrom) fillW0Table(exp2);
  if (n >= 1 << 17 || attS < 1 || attS > 30 || attM <= 0) return attentionWeightsScalar(w, n, M, attM, attS, exp2);
  // 1. t[j] = min(requant(M - score[j]), W0_TABLE_LAST), four keys at a time, in place
  let j = 0;
  const Mv = i32x4.splat(M);
  const last = i32x4.splat(W0_TABLE_LAST);
  // every d = M - score at or past D has t >= W0_TABLE_LAST (weight 0): with d clamped to D,
  // d * attM + 2^(attS-1) stays below 2^31 for the scales models have (att_s <= 18), so i32 lanes do
  const half = <i64>1 << <i64>(attS - 1);
  const D = ((<i64>W0_TABLE_LAST << <i64>attS) - half + <i64>attM - 1) / <i64>attM;
  if (D * <i64>attM + half < <i64>1 << 31) {
    const Dv = i32x4.splat(<i32>D);
    const mV = i32x4.splat(attM);
    const halfV = i32x4.splat(<i32>half);
    for (; j + 4 <= n; j += 4) {
      const p = w + (<usize>j << 2);
      const d = i32x4.min_u(i32x4.sub(Mv, v128.load(p)), Dv);
      v128.store(p, i32x4.min_u(i32x4.shr_s(i32x4.add(i32x4.mul(d, mV), halfV), attS), last));
    }
  }
  else {
    // in f64 (exact: (M - score) * attM < 2^53)
    const mV = f64x2.splat(<f64>attM);
    const halfV = f64x2.splat(pow2(attS - 1));
    const invV = f64x2.splat(1.0 / pow2(attS));
    for (; j + 4 <= n; j += 4) {
      const p = w + (<usize>j << 2);
      const d = i32x4.sub(Mv, v128.load(p));
      const lo = f64x2.floor(f64x2.mul(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(d), mV), halfV), invV));
      const hi = f64x2.floor(f64x2.mul(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(i32x4.shuffle(d, d, 2, 3, 0, 1)), mV), halfV), invV));
      v128.store(p, i32x4.min_u(i32x4.shuffle(i32x4.trunc_sat_f64x2_u_zero(lo), i32x4.trunc_sat_f64x2_u_zero(hi), 0, 1, 4, 5), last));
    }
  }
  for (; j < n; j++) {
    const p = w + (<usize>j << 2);
    store<i32>(p, <i32>min<i64>(requant64(<i64>(M - load<i32>(p)), attM, attS), W0_TABLE_LAST));
  }
  // 2. w0[j] = the table at t[j], and their sum P (scalar loads: no lane extracts and inserts)
  let P: i64 = 0;
  for (j = 0; j < n; j++) {
    const p = w + (<usize>j << 2);
    const w0 = load<i32>(W0_TABLE + (<usize>load<i32>(p) << 2));
    store<i32>(p, w0);
    P += <i64>w0;
  }
  // 3. w[j] = floor(w0[j] * 2^15 / P) as floor(w0[j] * r + 2^-33), r = 2^15 / P rounded: exact.
  // The computed product is within 2^-36 of w0 * 2^15 / P (two roundings of a value below 2^16
  // at 2^-53 relative, and the addition's), a quotient that is not a whole number lies at least
  // 1/P >= 2^-32 from one (P <= n * 2^15 <= 2^32), so the +2^-33 lifts exact quotients clear of
  // rounding below them without lifting any other past the next whole number.
  const r = f64x2.splat(32768.0 / <f64>P);
  const bias = f64x2.splat(pow2(-33));
  for (j = 0; j + 4 <= n; j += 4) {
    const p = w + (<usize>j << 2);
    const w0 = v128.load(p);
    const lo = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(w0), r), bias);
    const hi = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(w0, w0, 2, 3, 0, 1)), r), bias);
    v128.store(p, i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(lo), i32x4.trunc_sat_f64x2_s_zero(hi), 0, 1, 4, 5));
  }
  for (; j < n; j++) {
    const p = w + (<usize>j << 2);
    store<i32>(p, <i32>((<i64>load<i32>(p) << 15) / P));
  }
  // the largest score's key has t = 0, so the largest w0 is the table's first entry: one
  // key holds all the weight exactly when the others add nothing
  return P > <i64>load<i32>(W0_TABLE);
}

/** attentionWeights for the cases its vector paths do not cover (2^17 keys or more, scales outside 1..30), key by key. */
function attentionWeightsScalar(w: usize, n: i32, M: i32, attM: i32, attS: i32, exp2: usize): bool {
  let P: i64 = 0;
  let top: i32 = 0;
  for (let j = 0; j < n; j++) {
    const t = <i32>requant64(<i64>(M - load<i32>(w + (<usize>j << 2))), attM, attS);
    const whole = t >> 8;
    const w0 = whole >= 16 ? 0 : (load<i32>(exp2 + (<usize>(t & 255) << 2)) >> 8) >> whole;
    store<i32>(w + (<usize>j << 2), w0);
    P += <i64>w0;
    if (w0 > top) top = w0;
  }
  for (let j = 0; j < n; j++) {
    const p = w + (<usize>j << 2);
    store<i32>(p, <i32>((<i64>load<i32>(p) << 15) / P));
  }
  return P > <i64>top;
}

/** The weighted sums o (hd i32) to the head's int8 output, requantised by the layer's ao_m, ao_s. */
function attnOut(o: usize, hd: i32, aoM: i32, aoS: i32, out: usize): void {
  for (let c = 0; c < hd; c++) {
    let y = requant64(<i64>load<i32>(o + (<usize>c << 2)), aoM, aoS);
    if (y < -127) y = -127;
    if (y > 127) y = 127;
    store<i8>(out + <usize>c, <i8>y);
  }
}

/**
 * One head of attention for one query (docs/numerics.md, attention step 4):
 * scores against n cached keys, integer exp2 weights, weighted sum of the
 * cached values, requantised to int8 at `out`. `exp2` is EXP2_Q23 (256 i32);
 * `scratch` holds n + hd i32.
 */
export function attend(q: usize, k: usize, v: usize, n: i32, hd: i32, stride: i32, attM: i32, attS: i32, aoM: i32, aoS: i32, exp2: usize, scratch: usize, out: usize): void {
  const o = scratch + (<usize>n << 2);
  const fast = (hd & 15) == 0;
  let M: i32 = i32.MIN_VALUE;
  // (the widened q waits in the output area, 4*hd bytes, which the weighted sum fills only later)
  if (fast) M = attnScores16(q, k, n, hd, stride, o, scratch);
  else {
    for (let j = 0; j < n; j++) {
      const d = dot8(q, k + <usize>(j * stride), hd);
      store<i32>(scratch + (<usize>j << 2), d);
      if (d > M) M = d;
    }
  }
  const pairable = attentionWeights(scratch, n, M, attM, attS, exp2);
  if (fast && pairable) attnMixPairs16(scratch, v, n, hd, stride, o);
  else attnMix(scratch, v, n, hd, stride, o);
  attnOut(o, hd, aoM, aoS, out);
}

/**
 * Scores of four queries (widened to int16 at qw, hd each, hd a multiple of 8)
 * against keys 0..n-1: row r's scores at scores + r * rowBytes. Two keys a
 * step against all four queries: each key loaded and widened once for four
 * queries (the matmul's 4 x 2 tile: 8 accumulators, 2 key and 4 query vectors).
 */
function scoresTile4(qw: usize, hd: i32, k: usize, n: i32, stride: i32, scores: usize, rowBytes: usize): void {
  const q1 = qw + (<usize>hd << 1);
  const q2 = q1 + (<usize>hd << 1);
  const q3 = q2 + (<usize>hd << 1);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const ka = k + <usize>(j * stride);
    const kb = ka + <usize>stride;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
    for (let i = 0; i < hd; i += 8) {
      const ya = v128.load8x8_s(ka + <usize>i);
      const yb = v128.load8x8_s(kb + <usize>i);
      const off = <usize>i << 1;
      const x0 = v128.load(qw + off), x1 = v128.load(q1 + off), x2 = v128.load(q2 + off), x3 = v128.load(q3 + off);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(ya, x0));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(yb, x0));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(ya, x1));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(yb, x1));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(ya, x2));
      b2 = i32x4.add(b2, i32x4.dot_i16x8_s(yb, x2));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(ya, x3));
      b3 = i32x4.add(b3, i32x4.dot_i16x8_s(yb, x3));
    }
    // [r0 key a, r0 key b, r1 key a, r1 key b] and the same for rows 2 and 3
    const s01 = sumsOf4(a0, b0, a1, b1);
    const s23 = sumsOf4(a2, b2, a3, b3);
    const at = scores + (<usize>j << 2);
    v128.store64_lane(at, s01, 0);
    v128.store64_lane(at + rowBytes, s01, 1);
    v128.store64_lane(at + 2 * rowBytes, s23, 0);
    v128.store64_lane(at + 3 * rowBytes, s23, 1);
  }
  if (j < n) {
    const kj = k + <usize>(j * stride);
    const at = scores + (<usize>j << 2);
    store<i32>(at, dot8w(kj, qw, hd));
    store<i32>(at + rowBytes, dot8w(kj, q1, hd));
    store<i32>(at + 2 * rowBytes, dot8w(kj, q2, hd));
    store<i32>(at + 3 * rowBytes, dot8w(kj, q3, hd));
  }
}

/** The largest of n >= 1 int32 at p. */
function maxOf(p: usize, n: i32): i32 {
  let j = 0;
  let M = i32.MIN_VALUE;
  if (n >= 4) {
    let mv = v128.load(p);
    for (j = 4; j + 4 <= n; j += 4) mv = i32x4.max_s(mv, v128.load(p + (<usize>j << 2)));
    M = maxLanes(mv);
  }
  for (; j < n; j++) M = max(M, load<i32>(p + (<usize>j << 2)));
  return M;
}

/**
 * Weighted sums of four queries' values (hd i32 each at out, row r at out + r * hd * 4) over
 * the values of keys 0..n-1 (in interleaved pairs, see attend), from their weights packed by
 * pack4Rows (pair i of all four rows at w + 16i: an int16 pair per row, keys 2i and 2i + 1;
 * zero past a row's own keys). Eight channels a pass: a pair of keys' values widened on load
 * once, then one i16 dot product per query and four channels (the tile: 8 accumulators, 2
 * value vectors, each row's weights broadcast from a fixed offset as they are used).
 */
function mixTile4(w: usize, v: usize, n: i32, hd: i32, stride: i32, out: usize): void {
  const pairs = (n + 1) >> 1;
  const step = <usize>(stride << 1);
  const outRow = <usize>hd << 2;
  for (let c = 0; c < hd; c += 8) {
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
    let vr = v + (<usize>c << 1);
    let wp = w;
    for (let i = 0; i < pairs; i++, vr += step, wp += 16) {
      // channels c..c+3 and c+4..c+7 of both keys, stored interleaved: widened on load
      const lo = v128.load8x8_s(vr);
      const hi = v128.load8x8_s(vr, 8);
      let ws = v128.load32_splat(wp);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo, ws));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(hi, ws));
      ws = v128.load32_splat(wp, 4);
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(lo, ws));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(hi, ws));
      ws = v128.load32_splat(wp, 8);
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(lo, ws));
      b2 = i32x4.add(b2, i32x4.dot_i16x8_s(hi, ws));
      ws = v128.load32_splat(wp, 12);
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(lo, ws));
      b3 = i32x4.add(b3, i32x4.dot_i16x8_s(hi, ws));
    }
    const o = out + (<usize>c << 2);
    v128.store(o, a0);
    v128.store(o + 16, b0);
    v128.store(o + outRow, a1);
    v128.store(o + outRow + 16, b1);
    v128.store(o + 2 * outRow, a2);
    v128.store(o + 2 * outRow + 16, b2);
    v128.store(o + 3 * outRow, a3);
    v128.store(o + 3 * outRow + 16, b3);
  }
}

/**
 * Four rows of weights below 2^15 (int32, rows rowBytes apart, len a multiple of 8) packed
 * for mixTile4: keys 2i and 2i + 1 of a row as one int16 pair (narrowing is exact below
 * 2^15), pair i of rows 0..3 side by side at dst + 16i (a 4 x 4 transpose per 8 keys).
 */
function pack4Rows(w: usize, rowBytes: usize, len: i32, dst: usize): void {
  for (let j = 0; j < len; j += 8) {
    const p = w + (<usize>j << 2);
    const r0 = i16x8.narrow_i32x4_s(v128.load(p), v128.load(p + 16));
    const r1 = i16x8.narrow_i32x4_s(v128.load(p + rowBytes), v128.load(p + rowBytes + 16));
    const r2 = i16x8.narrow_i32x4_s(v128.load(p + 2 * rowBytes), v128.load(p + 2 * rowBytes + 16));
    const r3 = i16x8.narrow_i32x4_s(v128.load(p + 3 * rowBytes), v128.load(p + 3 * rowBytes + 16));
    const lo01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
    const lo23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const hi01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
    const hi23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    const d = dst + (<usize>j << 3);
    v128.store(d, i32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
    v128.store(d + 16, i32x4.shuffle(lo01, lo23, 2, 3, 6, 7));
    v128.store(d + 32, i32x4.shuffle(hi01, hi23, 0, 1, 4, 5));
    v128.store(d + 48, i32x4.shuffle(hi01, hi23, 2, 3, 6, 7));
  }
}

/** A row of attendRows' scores: a query's keys rounded up to 8 (whole steps of pack4Rows; kernels.ts: attendRowsScratchBytes). */
@inline function rowLength(keys: i32): i32 {
  return (keys + 7) & ~7;
}

/**
 * Four queries of one head against one run of cached keys, as small matrix
 * products: query t (int8 at q + t * qStride) sees keys 0..nFirst+t*nStep-1
 * (nStep 1: consecutive positions of a prefill; 0: query heads sharing one
 * K/V head) and writes hd int8 at out + t * outStride; hd a multiple of 16.
 * Their scores and weighted sums as 4-row tiles (each key's int8 loaded and
 * widened once for four queries), their softmax row by row: the same integer
 * sums as `attend` query by query. Scratch laid out for rows of `longest`
 * keys (kernels.ts: attendRowsScratchBytes): four rows of scores, the packed
 * pairs, four widened queries, four rows of sums.
 */
function attendFour(q: usize, qStride: i32, k: usize, v: usize, nFirst: i32, nStep: i32, hd: i32, stride: i32, attM: i32, attS: i32, aoM: i32, aoS: i32, exp2: usize, scratch: usize, longest: i32, out: usize, outStride: i32): void {
  const rowBytes = <usize>longest << 2;
  const packed = scratch + 4 * rowBytes;
  const qw = packed + (<usize>longest << 3);
  const sums = qw + (<usize>(4 * hd) << 1);
  const n = nFirst + 3 * nStep; // keys the last query sees
  const len = rowLength(n);
  for (let t = 0; t < 4; t++) widenQuery(q + <usize>(t * qStride), hd, qw + (<usize>(t * hd) << 1));
  scoresTile4(qw, hd, k, n, stride, scratch, rowBytes);
  let pairable = true;
  for (let t = 0; t < 4; t++) {
    const sr = scratch + <usize>t * rowBytes;
    const nr = nFirst + t * nStep;
    pairable = attentionWeights(sr, nr, maxOf(sr, nr), attM, attS, exp2) && pairable;
    for (let j = nr; j < len; j++) store<i32>(sr + (<usize>j << 2), 0);
  }
  if (pairable) {
    pack4Rows(scratch, rowBytes, len, packed);
    mixTile4(packed, v, n, hd, stride, sums);
  }
  else {
    // one key holds all of some row's weight (2^15, too big for an int16 pair): row by row
    for (let t = 0; t < 4; t++) attnMix(scratch + <usize>t * rowBytes, v, nFirst + t * nStep, hd, stride, sums + (<usize>(t * hd) << 2));
  }
  for (let t = 0; t < 4; t++) attnOut(sums + (<usize>(t * hd) << 2), hd, aoM, aoS, out + <usize>(t * outStride));
}

/**
 * Attention of `rows` consecutive queries of one stream, one head: row r
 * (query at q + r * qStride, hd int8) sees keys 0..n0+r-1 and writes hd int8
 * at out + r * outStride, exactly as `attend` would row by row (the same
 * integer sums, in another order). Four queries at a time (attendFour).
 * Scratch (kernels.ts sizes it): four rows of L = rowLength(n0 + rows - 1)
 * int32 for the scores, L / 2 packed pairs of 16 bytes, 4 * hd int16 and
 * 4 * hd int32; or n + hd int32 for the rows `attend` takes.
 */
export function attendRows(q: usize, qStride: i32, k: usize, v: usize, rows: i32, n0: i32, hd: i32, stride: i32, attM: i32, attS: i32, aoM: i32, aoS: i32, exp2: usize, scratch: usize, out: usize, outStride: i32): void {
  let r = 0;
  if ((hd & 15) == 0) {
    const longest = rowLength(n0 + rows - 1);
    for (; r + 4 <= rows; r += 4) {
      attendFour(q + <usize>(r * qStride), qStride, k, v, n0 + r, 1, hd, stride, attM, attS, aoM, aoS, exp2, scratch, longest, out + <usize>(r * outStride), outStride);
    }
  }
  for (; r < rows; r++) attend(q + <usize>(r * qStride), k, v, n0 + r, hd, stride, attM, attS, aoM, aoS, exp2, scratch, out + <usize>(r * outStride));
}

/**
 * Attention of `heads` query heads that share one K/V head (grouped or
 * multi-query attention), one position: head h's query at q + h * qStride
 * sees the same n keys and writes hd int8 at out + h * outStride, exactly as
 * `attend` would head by head (the same integer sums, in another order).
 * Four heads at a time (attendFour), so each cached key and value is loaded
 * and widened once for four heads instead of four times: a decoding step of
 * a multi-query model reads its cache once per layer. Scratch: as
 * attendRows whose last query sees n keys (kernels.ts: attendRowsScratchBytes).
 */
export function attendHeads(q: usize, qStride: i32, k: usize, v: usize, heads: i32, n: i32, hd: i32, stride: i32, attM: i32, attS: i32, aoM: i32, aoS: i32, exp2: usize, scratch: usize, out: usize, outStride: i32): void {
  let h = 0;
  if ((hd & 15) == 0) {
    for (; h + 4 <= heads; h += 4) {
      attendFour(q + <usize>(h * qStride), qStride, k, v, n, 0, hd, stride, attM, attS, aoM, aoS, exp2, scratch, rowLength(n), out + <usize>(h * outStride), outStride);
    }
  }
  for (; h < heads; h++) attend(q + <usize>(h * qStride), k, v, n, hd, stride, attM, attS, aoM, aoS, exp2, scratch, out + <usize>(h * outStride));
}

@inline function roundShift64(a: i64, s: i32): i64 {
  return s == 0 ? a : (a + (<i64>1 << <i64>(s - 1))) >> <i64>s;
}

/** Symmetric rounding division, b > 0 (the spec's rdiv). */
@inline function rdiv64(a: i64, b: i64): i64 {
  const q = ((a < 0 ? -a : a) + b / 2) / b;
  return a < 0 ? -q : q;
}

/**
 * RMSNorm of the spec for `rows` rows of `d` int32 at h -> int8 at out.
 * `B` is the spec's headroom bits for d; g: d i32 gains, gs their shift.
 * Rows whose values and gains keep every intermediate in i32 (the model's
 * residual stream always does: |h| <= 2^30) go four lanes at a time.
 */
export function rmsNormRows(h: usize, rows: i32, d: i32, g: usize, gs: i32, B: i32, out: usize): void {
  const lim: i64 = (<i64>1 << <i64>B) - 1;
  // (the spec's B keeps d * lim^2, so the sum of squares, below 2^31: checked, as i32 lanes hold it)
  const simd = (d & 15) == 0 && B <= 15 && <i64>d * lim * lim < <i64>1 << 31 && gainsBelow15Bits(g, d);
  for (let r = 0; r < rows; r++) {
    const hr = h + (<usize>(r * d) << 2);
    const orow = out + <usize>(r * d);
    // mx = max |h| (as u32: |-2^31| is 2^31, as the spec's integers have it)
    let mx: u32 = 0;
    if (simd) {
      let mv = i32x4.splat(0);
      for (let i = 0; i < d; i += 4) mv = i32x4.max_u(mv, i32x4.abs(v128.load(hr + (<usize>i << 2))));
      mv = i32x4.max_u(mv, i32x4.shuffle(mv, mv, 2, 3, 0, 1));
      mv = i32x4.max_u(mv, i32x4.shuffle(mv, mv, 1, 0, 3, 2));
      mx = <u32>i32x4.extract_lane(mv, 0);
    } else {
      for (let i = 0; i < d; i++) {
        const v = load<i32>(hr + (<usize>i << 2));
        const a = <u32>(v < 0 ? -v : v);
        if (a > mx) mx = a;
      }
    }
    const bits = mx == 0 ? 0 : 32 - <i32>clz(mx);
    const sh = bits - B > 0 ? bits - B : 0;
    const fast = simd && mx <= 1 << 30;
    let ss: i64 = 0;
    if (fast) ss = sumOfSquares(hr, d, sh, <i32>lim);
    else {
      for (let i = 0; i < d; i++) {
        let x = roundShift64(<i64>load<i32>(hr + (<usize>i << 2)), sh);
        if (x < -lim) x = -lim;
        if (x > lim) x = lim;
        ss += x * x;
      }
    }
    if (ss == 0) {
      for (let i = 0; i < d; i++) store<i8>(orow + <usize>i, 0);
      continue;
    }
    const n: i64 = (ss / <i64>d) << <i64>(30 - 2 * B);
    let root = <i64>Math.sqrt(<f64>n);
    while (root * root > n) root--;
    while ((root + 1) * (root + 1) <= n) root++;
    if (root < 1) root = 1;
    const den: i64 = root << <i64>(gs - 15 + B);
    if (fast && den < 1 << 30) {
      rmsNormRowSimd(hr, d, g, sh, <i32>lim, <i32>den, orow);
      continue;
    }
    for (let i = 0; i < d; i++) {
      let x = roundShift64(<i64>load<i32>(hr + (<usize>i << 2)), sh);
      if (x < -lim) x = -lim;
      if (x > lim) x = lim;
      let y = rdiv64(x * <i64>load<i32>(g + (<usize>i << 2)), den);
      if (y < -127) y = -127;
      if (y > 127) y = 127;
      store<i8>(orow + <usize>i, <i8>y);
    }
  }
}

/**
 * sum of x^2, x = clamp(round_shift(h, sh), -lim, lim), four lanes at a time: for |h| <= 2^30 (so
 * h + 2^(sh-1) fits i32) and lim < 2^15; the spec bounds the sum below 2^31, so i32 lanes hold it.
 */
function sumOfSquares(hr: usize, d: i32, sh: i32, lim: i32): i64 {
  const roundV = i32x4.splat(sh == 0 ? 0 : 1 << (sh - 1));
  const hiV = i32x4.splat(lim);
  const loV = i32x4.splat(-lim);
  let acc = i32x4.splat(0);
  for (let i = 0; i < d; i += 4) {
    const x = i32x4.min_s(i32x4.max_s(i32x4.shr_s(i32x4.add(v128.load(hr + (<usize>i << 2)), roundV), sh), loV), hiV);
    acc = i32x4.add(acc, i32x4.mul(x, x));
  }
  return <i64>i32x4.extract_lane(acc, 0) + <i64>i32x4.extract_lane(acc, 1) + <i64>i32x4.extract_lane(acc, 2) + <i64>i32x4.extract_lane(acc, 3);
}

/** Whether every gain is within (-2^15, 2^15), as the spec promises (checked: the SIMD path's bounds rest on it). */
function gainsBelow15Bits(g: usize, d: i32): bool {
  for (let i = 0; i < d; i++) {
    const v = load<i32>(g + (<usize>i << 2));
    if (v <= -32768 || v >= 32768) return false;
  }
  return true;
}

/**
 * The last step of RMSNorm for one row, 4 lanes at a time: x = clamp(round_shift(h, sh), -lim, lim),
 * y = clamp(rdiv(x * G, den), -127, 127). In i32: |h| <= 2^30 so h + 2^(sh-1) fits, |x * G| < 2^15 *
 * 2^15 = 2^30, and |x * G| + floor(den / 2) < 2^31 for den < 2^30. The division as floor(N * r + r / 2)
 * with r = fl(1 / den), N = |x * G| + floor(den / 2) < 2^31: the quotient k <= 2^31 / den, so the
 * roundings of N * r and of the addition are within k * 2^-51 <= 2^-20 / den of N / den + r / 2, which
 * lifts a whole quotient clear above itself and leaves one that is not whole (at least 1 / den below
 * the next) below the next whole number.
 */
function rmsNormRowSimd(hr: usize, d: i32, g: usize, sh: i32, lim: i32, den: i32, orow: usize): void {
  const roundV = i32x4.splat(sh == 0 ? 0 : 1 << (sh - 1));
  const hiV = i32x4.splat(lim);
  const loV = i32x4.splat(-lim);
  const halfDen = i32x4.splat(den >> 1);
  const r = 1.0 / <f64>den;
  const rV = f64x2.splat(r);
  const hV = f64x2.splat(r * 0.5);
  const y127 = i32x4.splat(127);
  for (let i = 0; i < d; i += 16) {
    const o = <usize>i << 2;
    const y0 = rmsNormQuad(v128.load(hr + o), v128.load(g + o), roundV, sh, loV, hiV, halfDen, rV, hV, y127);
    const y1 = rmsNormQuad(v128.load(hr + o, 16), v128.load(g + o, 16), roundV, sh, loV, hiV, halfDen, rV, hV, y127);
    const y2 = rmsNormQuad(v128.load(hr + o, 32), v128.load(g + o, 32), roundV, sh, loV, hiV, halfDen, rV, hV, y127);
    const y3 = rmsNormQuad(v128.load(hr + o, 48), v128.load(g + o, 48), roundV, sh, loV, hiV, halfDen, rV, hV, y127);
    v128.store(orow + <usize>i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(y0, y1), i16x8.narrow_i32x4_s(y2, y3)));
  }
}

@inline function rmsNormQuad(h: v128, g: v128, roundV: v128, sh: i32, loV: v128, hiV: v128, halfDen: v128, rV: v128, hV: v128, y127: v128): v128 {
  const x = i32x4.min_s(i32x4.max_s(i32x4.shr_s(i32x4.add(h, roundV), sh), loV), hiV);
  const a = i32x4.mul(x, g);
  const n = i32x4.add(i32x4.abs(a), halfDen);
  const lo = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(n), rV), hV);
  const hi = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(n, n, 2, 3, 0, 1)), rV), hV);
  const q = i32x4.min_s(i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(lo), i32x4.trunc_sat_f64x2_s_zero(hi), 0, 1, 4, 5), y127);
  // the sign of x * G back on the quotient (rdiv rounds half away from zero)
  return v128.bitselect(i32x4.neg(q), q, i32x4.lt_s(a, i32x4.splat(0)));
}

/**
 * h[i] = clamp(h[i] + delta[i], lo, hi), n int32 (the residual update): in f64 lanes, where
 * the sum of two int32 is exact and clamps cannot wrap.
 */
export function addResidual(h: usize, delta: usize, n: i32, lo: i32, hi: i32): void {
  const loV = f64x2.splat(<f64>lo);
  const hiV = f64x2.splat(<f64>hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = h + (<usize>i << 2);
    const a = v128.load(p);
    const b = v128.load(delta + (<usize>i << 2));
    const sLo = f64x2.add(f64x2.convert_low_i32x4_s(a), f64x2.convert_low_i32x4_s(b));
    const sHi = f64x2.add(f64x2.convert_low_i32x4_s(i32x4.shuffle(a, a, 2, 3, 0, 1)), f64x2.convert_low_i32x4_s(i32x4.shuffle(b, b, 2, 3, 0, 1)));
    const yLo = i32x4.trunc_sat_f64x2_s_zero(f64x2.pmin(f64x2.pmax(sLo, loV), hiV));
    const yHi = i32x4.trunc_sat_f64x2_s_zero(f64x2.pmin(f64x2.pmax(sHi, loV), hiV));
    v128.store(p, i32x4.shuffle(yLo, yHi, 0, 1, 4, 5));
  }
  for (; i < n; i++) {
    const p = h + (<usize>i << 2);
    let v = <i64>load<i32>(p) + <i64>load<i32>(delta + (<usize>i << 2));
    if (v < <i64>lo) v = <i64>lo;
    if (v > <i64>hi) v = <i64>hi;
    store<i32>(p, <i32>v);
  }
}

/** silu_q8 of a block of gates, for swiglu's vector pass. */
const SWIGLU_BLOCK = 1024;
const SWIGLU_SG = memory.data(SWIGLU_BLOCK * 4, 16);

/**
 * out[i] = clamp(requant(silu_q8(gate[i]) * up[i], m, s), -127, 127): the SwiGLU product to int8.
 * A block at a time: silu_q8 by scalar table loads, then the product and its requantisation in
 * lanes - the product in i32 (|sg|, |up| <= 32767, as requantisation's clamps leave them; checked,
 * else the block goes element by element), the rest by requantRows' requantQuad.
 */
export function swiglu(gate: usize, up: usize, n: i32, silu: usize, m: i32, s: i32, out: usize): void {
  const vector = m >= 0 && m < 1 << 15 && s >= 1 && s <= 52;
  const ms = f64x2.splat(<f64>m * pow2(-s));
  const half = f64x2.splat(0.5);
  const loV = f64x2.splat(-127.0);
  const hiV = f64x2.splat(127.0);
  const magic = f64x2.splat(6755399441055744.0);
  const limit = i32x4.splat(32767);
  for (let b0 = 0; b0 < n; b0 += SWIGLU_BLOCK) {
    const len = min(SWIGLU_BLOCK, n - b0);
    const quads = vector ? len & ~3 : 0;
    let outside = i32x4.splat(0);
    for (let i = 0; i < quads; i++) {
      const g = load<i32>(gate + (<usize>(b0 + i) << 2));
      store<i32>(SWIGLU_SG + (<usize>i << 2), g >= 2048 ? g : g < -2048 ? 0 : <i32>load<i16>(silu + (<usize>(g + 2048) << 1)));
    }
    for (let i = 0; i < quads; i += 4) {
      outside = v128.or(outside, i32x4.gt_u(i32x4.abs(v128.load(SWIGLU_SG + (<usize>i << 2))), limit));
      outside = v128.or(outside, i32x4.gt_u(i32x4.abs(v128.load(up + (<usize>(b0 + i) << 2))), limit));
    }
    let done = 0;
    if (quads > 0 && !v128.any_true(outside)) {
      for (let i = 0; i < quads; i += 4) {
        const a = i32x4.mul(v128.load(SWIGLU_SG + (<usize>i << 2)), v128.load(up + (<usize>(b0 + i) << 2)));
        const y = requantQuad(a, ms, ms, half, loV, hiV, magic);
        v128.store32_lane(out + <usize>(b0 + i), i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(y, y), i16x8.narrow_i32x4_s(y, y)), 0);
      }
      done = quads;
    }
    for (let i = done; i < len; i++) {
      const g = load<i32>(gate + (<usize>(b0 + i) << 2));
      const sg: i32 = g >= 2048 ? g : g < -2048 ? 0 : <i32>load<i16>(silu + (<usize>(g + 2048) << 1));
      let y = requant64(<i64>sg * <i64>load<i32>(up + (<usize>(b0 + i) << 2)), m, s);
      if (y < -127) y = -127;
      if (y > 127) y = 127;
      store<i8>(out + <usize>(b0 + i), <i8>y);
    }
  }
}

/**
 * Rotary positions (rotate-half pairs, Q14 tables of `half` entries per
 * position), then int8: row r of z (width int32, heads of hd) goes to the
 * address dst[r] (i32 table), head h at dst[r] + h * headStride, at
 * position pos[r] (i32 table).
 */
export function ropeRows(z: usize, rows: i32, width: i32, hd: i32, pos: usize, cos: usize, sin: usize, dst: usize, headStride: i32): void {
  const half = hd >> 1;
  for (let r = 0; r < rows; r++) {
    const zr = z + (<usize>(r * width) << 2);
    const tab = <usize>(load<i32>(pos + (<usize>r << 2)) * half) << 1;
    if ((half & 3) == 0 && (width & 3) == 0 && maxAbsBelow(zr, width, 32768)) {
      ropeRowSimd(zr, width, hd, cos + tab, sin + tab, <usize>load<i32>(dst + (<usize>r << 2)), headStride);
      continue;
    }
    for (let base = 0, h = 0; base < width; base += hd, h++) {
      // (stores below add base back: head h's element i lands at dst[r] + h * headStride + i)
      const out = <usize>(load<i32>(dst + (<usize>r << 2)) + h * headStride - base);
      for (let i = 0; i < half; i++) {
        const x1 = <i64>load<i32>(zr + (<usize>(base + i) << 2));
        const x2 = <i64>load<i32>(zr + (<usize>(base + i + half) << 2));
        const cs = <i64>load<i16>(cos + tab + (<usize>i << 1));
        const sn = <i64>load<i16>(sin + tab + (<usize>i << 1));
        let a = roundShift64(roundShift64(x1 * cs - x2 * sn, 14), 8);
        let b = roundShift64(roundShift64(x2 * cs + x1 * sn, 14), 8);
        if (a < -127) a = -127;
        if (a > 127) a = 127;
        if (b < -127) b = -127;
        if (b > 127) b = 127;
        store<i8>(out + <usize>(base + i), <i8>a);
        store<i8>(out + <usize>(base + i + half), <i8>b);
      }
    }
  }
}

/** Whether every one of n int32 at p (n a multiple of 4) has |v| < limit. */
function maxAbsBelow(p: usize, n: i32, limit: i32): bool {
  let over = i32x4.splat(0);
  const lim = i32x4.splat(limit - 1);
  for (let i = 0; i < n; i += 4) over = v128.or(over, i32x4.gt_u(i32x4.abs(v128.load(p + (<usize>i << 2))), lim));
  return !v128.any_true(over);
}

/**
 * One row of ropeRows four pairs at a time (half a multiple of 4), for |z| <= 32767 (as the q and k
 * projections' clamps leave it): then |a * cos - b * sin| <= 2 * 32767 * 32768 < 2^31 whatever the
 * model's i16 tables hold, so the products, their rounding and the int8 clamp all fit i32 lanes.
 */
function ropeRowSimd(zr: usize, width: i32, hd: i32, cos: usize, sin: usize, dst: usize, headStride: i32): void {
  const half = hd >> 1;
  const r14 = i32x4.splat(1 << 13);
  const r8 = i32x4.splat(1 << 7);
  const lo = i32x4.splat(-127);
  const hi = i32x4.splat(127);
  for (let base = 0, h = 0; base < width; base += hd, h++) {
    const out = dst + <usize>(h * headStride);
    for (let i = 0; i < half; i += 4) {
      const x1 = v128.load(zr + (<usize>(base + i) << 2));
      const x2 = v128.load(zr + (<usize>(base + i + half) << 2));
      const cs = v128.load16x4_s(cos + (<usize>i << 1));
      const sn = v128.load16x4_s(sin + (<usize>i << 1));
      let a = i32x4.sub(i32x4.mul(x1, cs), i32x4.mul(x2, sn));
      let b = i32x4.add(i32x4.mul(x2, cs), i32x4.mul(x1, sn));
      a = i32x4.min_s(i32x4.max_s(i32x4.shr_s(i32x4.add(i32x4.shr_s(i32x4.add(a, r14), 14), r8), 8), lo), hi);
      b = i32x4.min_s(i32x4.max_s(i32x4.shr_s(i32x4.add(i32x4.shr_s(i32x4.add(b, r14), 14), r8), 8), lo), hi);
      const ab = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(a, b));
      v128.store32_lane(out + <usize>i, ab, 0);
      v128.store32_lane(out + <usize>(i + half), ab, 1);
    }
  }
}

/**
 * Row r of z (width int32 in heads of hd, already within int8) as int8 at the address dst[r], head h at
 * dst[r] + h * headStride, element i at i * step: step 2 is the value cache's interleaved pairs.
 */
export function storeRowsI8(z: usize, rows: i32, width: i32, dst: usize, hd: i32, headStride: i32, step: i32): void {
  for (let r = 0; r < rows; r++) {
    const zr = z + (<usize>(r * width) << 2);
    for (let base = 0, h = 0; base < width; base += hd, h++) {
      const out = <usize>(load<i32>(dst + (<usize>r << 2)) + h * headStride);
      let i = 0;
      if (step == 2 && (hd & 15) == 0 && inInt8(zr + (<usize>base << 2), hd)) {
        // sixteen values into the 32 bytes they interleave with: the other position's bytes kept
        const odd = (out & 1) != 0;
        const at = out & ~(<usize>1);
        for (; i < hd; i += 16) {
          const zp = zr + (<usize>(base + i) << 2);
          const b = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(v128.load(zp), v128.load(zp, 16)), i16x8.narrow_i32x4_s(v128.load(zp, 32), v128.load(zp, 48)));
          const p = at + (<usize>i << 1);
          const d0 = v128.load(p);
          const d1 = v128.load(p, 16);
          if (odd) {
            v128.store(p, i8x16.shuffle(d0, b, 0, 16, 2, 17, 4, 18, 6, 19, 8, 20, 10, 21, 12, 22, 14, 23));
            v128.store(p, i8x16.shuffle(d1, b, 0, 24, 2, 25, 4, 26, 6, 27, 8, 28, 10, 29, 12, 30, 14, 31), 16);
          } else {
            v128.store(p, i8x16.shuffle(b, d0, 0, 17, 1, 19, 2, 21, 3, 23, 4, 25, 5, 27, 6, 29, 7, 31));
            v128.store(p, i8x16.shuffle(b, d1, 8, 17, 9, 19, 10, 21, 11, 23, 12, 25, 13, 27, 14, 29, 15, 31), 16);
          }
        }
      }
      for (; i < hd; i++) store<i8>(out + <usize>(i * step), <i8>load<i32>(zr + (<usize>(base + i) << 2)));
    }
  }
}

/** Whether all n (a multiple of 4) int32 at p lie within [-128, 127], where narrowing them is exact. */
function inInt8(p: usize, n: i32): bool {
  let out = i32x4.splat(0);
  const lo = i32x4.splat(-128);
  const hi = i32x4.splat(127);
  for (let i = 0; i < n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    out = v128.or(out, v128.or(i32x4.lt_s(v, lo), i32x4.gt_s(v, hi)));
  }
  return !v128.any_true(out);
}

/**
 * e(t) = rshift(EXP2_Q23[t mod 256], rshift(t, 8)) for t < 24 * 256 and 0 from
 * there (the entry at FREQ_E_LAST): docs/numerics.md "Logits to frequencies"
 * as one table, so that a row's e[v] is one scalar load by t. Filled from the
 * EXP2_Q23 the caller passes, refilled if its address changes.
 */
const FREQ_E_LAST = 24 * 256;
const FREQ_E_TABLE = memory.data((FREQ_E_LAST + 1) * 4, 16);
let freqTableFrom: usize = 0;

function fillFreqTable(exp2: usize): void {
  for (let t = 0; t < FREQ_E_LAST; t++) store<i32>(FREQ_E_TABLE + (<usize>t << 2), load<i32>(exp2 + (<usize>(t & 255) << 2)) >> (t >> 8));
  store<i32>(FREQ_E_TABLE + (<usize>FREQ_E_LAST << 2), 0);
  freqTableFrom = exp2;
}

/**
 * The coder's cumulative table of one row of logits (docs/numerics.md, "Logits
 * to frequencies"): cum[0] = 0, cum[v + 1] = f[0] + ... + f[v], n <= 2^17.
 * `e` is scratch for n i32. Vector passes except the table lookups (scalar
 * loads: no lane extracts), and no division per symbol: see step 3.
 */
export function cumulativeFrequencies(logits: usize, n: i32, exp2: usize, e: usize, cum: usize): void {
  if (exp2 != freqTableFrom) fillFreqTable(exp2);
  // 1. max, and the first index holding it
  let mv = i32x4.splat(i32.MIN_VALUE);
  let i = 0;
  for (; i + 4 <= n; i += 4) mv = i32x4.max_s(mv, v128.load(logits + (<usize>i << 2)));
  let max = maxLanes(mv);
  for (; i < n; i++) {
    const l = load<i32>(logits + (<usize>i << 2));
    if (l > max) max = l;
  }
  // (four at a time to the quad holding it, then within it)
  let argmax = 0;
  const maxAll = i32x4.splat(max);
  while (argmax + 4 <= n && !v128.any_true(i32x4.eq(v128.load(logits + (<usize>argmax << 2)), maxAll))) argmax += 4;
  while (load<i32>(logits + (<usize>argmax << 2)) != max) argmax++;
  // 2. t[v] = min(max - logit[v], FREQ_E_LAST) (max - logit is below 2^32: exact as u32, where
  // i32 would wrap), four at a time into e; then e[v] = the table at t[v] and S = sum e
  const maxV = maxAll;
  const lastV = i32x4.splat(FREQ_E_LAST);
  let v = 0;
  for (; v + 4 <= n; v += 4) {
    const o = <usize>v << 2;
    v128.store(e + o, i32x4.min_u(i32x4.sub(maxV, v128.load(logits + o)), lastV));
  }
  for (; v < n; v++) store<i32>(e + (<usize>v << 2), <i32>min<u32>(<u32>(max - load<i32>(logits + (<usize>v << 2))), FREQ_E_LAST));
  let sum: i64 = 0;
  for (v = 0; v < n; v++) {
    const p = e + (<usize>v << 2);
    const x = load<i32>(FREQ_E_TABLE + (<usize>load<i32>(p) << 2));
    store<i32>(p, x);
    sum += <i64>x;
  }
  // 3. f[v] = 1 + floor(N / S), N = e[v] * (2^24 - n), as floor(N * r + r / 2) with r = fl(1 / S),
  // into cum[v + 1] for now. Exact: N < 2^47 is exact in a double; the quotient k = N / S is at
  // most 2^47 / S (e <= 2^23), so the two roundings of N * r and the addition's are within
  // k * 2^-51 <= 2^-4 / S of N / S + r / 2; a whole quotient thus lands clear above itself
  // (r / 2 ~ 0.5 / S), and one that is not whole lies at least 1 / S below the next whole number.
  const spread = f64x2.splat(<f64>((1 << 24) - n));
  const r = 1.0 / <f64>sum;
  const rV = f64x2.splat(r);
  const hV = f64x2.splat(r * 0.5);
  const one = i32x4.splat(1);
  let usedV = i32x4.splat(0);
  for (v = 0; v + 4 <= n; v += 4) {
    const x = v128.load(e + (<usize>v << 2));
    const lo = f64x2.add(f64x2.mul(f64x2.mul(f64x2.convert_low_i32x4_s(x), spread), rV), hV);
    const hi = f64x2.add(f64x2.mul(f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(x, x, 2, 3, 0, 1)), spread), rV), hV);
    const f = i32x4.add(one, i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(lo), i32x4.trunc_sat_f64x2_s_zero(hi), 0, 1, 4, 5));
    v128.store(cum + (<usize>(v + 1) << 2), f);
    usedV = i32x4.add(usedV, f);
  }
  let used = i32x4.extract_lane(usedV, 0) + i32x4.extract_lane(usedV, 1) + i32x4.extract_lane(usedV, 2) + i32x4.extract_lane(usedV, 3);
  const spreadS = <f64>((1 << 24) - n);
  for (; v < n; v++) {
    const f = 1 + <i32>(<f64>load<i32>(e + (<usize>v << 2)) * spreadS * r + r * 0.5);
    store<i32>(cum + (<usize>(v + 1) << 2), f);
    used += f;
  }
  // 4. the remainder to the first largest logit, then the prefix sums four at a time
  const p = cum + (<usize>(argmax + 1) << 2);
  store<i32>(p, load<i32>(p) + ((1 << 24) - used));
  store<i32>(cum, 0);
  let run = i32x4.splat(0);
  const zero = i32x4.splat(0);
  v = 1;
  for (; v + 4 <= n + 1; v += 4) {
    const at = cum + (<usize>v << 2);
    let x = v128.load(at);
    x = i32x4.add(x, i32x4.shuffle(zero, x, 0, 4, 5, 6));
    x = i32x4.add(x, i32x4.shuffle(zero, x, 0, 1, 4, 5));
    x = i32x4.add(x, run);
    v128.store(at, x);
    run = i32x4.shuffle(x, x, 3, 3, 3, 3);
  }
  let total = i32x4.extract_lane(run, 0);
  for (; v <= n; v++) {
    const at = cum + (<usize>v << 2);
    total += load<i32>(at);
    store<i32>(at, total);
  }
}

/**
 * For `npm run bench:engine` only: the instruction peak that the matrix and
 * attention kernels are measured against, `iterations` passes of eight
 * independent i32x4.dot_i16x8_s (64 multiply-accumulates) on four vectors
 * loaded from `buf` (1 KiB) at an offset that changes every pass, so that no
 * product is shared or loop-invariant. Returns a lane sum (the work is used).
 */
export function peakDotI16(buf: usize, iterations: i32): i32 {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(1), a2 = i32x4.splat(2), a3 = i32x4.splat(3);
  let a4 = i32x4.splat(4), a5 = i32x4.splat(5), a6 = i32x4.splat(6), a7 = i32x4.splat(7);
  for (let i = 0; i < iterations; i++) {
    const b = buf + ((<usize>i & 15) << 6);
    const p0 = v128.load(b), p1 = v128.load(b + 16), p2 = v128.load(b + 32), p3 = v128.load(b + 48);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(p0, p1));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(p0, p2));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(p0, p3));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(p1, p2));
    a4 = i32x4.add(a4, i32x4.dot_i16x8_s(p1, p3));
    a5 = i32x4.add(a5, i32x4.dot_i16x8_s(p2, p3));
    a6 = i32x4.add(a6, i32x4.dot_i16x8_s(p0, p0));
    a7 = i32x4.add(a7, i32x4.dot_i16x8_s(p1, p1));
  }
  return hsum(i32x4.add(i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3)), i32x4.add(i32x4.add(a4, a5), i32x4.add(a6, a7))));
}
