"""docs/numerics.md in numpy int64: the training side's integer simulation.

Given a model file and token sequences it returns the exact integer logits the
TS engine must produce (tests/unit/intsim.test.ts compares them).  Only numpy
is needed, so CI can run it with Debian's python3-numpy.

  /usr/bin/python3 training/intsim.py MODEL IN.json OUT.bin
IN.json: [[tok, ...], ...] (each sequence starts with BOS), or items
{"seq": [...], "prompt": [[...dim values], ...]} for a soft prompt first;
OUT.bin: int32 logits, sequences one after another, [len, vocab] each.
"""
import json
import math
import sys

import numpy as np

import modelfile

EXP2_Q23 = np.array([round(2 ** 23 * 2 ** (-f / 256)) for f in range(256)], dtype=np.int64)


def round_shift(a, s):
    a = np.asarray(a, dtype=np.int64)
    s = np.asarray(s, dtype=np.int64)
    return np.where(s == 0, a, (a + (np.int64(1) << np.maximum(s - 1, 0))) >> s)


def requant(a, m, s):
    return round_shift(np.asarray(a, dtype=np.int64) * np.asarray(m, dtype=np.int64), s)


def rdiv(a, b):
    a = np.asarray(a, dtype=np.int64)
    q = (np.abs(a) + b // 2) // b
    return np.where(a < 0, -q, q)


def exp2_q15(t):
    whole = t >> 8
    v = (EXP2_Q23[t & 255] >> 8) >> np.minimum(whole, 62)
    return np.where(whole >= 16, 0, v)


class IntModel:
    def __init__(self, path):
        self.header, self.t = modelfile.read(path)
        c = self.header["config"]
        self.c = c
        self.hd = c["dim"] // c["heads"]
        self.sc = self.header["scalars"]

    def lin(self, name, x, lo, hi):
        W = self.t[name].astype(np.int64)
        acc = x.astype(np.int64) @ W.T
        return np.clip(requant(acc, self.t[name + ".m"], self.t[name + ".s"]), lo, hi)

    def norm(self, name, h):
        d = h.shape[-1]
        B = (31 - math.ceil(math.log2(d))) // 2
        lim = (1 << B) - 1
        out = np.zeros(h.shape, dtype=np.int64)
        g = self.t[name + ".g"].astype(np.int64)
        gs = self.sc[name + ".gs"]
        for r in range(h.shape[0]):
            row = h[r]
            mx = int(np.abs(row).max())
            sh = max(0, mx.bit_length() - B)
            x = np.clip(round_shift(row, sh), -lim, lim)
            ss = int((x * x).sum())
            if ss == 0:
                continue
            rr = max(1, math.isqrt((ss // d) << (30 - 2 * B)))
            den = rr << (gs - 15 + B)
            out[r] = np.clip(rdiv(x * g, den), -127, 127)
        return out

    def rope(self, z, T):
        # z: [T, nheads, hd] int64 -> int8-range values
        half = self.hd // 2
        cos = self.t["rope.cos"][:T].astype(np.int64)[:, None, :]
        sin = self.t["rope.sin"][:T].astype(np.int64)[:, None, :]
        a, b = z[..., :half], z[..., half:]
        y1 = round_shift(a * cos - b * sin, 14)
        y2 = round_shift(b * cos + a * sin, 14)
        return np.clip(round_shift(np.concatenate([y1, y2], axis=-1), 8), -127, 127)

    def logits(self, seq, prompt=None):
        """Integer logits of every position of `seq`; with `prompt` ([P, dim]
        residual values, docs/numerics.md "Soft prompts") the sequence runs
        after the prompt vectors and only its own positions are returned."""
        c, t, sc = self.c, self.t, self.sc
        d, H, Hk, hd = c["dim"], c["heads"], c["kvHeads"], self.hd
        ids = np.asarray(seq)
        E = t["embed"].astype(np.int64)
        h = requant(E[ids], t["embed.m"][ids][:, None], t["embed.s"][ids][:, None])
        n_prompt = 0
        if prompt is not None and len(prompt):
            pv = np.clip(np.asarray(prompt, dtype=np.int64).reshape(-1, d), -(2 ** 30), 2 ** 30 - 1)
            n_prompt = len(pv)
            h = np.concatenate([pv, h], axis=0)
        T = len(h)
        causal = np.tril(np.ones((T, T), dtype=bool))
        for l in range(c["layers"]):
            p = f"layers.{l}"
            xn = self.norm(p + ".attn_norm", h)
            q = self.rope(self.lin(p + ".wq", xn, -32767, 32767).reshape(T, H, hd), T)
            k = self.rope(self.lin(p + ".wk", xn, -32767, 32767).reshape(T, Hk, hd), T)
            v = self.lin(p + ".wv", xn, -127, 127).reshape(T, Hk, hd)
            ao = np.zeros((T, H, hd), dtype=np.int64)
            for hh in range(H):
                g = hh // (H // Hk)
                dots = q[:, hh, :] @ k[:, g, :].T  # [T, T]
                dots = np.where(causal, dots, np.iinfo(np.int64).min // 4)
                M = dots.max(axis=1, keepdims=True)
                tt = requant(np.where(causal, M - dots, 0), sc[p + ".att_m"], sc[p + ".att_s"])
                w0 = np.where(causal, exp2_q15(tt), 0)
                P = w0.sum(axis=1, keepdims=True)
                w = (w0 << 15) // P
                o = w @ v[:, g, :]
                ao[:, hh, :] = np.clip(requant(o, sc[p + ".ao_m"], sc[p + ".ao_s"]), -127, 127)
            h = np.clip(h + self.lin(p + ".wo", ao.reshape(T, d), -(2 ** 31), 2 ** 31 - 1), -(2 ** 30), 2 ** 30 - 1)
            xn = self.norm(p + ".mlp_norm", h)
            gt = self.lin(p + ".wgate", xn, -32767, 32767)
            up = self.lin(p + ".wup", xn, -32767, 32767)
            silu = t["silu"].astype(np.int64)
            sg = np.where(gt >= 2048, gt, np.where(gt < -2048, 0, silu[np.clip(gt + 2048, 0, 4095)]))
            a = np.clip(requant(sg * up, sc[p + ".a_m"], sc[p + ".a_s"]), -127, 127)
            h = np.clip(h + self.lin(p + ".wdown", a, -(2 ** 31), 2 ** 31 - 1), -(2 ** 30), 2 ** 30 - 1)
        f = self.norm("final_norm", h[n_prompt:])
        acc = f @ E.T
        return requant(acc, t["head.m"][None, :], t["head.s"][None, :])


def main():
    model, inp, outp = sys.argv[1:4]
    m = IntModel(model)
    with open(inp) as f:
        seqs = json.load(f)
    with open(outp, "wb") as f:
        for s in seqs:
            out = m.logits(s["seq"], s.get("prompt")) if isinstance(s, dict) else m.logits(s)
            f.write(out.astype("<i4").tobytes())


if __name__ == "__main__":
    main()
