"""Start a model with a new tokenizer from a trained one (issue #16, tokenizer v2).

The blocks know nothing about token ids; only the tied embedding/head does.
Each row of the new embedding is taken from the old model (fast vocabulary
transfer, Gee et al. 2022): a token whose bytes were already a token keeps
that row; any other is the mean of the rows of the old tokens its bytes split
into under the old tokenizer. Training then starts from a model that already
reads text, instead of from noise.

  PYTHONPATH=/work/pylib /usr/bin/python3 training/vocab_transfer.py OLD_CKPT OLD_TOKENIZER NEW_TOKENIZER OUT_CKPT
"""
import sys

import torch
from tokenizers import Tokenizer

from common import bytes_to_unicode, save_start_checkpoint, token_bytes


def transfer(old_emb, old_tok, old_bytes, new_bytes):
    """[new_vocab, dim] rows from old_emb; returns (rows, kept, composed)."""
    index = {b: i for i, b in enumerate(old_bytes) if b}
    b2u = bytes_to_unicode()
    rows = torch.empty(len(new_bytes), old_emb.shape[1])
    kept = composed = 0
    for i, b in enumerate(new_bytes):
        if not b:  # special tokens (<|bos|> is id 0 in both)
            rows[i] = old_emb[0]
        elif b in index:
            rows[i] = old_emb[index[b]]
            kept += 1
        else:
            # encode the token's own bytes as the old byte-level model sees them
            ids = old_tok.model.tokenize("".join(b2u[x] for x in b))
            rows[i] = old_emb[[t.id for t in ids]].mean(0)
            composed += 1
    return rows, kept, composed


def main():
    old_ckpt, old_tj, new_tj, out = sys.argv[1:5]
    ck = torch.load(old_ckpt)
    old_bytes, new_bytes = token_bytes(old_tj), token_bytes(new_tj)
    emb = ck["model"]["embed.weight"].float()
    rows, kept, composed = transfer(emb, Tokenizer.from_file(old_tj), old_bytes, new_bytes)
    state = dict(ck["model"])
    state["embed.weight"] = rows
    cfg = dict(ck["config"])
    cfg["vocab"] = len(new_bytes)
    save_start_checkpoint(out, state, cfg, ck.get("tokens", 0), 2468, vocab_from=old_ckpt)
    print(f"wrote {out}: vocab {len(old_bytes)} -> {len(new_bytes)}; {kept} rows kept, {composed} composed")


if __name__ == "__main__":
    main()
