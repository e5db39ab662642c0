"""Tokenize the training corpus once into a flat uint16 id file (and the dev
files for evaluation).  Pieces are cut at blank lines, so a document is never
split mid-word; the id stream is their concatenation.

  PYTHONPATH=/work/pylib /usr/bin/python3 training/prepare_data.py \
      --tokenizer public/models/llmz-base/tokenizer.json \
      --train /work/data/train.txt --dev ../shared/corpus/dev --out /work/data
"""
import argparse
import glob
import os

import numpy as np
from tokenizers import Tokenizer


def pieces(text, size=1 << 20):
    start = 0
    while start < len(text):
        end = text.find("\n\n", start + size)
        end = len(text) if end < 0 else end + 2
        yield text[start:end]
        start = end


def encode(tok, text):
    out = []
    for enc in tok.encode_batch(list(pieces(text))):
        out.extend(enc.ids)
    return np.array(out, dtype=np.uint16)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--dev", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    tok = Tokenizer.from_file(args.tokenizer)
    with open(args.train, encoding="utf-8") as f:
        text = f.read()
    ids = encode(tok, text)
    ids.tofile(os.path.join(args.out, "train.u16"))
    print("train", len(text.encode()), "bytes ->", len(ids), "tokens")
    os.makedirs(os.path.join(args.out, "dev"), exist_ok=True)
    for path in sorted(glob.glob(os.path.join(args.dev, "*.txt"))):
        with open(path, encoding="utf-8") as f:
            t = f.read()
        d = encode(tok, t)
        name = os.path.basename(path)[:-4]
        d.tofile(os.path.join(args.out, "dev", name + ".u16"))
        print(name, len(t.encode()), "bytes ->", len(d), "tokens", "%.3f B/tok" % (len(t.encode()) / len(d)))


if __name__ == "__main__":
    main()
