/**
 * The forward pass of docs/numerics.md as WGSL compute kernels, one shader
 * module each. WGSL has only 32-bit integers, so the 46-bit products of
 * `requant` are carried as (low u32, high u32) pairs and shifted exactly;
 * everything else stays inside 32 bits by the bounds the spec states.
 *
 * Memory layout (see webgpuEngine.ts): int8 tensors are packed four to a u32
 * word, little-endian, every row padded to whole words with zero bytes
 * (weight matrices word-column-major: word i of output o at i * outN + o); the
 * model's int32 tables (multipliers, shifts, norm gains, rotary, SiLU, exp2)
 * sit in one i32 buffer at offsets the uniforms give; each row of a forward
 * has [position, KV base word, KV capacity, token or -1 - prompt vector] in
 * the row table.
 */

export const WGSL_INT = /* wgsl */ `
const RES_MIN: i32 = -1073741824;
const RES_MAX: i32 = 1073741823;
const I32_MIN: i32 = -2147483647 - 1;
const I32_MAX: i32 = 2147483647;

// a * m as a 64-bit two's complement pair (x: low word, y: high word); 0 <= m < 2^15, |a| < 2^31.
fn mul64(a: i32, m: i32) -> vec2<u32> {
  let p1 = (a >> 16u) * m;                       // |p1| < 2^30
  let p0 = (bitcast<u32>(a) & 0xffffu) * u32(m); // < 2^31
  let lo1 = bitcast<u32>(p1) << 16u;
  let lo = lo1 + p0;
  return vec2<u32>(lo, bitcast<u32>(p1 >> 16u) + select(0u, 1u, lo < lo1));
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn wide(a: i32) -> vec2<u32> {
  return vec2<u32>(bitcast<u32>(a), bitcast<u32>(a >> 31u));
}

// floor((v + 2^(s-1)) / 2^s) for 1 <= s <= 62: round_shift on 64 bits.
fn roundShift64(v: vec2<u32>, s: u32) -> vec2<u32> {
  var half = vec2<u32>(0u, 0u);
  if (s <= 32u) { half.x = 1u << (s - 1u); } else { half.y = 1u << (s - 33u); }
  let t = add64(v, half);
  let hi = bitcast<i32>(t.y);
  if (s < 32u) { return vec2<u32>((t.x >> s) | (t.y << (32u - s)), bitcast<u32>(hi >> s)); }
  if (s == 32u) { return vec2<u32>(t.y, bitcast<u32>(hi >> 31u)); }
  return vec2<u32>(bitcast<u32>(hi >> (s - 32u)), bitcast<u32>(hi >> 31u));
}

// clamp of a 64-bit value to [lo, hi] (both i32).
fn clamp64(v: vec2<u32>, lo: i32, hi: i32) -> i32 {
  let l = bitcast<i32>(v.x);
  let h = bitcast<i32>(v.y);
  if (h != (l >> 31u)) { return select(hi, lo, h < 0); }
  return clamp(l, lo, hi);
}

// clamp(requant(a, m, s), lo, hi) of docs/numerics.md.
fn requant(a: i32, m: i32, s: i32, lo: i32, hi: i32) -> i32 {
  return clamp64(roundShift64(mul64(a, m), u32(s)), lo, hi);
}

// round_shift on 32 bits (s = 0: a); callers keep a + 2^(s-1) inside i32.
fn roundShift(a: i32, s: u32) -> i32 {
  if (s == 0u) { return a; }
  return (a + (1 << (s - 1u))) >> s;
}

fn byteOf(word: u32, k: u32) -> i32 {
  return extractBits(bitcast<i32>(word), 8u * k, 8u);
}

fn packBytes(a: i32, b: i32, c: i32, d: i32) -> u32 {
  return (bitcast<u32>(a) & 0xffu) | ((bitcast<u32>(b) & 0xffu) << 8u) | ((bitcast<u32>(c) & 0xffu) << 16u) | (bitcast<u32>(d) << 24u);
}
`;

const DOT4_PLAIN = /* wgsl */ `
fn dot4(a: u32, b: u32) -> i32 {
  let x = bitcast<i32>(a);
  let y = bitcast<i32>(b);
  let va = vec4<i32>(extractBits(x, 0u, 8u), extractBits(x, 8u, 8u), extractBits(x, 16u, 8u), extractBits(x, 24u, 8u));
  let vb = vec4<i32>(extractBits(y, 0u, 8u), extractBits(y, 8u, 8u), extractBits(y, 16u, 8u), extractBits(y, 24u, 8u));
  return dot(va, vb);
}`;

const DOT4_PACKED = /* wgsl */ `
fn dot4(a: u32, b: u32) -> i32 { return dot4I8Packed(a, b); }`;

/** Threads per workgroup in every kernel (rows and heads are reduced with it). */
export const WG = 64;

/** Rows of one matrix product per thread (the workgroups' y count is rows / this, rounded up). */
export const ROWS_PER_THREAD = 4;

/** Uniform fields of each kernel, in order (16 x 32-bit slots at most). */
export const UNIFORMS = {
  embed: ['d', 'embOff', 'embMOff', 'embSOff', 'V'],
  rmsNorm: ['d', 'B', 'gOff', 'gs', 'dW', 'inRows'],
  matmul: ['outN', 'inW', 'rows', 'wOff', 'mOff', 'sOff', 'lo', 'hi', 'xStride', 'xOff', 'residual'],
  rope: ['width', 'hd', 'cosOff', 'sinOff', 'outW', 'cacheSlot', 'toCache', 'dstStride'],
  attend: ['heads', 'group', 'hd', 'rowW', 'attM', 'attS', 'aoM', 'aoS', 'exp2Off', 'ctxStride', 'layer', 'd'],
  pack: ['width', 'outW', 'cacheSlot', 'toCache'],
  swiglu: ['F', 'FW', 'siluOff', 'aM', 'aS'],
} as const;

export type KernelName = keyof typeof UNIFORMS;

const uniformStruct = (k: KernelName) => `struct U { ${UNIFORMS[k].map((f) => `${f}: i32`).join(', ')} }\n@group(0) @binding(0) var<uniform> u: U;\n`;

/** Per row of a forward: position, KV base word, KV capacity, token (or -1 - prompt vector index). */
const ROWS = '@group(0) @binding(1) var<storage, read> rows: array<vec4<i32>>;\n';

/** The kernels that read the row table (binding 1); the others leave that binding out. */
export const USES_ROWS: ReadonlySet<KernelName> = new Set(['embed', 'rope', 'pack', 'attend']);

const SOURCES: Record<KernelName, (packed: boolean) => string> = {
  // h = the token's embedding, requantised, or a prompt vector clamped to the residual range
  embed: () => /* wgsl */ `
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read> T: array<i32>;
@group(0) @binding(4) var<storage, read> vecs: array<i32>;
@group(0) @binding(5) var<storage, read_write> h: array<i32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = i32(gid.x);
  let r = i32(gid.y);
  if (j >= u.d) { return; }
  let tok = rows[r].w;
  if (tok < 0) {
    h[r * u.d + j] = clamp(vecs[(-1 - tok) * u.d + j], RES_MIN, RES_MAX);
    return;
  }
  let e = byteOf(W[u.embOff + (j / 4) * u.V + tok], u32(j % 4));
  h[r * u.d + j] = requant(e, T[u.embMOff + tok], T[u.embSOff + tok], I32_MIN, I32_MAX);
}`,

  // RMSNorm of row r (or of row sel[r] when inRows > 0: only the rows whose logits are wanted), to packed int8
  rmsNorm: () => /* wgsl */ `
@group(0) @binding(2) var<storage, read> T: array<i32>;
@group(0) @binding(3) var<storage, read> h: array<i32>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;
@group(0) @binding(5) var<storage, read> sel: array<i32>;
var<workgroup> red: array<u32, ${WG}>;
fn reduceMax(t: u32, v: u32) -> u32 {
  red[t] = v;
  for (var k = ${WG / 2}u; k > 0u; k = k / 2u) {
    workgroupBarrier();
    if (t < k) { red[t] = max(red[t], red[t + k]); }
  }
  return workgroupUniformLoad(&red[0]);
}
fn reduceSum(t: u32, v: u32) -> u32 {
  workgroupBarrier();
  red[t] = v;
  for (var k = ${WG / 2}u; k > 0u; k = k / 2u) {
    workgroupBarrier();
    if (t < k) { red[t] = red[t] + red[t + k]; }
  }
  return workgroupUniformLoad(&red[0]);
}
fn isqrt(n: u32) -> u32 {
  var r = u32(sqrt(f32(n)));
  while (r * r > n) { r = r - 1u; }
  while ((r + 1u) * (r + 1u) <= n) { r = r + 1u; }
  return r;
}
fn xOf(v: i32, sh: u32, lim: i32) -> i32 { return clamp(roundShift(v, sh), -lim, lim); }
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let out = i32(wid.x);
  var r = out;
  if (u.inRows > 0) { r = sel[out]; }
  let base = r * u.d;
  var mx = 0u;
  for (var j = i32(t); j < u.d; j = j + ${WG}) { mx = max(mx, u32(abs(h[base + j]))); }
  mx = reduceMax(t, mx);
  let B = u32(u.B);
  let sh = u32(max(0, i32(32u - countLeadingZeros(mx)) - u.B));
  let lim = (1 << B) - 1;
  var ss = 0u;
  for (var j = i32(t); j < u.d; j = j + ${WG}) { let x = xOf(h[base + j], sh, lim); ss = ss + u32(x * x); }
  ss = reduceSum(t, ss);
  let r2 = max(1u, isqrt((ss / u32(u.d)) << (30u - 2u * B)));
  let den = i32(r2 << u32(u.gs - 15 + u.B));
  for (var w = i32(t); w < u.dW; w = w + ${WG}) {
    var b = array<i32, 4>(0, 0, 0, 0);
    for (var k = 0; k < 4; k = k + 1) {
      let j = 4 * w + k;
      if (j < u.d && ss != 0u) {
        let a = xOf(h[base + j], sh, lim) * T[u.gOff + j];
        let q = (abs(a) + den / 2) / den;
        b[k] = clamp(select(q, -q, a < 0), -127, 127);
      }
    }
    y[out * u.dW + w] = packBytes(b[0], b[1], b[2], b[3]);
  }
}`,

  // acc[r][o] = W[o] . x[r], requantised and clamped; residual = 1 adds it to h[r][o] (docs/numerics.md,
// attention step 5). A thread computes output o for ROWS_PER_THREAD rows: each weight word is read once
// for them, and the threads of a workgroup read adjacent words (the weights are word-column-major).
  matmul: (packed) => /* wgsl */ `
${packed ? DOT4_PACKED : DOT4_PLAIN}
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read> T: array<i32>;
@group(0) @binding(4) var<storage, read> x: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<i32>;
fn store(r: i32, o: i32, acc: i32) {
  let at = r * u.outN + o;
  if (u.residual == 0) {
    out[at] = requant(acc, T[u.mOff + o], T[u.sOff + o], u.lo, u.hi);
  } else {
    let delta = requant(acc, T[u.mOff + o], T[u.sOff + o], I32_MIN, I32_MAX);
    out[at] = clamp64(add64(wide(out[at]), wide(delta)), RES_MIN, RES_MAX);
  }
}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = i32(gid.x);
  let r0 = i32(gid.y) * ${ROWS_PER_THREAD};
  if (o >= u.outN || r0 >= u.rows) { return; }
  // rows past the last read row r0's words again (in bounds) and are not stored
  let x0 = u.xOff + r0 * u.xStride;
  let x1 = u.xOff + min(r0 + 1, u.rows - 1) * u.xStride;
  let x2 = u.xOff + min(r0 + 2, u.rows - 1) * u.xStride;
  let x3 = u.xOff + min(r0 + 3, u.rows - 1) * u.xStride;
  var a = vec4<i32>(0, 0, 0, 0);
  for (var i = 0; i < u.inW; i = i + 1) {
    let w = W[u.wOff + i * u.outN + o];
    a = a + vec4<i32>(dot4(w, x[x0 + i]), dot4(w, x[x1 + i]), dot4(w, x[x2 + i]), dot4(w, x[x3 + i]));
  }
  store(r0, o, a.x);
  if (r0 + 1 < u.rows) { store(r0 + 1, o, a.y); }
  if (r0 + 2 < u.rows) { store(r0 + 2, o, a.z); }
  if (r0 + 3 < u.rows) { store(r0 + 3, o, a.w); }
}`,

  // rotary at each row's position, then int8: q to its rows, k into the row's stream cache
  rope: () => /* wgsl */ `
@group(0) @binding(2) var<storage, read> T: array<i32>;
@group(0) @binding(3) var<storage, read> z: array<i32>;
@group(0) @binding(4) var<storage, read_write> dst: array<u32>;
fn rotated(r: i32, c: i32, pos: i32) -> i32 {
  let half = u.hd / 2;
  let head = c - c % u.hd;
  let i = (c % u.hd) % half;
  let a = z[r * u.width + head + i];
  let b = z[r * u.width + head + i + half];
  let cs = T[u.cosOff + pos * half + i];
  let sn = T[u.sinOff + pos * half + i];
  var v: i32;
  if (c % u.hd < half) { v = a * cs - b * sn; } else { v = b * cs + a * sn; }
  return clamp(roundShift(roundShift(v, 14u), 8u), -127, 127);
}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let w = i32(gid.x);
  let r = i32(gid.y);
  if (w >= u.outW) { return; }
  let row = rows[r];
  var b = array<i32, 4>(0, 0, 0, 0);
  for (var k = 0; k < 4; k = k + 1) {
    let c = 4 * w + k;
    if (c < u.width) { b[k] = rotated(r, c, row.x); }
  }
  var at = r * u.dstStride + w;
  if (u.toCache != 0) { at = row.y + (u.cacheSlot * row.z + row.x) * u.outW + w; }
  dst[at] = packBytes(b[0], b[1], b[2], b[3]);
}`,

  // one head of one row over its stream's cache (docs/numerics.md, attention step 4); int32 result, packed afterwards
  attend: (packed) => /* wgsl */ `
${packed ? DOT4_PACKED : DOT4_PLAIN}
@group(0) @binding(2) var<storage, read> T: array<i32>;
@group(0) @binding(3) var<storage, read> q: array<u32>;
@group(0) @binding(4) var<storage, read> kv: array<u32>;
@group(0) @binding(5) var<storage, read_write> sc: array<i32>;
@group(0) @binding(6) var<storage, read_write> ao: array<i32>;
var<workgroup> red: array<i32, ${WG}>;
fn cacheByte(base: i32, c: i32) -> i32 { return byteOf(kv[base + c / 4], u32(c % 4)); }
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = i32(lid.x);
  let hh = i32(wid.x);
  let r = i32(wid.y);
  let row = rows[r];
  let n = row.x + 1;
  let g = hh / u.group;
  let kBase = row.y + (2 * u.layer) * row.z * u.rowW;
  let vBase = kBase + row.z * u.rowW;
  let qOff = hh * u.hd;
  let kOff = g * u.hd;
  let s0 = (r * u.heads + hh) * u.ctxStride;
  let dW = (u.d + 3) / 4;
  // scores (each thread keeps the same keys through the softmax)
  var mx = I32_MIN;
  // (heads of whole words: a word's four products at once; else byte by byte)
  let words = u.hd % 4 == 0;
  for (var j = t; j < n; j = j + ${WG}) {
    var s = 0;
    if (words) {
      for (var c = 0; c < u.hd / 4; c = c + 1) { s = s + dot4(q[r * dW + qOff / 4 + c], kv[kBase + j * u.rowW + kOff / 4 + c]); }
    } else {
      for (var c = 0; c < u.hd; c = c + 1) {
        s = s + byteOf(q[r * dW + (qOff + c) / 4], u32((qOff + c) % 4)) * cacheByte(kBase + j * u.rowW, kOff + c);
      }
    }
    sc[s0 + j] = s;
    mx = max(mx, s);
  }
  red[t] = mx;
  for (var k = ${WG / 2}; k > 0; k = k / 2) {
    workgroupBarrier();
    if (t < k) { red[t] = max(red[t], red[t + k]); }
  }
  let M = workgroupUniformLoad(&red[0]);
  var p = 0;
  for (var j = t; j < n; j = j + ${WG}) {
    let tt = requant(M - sc[s0 + j], u.attM, u.attS, 0, I32_MAX);
    var w0 = 0;
    if ((tt >> 8u) < 16) { w0 = (T[u.exp2Off + (tt & 255)] >> 8u) >> u32(tt >> 8u); }
    sc[s0 + j] = w0;
    p = p + w0;
  }
  workgroupBarrier();
  red[t] = p;
  for (var k = ${WG / 2}; k > 0; k = k / 2) {
    workgroupBarrier();
    if (t < k) { red[t] = red[t] + red[t + k]; }
  }
  let P = workgroupUniformLoad(&red[0]);
  for (var j = t; j < n; j = j + ${WG}) { sc[s0 + j] = (sc[s0 + j] * 32768) / P; }
  storageBarrier();
  workgroupBarrier();
  for (var c = t; c < u.hd; c = c + ${WG}) {
    var o = 0;
    for (var j = 0; j < n; j = j + 1) { o = o + sc[s0 + j] * cacheByte(vBase + j * u.rowW, kOff + c); }
    ao[r * u.d + qOff + c] = requant(o, u.aoM, u.aoS, -127, 127);
  }
}`,

  // int32 rows already within int8, packed: to rows of their own, or (toCache) into each row's stream cache (v)
  pack: () => /* wgsl */ `
@group(0) @binding(2) var<storage, read> z: array<i32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let w = i32(gid.x);
  let r = i32(gid.y);
  if (w >= u.outW) { return; }
  var b = array<i32, 4>(0, 0, 0, 0);
  for (var k = 0; k < 4; k = k + 1) {
    let c = 4 * w + k;
    if (c < u.width) { b[k] = z[r * u.width + c]; }
  }
  var at = r * u.outW + w;
  if (u.toCache != 0) {
    let row = rows[r];
    at = row.y + (u.cacheSlot * row.z + row.x) * u.outW + w;
  }
  dst[at] = packBytes(b[0], b[1], b[2], b[3]);
}`,

  // the SwiGLU product (docs/numerics.md, MLP steps 3-4), to packed int8
  swiglu: () => /* wgsl */ `
@group(0) @binding(2) var<storage, read> T: array<i32>;
@group(0) @binding(3) var<storage, read> gate: array<i32>;
@group(0) @binding(4) var<storage, read> up: array<i32>;
@group(0) @binding(5) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let w = i32(gid.x);
  let r = i32(gid.y);
  if (w >= u.FW) { return; }
  var b = array<i32, 4>(0, 0, 0, 0);
  for (var k = 0; k < 4; k = k + 1) {
    let c = 4 * w + k;
    if (c < u.F) {
      let gv = gate[r * u.F + c];
      var sg = gv;
      if (gv < -2048) { sg = 0; } else if (gv < 2048) { sg = T[u.siluOff + gv + 2048]; }
      b[k] = requant(sg * up[r * u.F + c], u.aM, u.aS, -127, 127);
    }
  }
  dst[r * u.FW + w] = packBytes(b[0], b[1], b[2], b[3]);
}`,
};

/** The WGSL source of one kernel. */
export function kernelSource(k: KernelName, packedDot: boolean): string {
  return WGSL_INT + uniformStruct(k) + (USES_ROWS.has(k) ? ROWS : '') + SOURCES[k](packedDot);
}
