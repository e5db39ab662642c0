"""Pack a prepared data folder (prepare_data.py: train.u16, dev/*.u16) for a GPU
run (train_gpu.py) within what one device call carries.

A device call ships the repository's tracked files (about 47 MiB) with at most
64 MiB in all, so the training tokens (144 MB for /work/data-v2b) go over in
more than one call: train.u16 is cut into pieces of --piece-tokens tokens,
each xz-compressed (/work/data-v2b: 72.1 M tokens in 41.7 MiB, 4.9 bits a token), and the
pieces are grouped in order into folders OUT/c0, OUT/c1, ... of at most
--carry-mib MiB each. Each call carries one folder and copies it to the same
place on the device. Session 23 took the model files out of the working tree
for its call (3.8 MiB left) and carried everything, dev files too, in one
folder: `--carry-mib 58 --dev` (DEVELOPERS.md, "A GPU run"). The dev files
(4 MiB) stay here unless --dev: dev_eval.py measures the checkpoint once it
is back.

  python3 training/gpu_pack.py /work/data-v2b .gpu
"""
import argparse
import lzma
import os
import shutil
from concurrent.futures import ProcessPoolExecutor

import numpy as np


def compress(args):
    path, start, count, out = args
    tokens = np.memmap(path, dtype=np.uint16, mode="r")[start:start + count]
    with open(out, "wb") as f:
        f.write(lzma.compress(tokens.tobytes(), preset=9))
    return out, os.path.getsize(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--piece-tokens", type=int, default=2_000_000)
    ap.add_argument("--carry-mib", type=float, default=16.5, help="64 MiB less the tracked tree (46.6 MiB) and some room")
    ap.add_argument("--dev", action="store_true", help="carry dev/*.u16 too, in the last folder (train_gpu.py then evaluates there)")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    src = os.path.join(a.data, "train.u16")
    n = os.path.getsize(src) // 2
    work = os.path.join(a.out, "pieces")
    os.makedirs(work, exist_ok=True)
    jobs = [(src, s, min(a.piece_tokens, n - s), os.path.join(work, f"train-{i:04d}.u16.xz"))
            for i, s in enumerate(range(0, n, a.piece_tokens))]
    with ProcessPoolExecutor(a.jobs) as ex:
        pieces = list(ex.map(compress, jobs))
    dev = os.path.join(a.data, "dev")
    dev_bytes = sum(os.path.getsize(os.path.join(dev, f)) for f in os.listdir(dev)) if a.dev and os.path.isdir(dev) else 0
    limit = a.carry_mib * 2**20
    folders, size = [[]], 0
    for path, sz in pieces:
        if folders[-1] and size + sz > limit:
            folders.append([])
            size = 0
        folders[-1].append(path)
        size += sz
    if size + dev_bytes > limit:
        folders.append([])
    for i, group in enumerate(folders):
        d = os.path.join(a.out, f"c{i}")
        os.makedirs(d, exist_ok=True)
        for p in group:
            os.replace(p, os.path.join(d, os.path.basename(p)))
        if i == len(folders) - 1 and dev_bytes:
            shutil.copytree(dev, os.path.join(d, "dev"), dirs_exist_ok=True)
        total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)
        print(f"{d}: {len(group)} pieces, {total / 2**20:.1f} MiB")
    os.rmdir(work)
    print(f"{n:,} tokens in {len(pieces)} pieces, {sum(s for _, s in pieces) / 2**20:.1f} MiB, {len(folders)} carry folders")


if __name__ == "__main__":
    main()
