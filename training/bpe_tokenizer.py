"""The training side's tokenizer: byte-level BPE from tokenizer.json in pure
Python (Debian's python3-regex), with exactly the segmentation rules of
src/model/tokenizer.ts:

- cut the bytes after the first "\\n\\n" at or beyond every 65536 bytes that
  ends within 2^20 bytes of the segment start; failing that, at 2^20, moved
  past at most 3 UTF-8 continuation bytes;
- within a segment, valid UTF-8 runs go through GPT-2 pre-tokenization and
  BPE; every byte that is not valid UTF-8 becomes its byte-level token;
- added tokens (<|bos|>) are matched in text, as the HF tokenizers do.

  /usr/bin/python3 training/bpe_tokenizer.py tokenizer.json FILE > ids.txt
"""
import json
import sys

import regex

from common import bytes_to_unicode

SEGMENT_BYTES = 1 << 16
MAX_SEGMENT_BYTES = 1 << 20
PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def utf8_seq_len(b, i):
    c = b[i]
    n = len(b)

    def cont(k):
        return i + k < n and (b[i + k] & 0xC0) == 0x80

    if c < 0x80:
        return 1
    if 0xC2 <= c <= 0xDF:
        return 2 if cont(1) else 0
    if 0xE0 <= c <= 0xEF:
        if not (cont(1) and cont(2)):
            return 0
        if c == 0xE0 and b[i + 1] < 0xA0:
            return 0
        if c == 0xED and b[i + 1] > 0x9F:
            return 0
        return 3
    if 0xF0 <= c <= 0xF4:
        if not (cont(1) and cont(2) and cont(3)):
            return 0
        if c == 0xF0 and b[i + 1] < 0x90:
            return 0
        if c == 0xF4 and b[i + 1] > 0x8F:
            return 0
        return 4
    return 0


def utf8_runs(b):
    """[(start, end, valid)] as in src/model/utf8.ts."""
    runs, i, start = [], 0, 0
    while i < len(b):
        n = utf8_seq_len(b, i)
        if n:
            i += n
            continue
        if i > start:
            runs.append((start, i, True))
        runs.append((i, i + 1, False))
        i += 1
        start = i
    if i > start:
        runs.append((start, i, True))
    return runs


def segments(b):
    out, start = [], 0
    while start < len(b):
        cap = start + MAX_SEGMENT_BYTES
        k = b.find(b"\n\n", start + SEGMENT_BYTES, cap)  # a blank line ending by the cap
        if k >= 0:
            end = k + 2
        elif len(b) <= cap:
            end = len(b)
        else:  # no blank line: cut at the cap, moved past at most 3 UTF-8 continuation bytes
            end = cap
            while end < len(b) and end < cap + 3 and (b[end] & 0xC0) == 0x80:
                end += 1
        out.append((start, end))
        start = end
    return out


class Tokenizer:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            tj = json.load(f)
        self.vocab = tj["model"]["vocab"]
        self.ranks = {tuple(m if isinstance(m, list) else m.split(" ")): i for i, m in enumerate(tj["model"]["merges"])}
        self.b2u = bytes_to_unicode()
        self.added = {t["content"]: t["id"] for t in tj.get("added_tokens", [])}
        self.added_re = regex.compile("|".join(regex.escape(t) for t in sorted(self.added, key=len, reverse=True))) if self.added else None
        self.cache = {}

    def bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            best = None
            for i in range(len(parts) - 1):
                r = self.ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best is None or r < best[0]):
                    best = (r, i)
            if best is None:
                break
            _, i = best
            a, b = parts[i], parts[i + 1]
            merged, j = [], 0
            while j < len(parts):
                if j < len(parts) - 1 and parts[j] == a and parts[j + 1] == b:
                    merged.append(a + b)
                    j += 2
                else:
                    merged.append(parts[j])
                    j += 1
            parts = merged
        ids = [self.vocab[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode_text(self, text):
        ids = []
        pieces = [text]
        if self.added_re:
            pieces, pos = [], 0
            for m in self.added_re.finditer(text):
                pieces.append(text[pos:m.start()])
                pieces.append(m.group(0))
                pos = m.end()
            pieces.append(text[pos:])
        for piece in pieces:
            if piece in self.added:
                ids.append(self.added[piece])
                continue
            for w in PAT.findall(piece):
                ids.extend(self.bpe("".join(self.b2u[c] for c in w.encode("utf-8"))))
        return ids

    def encode(self, data: bytes):
        ids = []
        for s, e in segments(data):
            seg = data[s:e]
            for a, b, valid in utf8_runs(seg):
                if valid:
                    ids.extend(self.encode_text(seg[a:b].decode("utf-8")))
                else:
                    ids.append(self.vocab[self.b2u[seg[a]]])
        return ids


def main():
    tok = Tokenizer(sys.argv[1])
    with open(sys.argv[2], "rb") as f:
        data = f.read()
    sys.stdout.write(" ".join(map(str, tok.encode(data))) + "\n")


if __name__ == "__main__":
    main()
