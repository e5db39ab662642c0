"""Fewer K/V heads from a trained checkpoint (issue #16, item 3): the K and V
projections of each group of heads are mean-pooled into one shared head, as
the grouped-query attention paper up-trains multi-head checkpoints. The
result is a train.py checkpoint (fresh optimizer) to up-train from.

  /usr/bin/python3 training/mqa.py IN_CKPT OUT_CKPT KV_HEADS
"""
import sys

import torch

from common import save_start_checkpoint


def pool(w, heads, kv_heads):
    """[heads*hd, dim] -> [kv_heads*hd, dim]: each group's rows averaged head by head."""
    hd = w.shape[0] // heads
    return w.view(kv_heads, heads // kv_heads, hd, w.shape[1]).mean(dim=1).reshape(kv_heads * hd, w.shape[1])


def main():
    src, out, kv = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ck = torch.load(src, weights_only=False)
    cfg = dict(ck["config"])
    heads, old = cfg["heads"], cfg["kv_heads"]
    if old != heads or heads % kv:
        raise SystemExit(f"pools {heads} K/V heads into a divisor of them; this checkpoint has {old}")
    state = dict(ck["model"])
    for name in list(state):
        if name.endswith(".attn.k.weight") or name.endswith(".attn.v.weight"):
            state[name] = pool(state[name], heads, kv).clone()
    cfg["kv_heads"] = kv
    save_start_checkpoint(out, state, cfg, ck.get("tokens", 0), 4321, pooled_from=src)
    print("wrote", out, f"with {kv} K/V heads (from {heads})")


if __name__ == "__main__":
    main()
