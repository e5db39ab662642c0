"""Float model vs exported integer model: bits per byte on dev chunks.

The integer figure uses the coder's own frequency table (docs/numerics.md,
"Logits to frequencies"), so it is the size the compressor pays, minus
headers and the coder's < 0.01% overhead.

  /usr/bin/python3 training/evaluate.py --ckpt CKPT --model model.bin --data /work/data \
      --tokenizer public/models/llmz-base/tokenizer.json --chunks 4 --context 256
"""
import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F

from common import load_dev, token_bytes
from intsim import EXP2_Q23, IntModel
from model import load_checkpoint

FREQ_TOTAL = 1 << 24


def freq_bits(logits, targets):
    """-log2 of the coder's probability of each target, from integer logits [T, V]."""
    logits = logits.astype(np.int64)
    V = logits.shape[1]
    mx = logits.max(axis=1, keepdims=True)
    t = mx - logits
    e = np.where(t >= 24 * 256, 0, EXP2_Q23[t & 255] >> np.minimum(t >> 8, 62))
    S = e.sum(axis=1, keepdims=True)
    f = 1 + (e * (FREQ_TOTAL - V)) // S
    am = logits.argmax(axis=1)
    rows = np.arange(len(f))
    f[rows, am] += FREQ_TOTAL - f.sum(axis=1)
    return -np.log2(f[rows, targets] / FREQ_TOTAL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--chunks", type=int, default=4)
    ap.add_argument("--context", type=int, default=256)
    a = ap.parse_args()
    # a QAT checkpoint: the float side is then the simulation of the integer engine it trained with
    fm, ck = load_checkpoint(a.ckpt, qat_simulation=True)
    if fm.fq:
        print(f"float column: QAT simulation (int{ck['qat']['bits']} weights)")
    im = IntModel(a.model)
    tb = token_bytes(a.tokenizer)
    T = a.context
    tot = {"float": 0.0, "int": 0.0, "bytes": 0}
    for name, ids in load_dev(a.data).items():
        fb = ib = 0.0
        nbytes = 0
        # chunks spread over the file
        n = len(ids) // T
        for k in np.linspace(0, n - 1, a.chunks).astype(int):
            y = ids[k * T:(k + 1) * T].astype(np.int64)
            x = np.concatenate([[0], y[:-1]])
            with torch.no_grad():
                lf = fm(torch.from_numpy(x)[None])[0].double()
            fb += F.cross_entropy(lf, torch.from_numpy(y), reduction="sum").item() / math.log(2)
            ib += freq_bits(im.logits(list(x)), y).sum()
            nbytes += sum(len(tb[t]) for t in y)
        print(f"{name:8s} float {fb / nbytes:.4f} bpb   int {ib / nbytes:.4f} bpb   (+{100 * (ib / fb - 1):.2f}%)", flush=True)
        tot["float"] += fb
        tot["int"] += ib
        tot["bytes"] += nbytes
    print(f"{'all':8s} float {tot['float'] / tot['bytes']:.4f} bpb   int {tot['int'] / tot['bytes']:.4f} bpb   (+{100 * (tot['int'] / tot['float'] - 1):.2f}%)")


if __name__ == "__main__":
    main()
