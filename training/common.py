"""Small helpers shared by the training scripts: token byte lengths, dev data."""
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
