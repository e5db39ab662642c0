"""Bits per byte of a train.py checkpoint on every tokenized dev file of a data
folder (prepare_data.py; with --realworld, dev/realworld too), measured as
train.py's dev_bpb does: the first CHUNKS chunks of SEQ tokens of each file.
bpb is per byte of text, so checkpoints with different tokenizers compare.

  /usr/bin/python3 training/dev_eval.py CKPT DATA TOKENIZER [--chunks 24] [--seq 512]
"""
import argparse
import json

import torch

from common import load_dev, token_bytes
from model import load_checkpoint
from train import dev_bpb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("data")
    ap.add_argument("tokenizer")
    ap.add_argument("--chunks", type=int, default=24)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, _ = load_checkpoint(a.ckpt)
    with torch.no_grad():
        res = dev_bpb(model, load_dev(a.data), token_bytes(a.tokenizer), a.seq, a.chunks)
    print(json.dumps({k: round(v, 4) for k, v in res.items()}))


if __name__ == "__main__":
    main()
