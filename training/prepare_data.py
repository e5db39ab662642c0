"""Tokenize the training corpus once into a flat uint16 id file (and the dev
files for evaluation).  Pieces are cut at blank lines, so a document is never
split mid-word; the id stream is their concatenation.

  PYTHONPATH=/work/pylib /usr/bin/python3 training/prepare_data.py \
      --tokenizer public/models/llmz-base/tokenizer.json \
      --train /work/data/train.txt --dev ../shared/corpus/dev --out /work/data

--realworld DIR also tokenizes every file of ../shared/corpus/dev/realworld/
(as dev/rw_<name>.u16, CRLF as LF, as the pipeline's transform feeds the
model) so train.py's dev_bpb reports them: measured, never trained on.
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
    ap.add_argument("--realworld", help="held-out real files to measure (dev/realworld)")
    ap.add_argument("--dev-only", action="store_true", help="tokenize the dev files only")
    args = ap.parse_args()
    tok = Tokenizer.from_file(args.tokenizer)
    if not args.dev_only:
        with open(args.train, encoding="utf-8") as f:
            text = f.read()
        ids = encode(tok, text)
        ids.tofile(os.path.join(args.out, "train.u16"))
        print("train", len(text.encode()), "bytes ->", len(ids), "tokens")
    os.makedirs(os.path.join(args.out, "dev"), exist_ok=True)
    dev = [(os.path.basename(p)[:-4], p) for p in sorted(glob.glob(os.path.join(args.dev, "*.txt")))]
    if args.realworld:
        real = [p for p in sorted(glob.glob(os.path.join(args.realworld, "*"))) if not p.endswith((".md", ".tsv"))]
        stems = [os.path.basename(p).split(".")[0] for p in real]
        # rw_<stem>, or rw_<stem>_<extension> where two files share a stem (data.csv, data.json)
        dev += [("rw_" + (s if stems.count(s) == 1 else os.path.basename(p).replace(".", "_")), p) for s, p in zip(stems, real)]
    for name, path in dev:
        with open(path, encoding="utf-8", newline="") as f:
            t = f.read().replace("\r\n", "\n")
        d = encode(tok, t)
        d.tofile(os.path.join(args.out, "dev", name + ".u16"))
        print(name, len(t.encode()), "bytes ->", len(d), "tokens", "%.3f B/tok" % (len(t.encode()) / len(d)))


if __name__ == "__main__":
    main()
