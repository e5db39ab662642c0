"""Export a float checkpoint to the exact engine's model file (docs/numerics.md).

int8 (or packed int4) weights with per-row scales; activation scales from a
calibration pass over training text, or, for a checkpoint trained with
`train.py --qat`, the scales its fake quantization used (the weights were
trained for those); every real-valued scale becomes an integer multiplier
and shift.

  /usr/bin/python3 training/export.py --ckpt /work/llmz-state/base/ckpt.pt \
      --data /work/data --tokenizer public/models/llmz-base/tokenizer.json \
      --out public/models/llmz-base/model.bin --name llmz-base
"""
import argparse
import hashlib
import math

import numpy as np
import torch
import torch.nn.functional as F

import modelfile
from model import apply_rope, load_checkpoint

RES_SCALE = 2.0 ** -16  # residual stream: real = int * 2^-16
LOG2E = 1.0 / math.log(2.0)


def mult_shift(M):
    """Real multiplier M > 0 -> (m, s) with 2^14 <= m < 2^15 and m / 2^s ~ M."""
    M = float(M)
    assert M > 0 and math.isfinite(M)
    s = 14 - math.floor(math.log2(M))
    m = round(M * 2.0 ** s)
    if m >= 1 << 15:
        m //= 2
        s -= 1
    if not 1 <= s <= 52:
        raise ValueError(f"multiplier {M} out of range")
    return m, s


def mult_shift_arr(Ms):
    ms = [mult_shift(x) for x in np.asarray(Ms, dtype=np.float64).ravel()]
    return np.array([a for a, _ in ms], dtype=np.int32), np.array([b for _, b in ms], dtype=np.int32)


def quant_rows(W, bits=8):
    """Per-row symmetric quantization to `bits` (8 or 4): W ~ q * scale[:, None]."""
    qmax = 127.0 if bits == 8 else 7.0
    W = W.double()
    scale = W.abs().amax(dim=1).clamp_min(1e-12) / qmax
    q = torch.round(W / scale[:, None]).clamp(-qmax, qmax).to(torch.int8)
    return q.numpy(), scale.numpy()


@torch.no_grad()
def calibrate(model, seqs, pct=99.99):
    """Activation magnitudes at every quantization point of the spec."""
    model = model.float().eval()
    c = model.cfg
    T = seqs.shape[1]
    cos, sin = model.cos[:T], model.sin[:T]
    stats = {}

    def rec(name, x, p=pct):
        a = x.detach().abs().flatten().double()
        v = torch.quantile(a[torch.randperm(len(a))[:1_000_000]], p / 100.0).item() if p < 100 else a.max().item()
        stats[name] = max(stats.get(name, 0.0), v)

    x = model.embed(seqs)
    hd = c.head_dim
    B = seqs.shape[0]
    for l, b in enumerate(model.blocks):
        p = f"layers.{l}"
        xn = b.attn_norm(x)
        rec(p + ".attn_norm", xn, 100)
        q = apply_rope(b.attn.q(xn).view(B, T, c.heads, hd).transpose(1, 2), cos, sin)
        k = apply_rope(b.attn.k(xn).view(B, T, c.kv_heads, hd).transpose(1, 2), cos, sin)
        v = b.attn.v(xn).view(B, T, c.kv_heads, hd).transpose(1, 2)
        rec(p + ".q", q, 100)
        rec(p + ".k", k, 100)
        rec(p + ".v", v, 100)
        if c.kv_heads != c.heads:
            k = k.repeat_interleave(c.heads // c.kv_heads, dim=1)
            v = v.repeat_interleave(c.heads // c.kv_heads, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, c.dim)
        rec(p + ".ao", y, 100)
        x = x + b.attn.o(y)
        xn = b.mlp_norm(x)
        rec(p + ".mlp_norm", xn, 100)
        a = F.silu(b.mlp.gate(xn)) * b.mlp.up(xn)
        rec(p + ".a", a)
        x = x + b.mlp.down(a)
    rec("final_norm", model.norm(x), 100)
    return stats


def norm_params(weight, sx, d):
    """Gain and shift of an RMSNorm whose int8 output has scale sx."""
    G = weight.double().numpy() / sx
    B = (31 - math.ceil(math.log2(d))) // 2
    gs = math.floor(math.log2((2 ** 15 - 1) / np.abs(G).max()))
    gs = max(15 - B, min(gs, 15 - B + 15))
    g = np.round(G * 2.0 ** gs).astype(np.int64)
    assert np.abs(g).max() < 2 ** 15
    return g.astype(np.int32), gs


def quantize(model, stats, name, tokenizer_sha256, train_context, weight_bits=8):
    c = model.cfg
    hd = c.head_dim
    sd = {k: v.detach().double() for k, v in model.state_dict().items()}
    scale = lambda key: stats[key] / 127.0  # noqa: E731
    T, S = {}, {}
    pack = (lambda q: modelfile.Int4(q)) if weight_bits == 4 else (lambda q: q)  # noqa: E731
    E_q, sE = quant_rows(sd["embed.weight"], weight_bits)
    T["embed"] = pack(E_q)
    T["embed.m"], T["embed.s"] = mult_shift_arr(sE / RES_SCALE)
    s_f = scale("final_norm")
    T["head.m"], T["head.s"] = mult_shift_arr(sE * s_f * LOG2E * 256)
    T["final_norm.g"], S["final_norm.gs"] = norm_params(sd["norm.weight"], s_f, c.dim)

    def linear(key, W, sx, sy):
        q, sw = quant_rows(W, weight_bits)
        T[key] = pack(q)
        T[key + ".m"], T[key + ".s"] = mult_shift_arr(sw * sx / sy)

    for l in range(c.layers):
        p = f"layers.{l}"
        w = lambda n: sd[f"blocks.{l}.{n}.weight"]  # noqa: E731
        sxa = scale(p + ".attn_norm")
        T[p + ".attn_norm.g"], S[p + ".attn_norm.gs"] = norm_params(w("attn_norm"), sxa, c.dim)
        sq, sk, sv, sao = scale(p + ".q"), scale(p + ".k"), scale(p + ".v"), scale(p + ".ao")
        linear(p + ".wq", w("attn.q"), sxa, sq / 256)
        linear(p + ".wk", w("attn.k"), sxa, sk / 256)
        linear(p + ".wv", w("attn.v"), sxa, sv)
        linear(p + ".wo", w("attn.o"), sao, RES_SCALE)
        S[p + ".att_m"], S[p + ".att_s"] = mult_shift(sq * sk / math.sqrt(hd) * LOG2E * 256)
        S[p + ".ao_m"], S[p + ".ao_s"] = mult_shift(sv / (2 ** 15 * sao))
        sxm = scale(p + ".mlp_norm")
        T[p + ".mlp_norm.g"], S[p + ".mlp_norm.gs"] = norm_params(w("mlp_norm"), sxm, c.dim)
        sa = scale(p + ".a")
        linear(p + ".wgate", w("mlp.gate"), sxm, 1 / 256)
        linear(p + ".wup", w("mlp.up"), sxm, 1 / 256)
        linear(p + ".wdown", w("mlp.down"), sa, RES_SCALE)
        S[p + ".a_m"], S[p + ".a_s"] = mult_shift(1 / (65536 * sa))

    inv = 1.0 / (c.rope_theta ** (np.arange(0, hd // 2, dtype=np.float64) * 2 / hd))
    ang = np.arange(c.max_pos, dtype=np.float64)[:, None] * inv[None, :]
    T["rope.cos"] = np.round(np.cos(ang) * 16384).astype(np.int16)
    T["rope.sin"] = np.round(np.sin(ang) * 16384).astype(np.int16)
    xs = (np.arange(4096) - 2048) / 256.0
    T["silu"] = np.round(xs / (1 + np.exp(-xs)) * 256).astype(np.int16)
    S["train_context"] = train_context
    S = {k: int(v) for k, v in S.items()}
    config = dict(vocab=c.vocab, dim=c.dim, layers=c.layers, heads=c.heads, kvHeads=c.kv_heads, ffn=c.ffn,
                  maxPos=c.max_pos, bos=0)
    meta = dict(numerics=1, name=name, config=config, tokenizer_sha256=tokenizer_sha256, scalars=S)
    return meta, T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="llmz-base")
    ap.add_argument("--context", type=int, default=512, help="chunk length the model is meant for (tokens)")
    ap.add_argument("--calib-seqs", type=int, default=16)
    ap.add_argument("--weight-bits", type=int, default=8, choices=[8, 4], help="4: packed int4 weights (half the download)")
    ap.add_argument("--prompts", help="npz from train_prompts.py: domain soft prompts to ship in the model file")
    a = ap.parse_args()
    model, ck = load_checkpoint(a.ckpt)
    data = np.memmap(f"{a.data}/train.u16", dtype=np.uint16, mode="r")
    rng = np.random.default_rng(99)
    T = a.context
    starts = rng.integers(0, len(data) - T, size=a.calib_seqs)
    seqs = torch.from_numpy(np.stack([np.concatenate([[0], data[s:s + T - 1]]) for s in starts]).astype(np.int64))
    qat = ck.get("qat")
    if qat and qat["bits"] != a.weight_bits:
        print(f"note: checkpoint trained for int{qat['bits']} weights, exporting int{a.weight_bits}")
    stats = dict(qat["scales"]) if qat else calibrate(model, seqs)
    with open(a.tokenizer, "rb") as f:
        tok_sha = hashlib.sha256(f.read()).hexdigest()
    meta, tensors = quantize(model, stats, a.name, tok_sha, a.context, a.weight_bits)
    if a.prompts:
        z = np.load(a.prompts)
        tensors["prompts"] = z["prompts"].astype(np.int32)
        meta["prompt_names"] = [str(n) for n in z["names"]]
    modelfile.write(a.out, meta, tensors)
    print("wrote", a.out, "step", ck.get("step"))


if __name__ == "__main__":
    main()
