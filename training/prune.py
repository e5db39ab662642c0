"""Structured pruning of the MLP width, as the start of a smaller variant.

Keeps, in every block, the `--ffn` hidden channels of the SwiGLU MLP with the
largest importance |gate_i| * |up_i| * |down_:,i| (row/column L2 norms), and
writes a checkpoint train.py resumes from (fresh optimizer), for a short
recovery fine-tune:

  /usr/bin/python3 training/prune.py --ckpt /work/llmz-state/base/ckpt.pt --ffn 320 \
      --out /work/llmz-state/pruned/ckpt.pt
  /usr/bin/python3 training/train.py --state /work/llmz-state/pruned ... --steps 150 --decay-steps 150
"""
import argparse
import os

import torch

from common import save_start_checkpoint
from model import LM, Config


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--ffn", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    ck = torch.load(a.ckpt, map_location="cpu")
    cfg = Config(**ck["config"])
    src = LM(cfg)
    src.load_state_dict(ck["model"])
    small_cfg = Config(**{**cfg.to_dict(), "ffn": a.ffn})
    dst = LM(small_cfg)
    sd = {k: v for k, v in src.state_dict().items() if ".mlp." not in k}
    for i, b in enumerate(src.blocks):
        m = b.mlp
        score = m.gate.weight.norm(dim=1) * m.up.weight.norm(dim=1) * m.down.weight.norm(dim=0)
        keep = torch.sort(torch.topk(score, a.ffn).indices).values
        sd[f"blocks.{i}.mlp.gate.weight"] = m.gate.weight[keep].clone()
        sd[f"blocks.{i}.mlp.up.weight"] = m.up.weight[keep].clone()
        sd[f"blocks.{i}.mlp.down.weight"] = m.down.weight[:, keep].clone()
    dst.load_state_dict(sd)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    save_start_checkpoint(a.out, dst.state_dict(), small_cfg.to_dict(), 0, 99,
                          pruned_from={"ckpt": a.ckpt, "ffn": cfg.ffn, "step": ck["step"]})
    n = lambda m: sum(p.numel() for p in m.parameters())
    print(f"pruned MLP {cfg.ffn} -> {a.ffn}: {n(src)} -> {n(dst)} parameters")


if __name__ == "__main__":
    main()
