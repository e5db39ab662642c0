"""A background run's state in a form small enough to commit (issue #16).

Checkpoints live in /work/llmz-state, which a new machine does not have:
session 18 found them gone and the v2 run's 15.6 M tokens of CPU training
with them. A snapshot keeps what a run needs to go on elsewhere: its
weights, with each matrix's rows as int8 and one float32 scale per row
(7.1 M parameters -> ~7 MB, xz-compressed), norm gains in float32, the
config, step, tokens, data-order state and QAT scales. It drops Adam's
moments (twice the weights again): train.py warms the learning rate up again
when it resumes without them (`--warmup` steps from the resumed step).

  /usr/bin/python3 training/snapshot.py save STATE/ckpt.pt training/snapshots/NAME.snap
  /usr/bin/python3 training/snapshot.py load training/snapshots/NAME.snap STATE/ckpt.pt

Rounding to int8 rows costs little: the multi-query run's snapshot at step
355 (largest relative row error 3.1%, printed by `save`) measured within
0.2% bpb of the checkpoint on every dev and realworld file (`dev_eval.py
--chunks 4`: zh +0.19%, the rest -0.07 to +0.10%), and training goes on
from it.
"""
import io
import lzma
import os
import sys

import torch

MAGIC = b"llmz-snapshot-1\n"


def quantize_rows(w):
    """float [rows, cols] -> (int8 [rows, cols], float32 [rows]): symmetric, per row, round to nearest."""
    scale = w.abs().amax(dim=1).clamp(min=1e-12) / 127.0
    q = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q, scale.float()


def dequantize_rows(q, scale):
    return q.float() * scale[:, None]


def pack(ck):
    """The committed form of a train.py checkpoint (no optimizer state)."""
    tensors, worst = {}, 0.0
    for name, w in ck["model"].items():
        w = w.detach().float()
        if w.dim() == 2:
            q, s = quantize_rows(w)
            err = (dequantize_rows(q, s) - w).norm(dim=1) / w.norm(dim=1).clamp(min=1e-12)
            worst = max(worst, err.max().item())
            tensors[name] = {"q": q, "scale": s}
        else:
            tensors[name] = {"f": w}
    body = {k: ck.get(k) for k in ("config", "step", "tokens", "rng", "qat")}
    body["tensors"] = tensors
    buf = io.BytesIO()
    torch.save(body, buf)
    return MAGIC + lzma.compress(buf.getvalue(), preset=9 | lzma.PRESET_EXTREME), worst


def unpack(blob):
    """A train.py checkpoint (opt None: train.py makes a fresh AdamW and warms up again)."""
    if not blob.startswith(MAGIC):
        raise SystemExit("not an llmz training snapshot (or one of a newer version)")
    body = torch.load(io.BytesIO(lzma.decompress(blob[len(MAGIC):])))
    state = {}
    for name, t in body.pop("tensors").items():
        state[name] = t["f"] if "f" in t else dequantize_rows(t["q"], t["scale"])
    return {"model": state, "opt": None, **body}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("save", "load"):
        raise SystemExit(__doc__)
    verb, src, out = sys.argv[1:]
    if verb == "save":
        blob, worst = pack(torch.load(src))
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "wb") as f:
            f.write(blob)
        print(f"wrote {out}: {len(blob):,} bytes; largest relative row error {worst:.4f}")
    else:
        with open(src, "rb") as f:
            ck = unpack(f.read())
        if os.path.exists(out):
            raise SystemExit(f"{out} exists: a run's checkpoint is never overwritten by a snapshot")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        torch.save(ck, out)
        print(f"wrote {out}: step {ck['step']}, {ck['tokens']:,} tokens, config {ck['config']}")


if __name__ == "__main__":
    main()
