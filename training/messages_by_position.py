"""The 24 messages' bits by token position, under a float checkpoint (a diagnostic).

  python3 training/messages_by_position.py CKPT [--messages DIR] [--tokenizer JSON]

Each message is coded alone after BOS, as `llmz compress` codes a short text, so its
first tokens have no context: this prints the payload's bits per byte (without the
archive's 17-byte header, which bench:goals counts) and the bits spent at positions
0, 1, 2-3, 4-7, 8-31 and 32 on, summed over the messages. Session 21 used it to see
what training windows that start at line starts (train.py --line-start-frac) buy.
"""
import argparse
import glob
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import load_checkpoint  # noqa: E402
from token_bits import token_bits  # noqa: E402

SPANS = [("0", 0, 1), ("1", 1, 2), ("2-3", 2, 4), ("4-7", 4, 8), ("8-31", 8, 32), ("32+", 32, None)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--messages", default=os.path.join(HERE, "../../shared/corpus/dev/messages"))
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "tokenizer-v2/tokenizer.json"))
    a = ap.parse_args()
    from tokenizers import Tokenizer
    torch.set_num_threads(1)
    m, ck = load_checkpoint(a.ckpt)
    tok = Tokenizer.from_file(a.tokenizer)
    spans, nbytes, total = np.zeros(len(SPANS)), 0, 0.0
    files = sorted(glob.glob(os.path.join(a.messages, "*.txt")))
    for f in files:
        raw = open(f, "rb").read()
        ids = tok.encode(raw.decode("utf-8").replace("\r\n", "\n")).ids
        bits = token_bits(m, ids, chunk=len(ids))  # a message is one chunk
        for k, (_, lo, hi) in enumerate(SPANS):
            spans[k] += bits[lo:hi].sum()
        nbytes += len(raw)
        total += bits.sum()
    print(f"step {ck.get('step')}: {len(files)} messages, {nbytes} bytes, payload {total / nbytes:.3f} bits/byte")
    print("bits at positions " + ", ".join(f"{label}: {s:.0f}" for (label, _, _), s in zip(SPANS, spans)))


if __name__ == "__main__":
    main()
