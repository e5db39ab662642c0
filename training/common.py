"""Small helpers shared by the training scripts: token byte lengths, dev data, starting checkpoints."""
import glob
import json
import os

import numpy as np


def bytes_to_unicode():
    """GPT-2's byte <-> printable-character map used by ByteLevel tokenizers."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def token_bytes(tokenizer_json):
    """bytes of every token id (special tokens: empty)."""
    with open(tokenizer_json, encoding="utf-8") as f:
        tj = json.load(f)
    dec = {c: b for b, c in bytes_to_unicode().items()}
    vocab = tj["model"]["vocab"]
    out = [b""] * (max(vocab.values()) + 1)
    special = {t["content"] for t in tj.get("added_tokens", [])}
    for s, i in vocab.items():
        out[i] = b"" if s in special else bytes(dec[c] for c in s)
    return out


def load_dev(data_dir):
    """{name: uint16 ids} of the tokenized held-out dev files."""
    out = {}
    for p in sorted(glob.glob(os.path.join(data_dir, "dev", "*.u16"))):
        out[os.path.basename(p)[:-4]] = np.fromfile(p, dtype=np.uint16)
    return out


def save_start_checkpoint(path, model_state, config, tokens, seed, **provenance):
    """A checkpoint train.py starts a run from: weights and config, step 0, no
    optimizer state (train.py makes a fresh AdamW), data order from `seed`, and
    where it came from (e.g. pooled_from=...), as dequantize.py, prune.py,
    mqa.py and vocab_transfer.py write it."""
    import torch  # here, so the tokenizer-only scripts that import this module need no torch
    torch.save({"model": model_state, "opt": None, "step": 0, "tokens": tokens,
                "rng": np.random.default_rng(seed).bit_generator.state, "config": config, **provenance}, path)
