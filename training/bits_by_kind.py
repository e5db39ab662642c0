"""Where a file's bits go, by kind of token, under a float checkpoint (a diagnostic).

  python3 training/bits_by_kind.py CKPT FILE [--tokens N] [--tokenizer JSON] [--line-starts]

Codes the file's first N tokens in 1,024-token chunks after BOS, as the engine does,
and prints each kind's share of the bits and of the bytes: whole CJK characters, CJK
characters spelt in byte pieces (not in the vocabulary), punctuation, quotation marks,
newlines, spaces, ASCII. Used for realworld/zh.txt (training/corpus_v2/README.md): a
tokenizer's cost shows as the byte pieces' bits per byte against whole characters'.
--line-starts counts the first token after a newline (past any indent) as a kind of its
own: what a file's layout costs beyond the newlines themselves (hard-wrapped text).
"""
import argparse
import collections
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import token_bytes  # noqa: E402
from model import load_checkpoint  # noqa: E402
from token_bits import token_bits  # noqa: E402


def kind(b):
    t = b.decode("utf-8", "replace")
    if b"\n" in b:
        return "newline"
    if b.strip(b" ") == b"" or t.strip("\u3000 ") == "":
        return "spaces"
    if any(ch in t for ch in "“”‘’「」『』"):
        return "quotes"
    if any(ch in t for ch in "…—"):
        return "ellipsis/dash"
    if any(ch in t for ch in "，。！？；：、（）《》"):
        return "cjk punctuation"
    if all(ch.isascii() for ch in t):
        return "ascii"
    if "\ufffd" in t:
        return "byte pieces"
    return "whole characters"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("file")
    ap.add_argument("--tokens", type=int, default=40960)
    ap.add_argument("--line-starts", action="store_true", help="the first token after a newline as a kind of its own")
    ap.add_argument("--tokenizer", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenizer-v2/tokenizer.json"))
    a = ap.parse_args()
    from tokenizers import Tokenizer
    torch.set_num_threads(1)
    m, _ = load_checkpoint(a.ckpt)
    tb = token_bytes(a.tokenizer)
    text = open(a.file, encoding="utf-8").read().replace("\r\n", "\n")
    ids = Tokenizer.from_file(a.tokenizer).encode(text).ids[: a.tokens]
    bits = token_bits(m, ids)
    cost, size = collections.Counter(), collections.Counter()
    after_newline = False
    for i, b in zip(ids, bits):
        k = kind(tb[i])
        if a.line_starts and after_newline and k not in ("newline", "spaces"):
            after_newline, k = False, "after a newline"
        after_newline = after_newline or k == "newline"
        cost[k] += b
        size[k] += len(tb[i])
    total, nbytes = sum(cost.values()), sum(size.values())
    print(f"{len(ids)} tokens, {nbytes} bytes, {total / nbytes:.3f} bits/byte")
    for k, v in cost.most_common():
        print(f"{k:17s} {v / total:6.1%} of the bits, {size[k] / nbytes:6.1%} of the bytes, {v / size[k]:.2f} bits/byte")


if __name__ == "__main__":
    main()
