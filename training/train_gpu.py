"""Pretrain the float model on one CUDA GPU within a fixed wall-clock budget:
the one prepared run of a session that is lent a GPU machine (DEVELOPERS.md,
"A GPU run"). Tried on the CPU first with `--device cpu` and a tiny config.

The learning rate follows the clock, not a step count: linear warmup over
`--warmup` steps, constant, then a linear decay to --min-lr-frac (default 10%) over the last
`--decay-frac` of the budget, and the run ends when the budget is spent. So
it ends cooled down inside the device's command limit however fast the GPU
turns out to be. bf16 autocast, fused attention (model.py), the training
tokens held on the GPU, windows drawn there.

Its checkpoint is train.py's format (float weights, no optimizer state:
train.py then starts a fresh AdamW, as after prune.py), written in parts of at
most `--part-mb` MB because the device returns files of at most 16 MiB;
`--join DIR OUT` puts them back together here. The weights at the start of
the decay go to OUT/stable/ in the same parts: a later lease continues the
run from those (`--join OUT/stable`, then `--init`), not from the cooled end.

  python3 training/train_gpu.py --data /tmp/llmz --tokenizer training/tokenizer-v2/tokenizer.json \\
      --out $OUT --minutes 8 --config '{"vocab": 12288, "kv_heads": 1}'
  /usr/bin/python3 training/train_gpu.py --join /work/.device/... /work/llmz-state/gpu/ckpt.pt
"""
import argparse
import glob
import json
import lzma
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from common import load_dev, token_bytes
import model as model_mod
from model import LM, Config, param_count
from train import BOS, adamw, dev_bpb, parse_regions, train_step


def load_checkpoint(path):
    """torch.load of a train.py checkpoint (its rng state is plain Python data), on torch 1.13 here and 2.x there,
    where weights_only became the default."""
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:  # a torch without weights_only
        return torch.load(path, map_location="cpu")


def load_tokens(data_dir):
    """train-*.u16(.xz) parts of a data folder, in name order (gpu_pack.py cuts train.u16 so), as one array.
    A missing part (e.g. a first device call whose files did not survive) only shortens the data."""
    parts = sorted(glob.glob(os.path.join(data_dir, "train-*.u16*")))
    if not parts and os.path.exists(os.path.join(data_dir, "train.u16")):
        parts = [os.path.join(data_dir, "train.u16")]
    if not parts:
        sys.exit(f"no training tokens in {data_dir} (train-*.u16.xz from gpu_pack.py, or train.u16)")
    def read(p):
        raw = lzma.open(p).read() if p.endswith(".xz") else open(p, "rb").read()
        return np.frombuffer(raw, dtype=np.uint16)

    with ThreadPoolExecutor(os.cpu_count()) as ex:  # lzma lets go of the GIL: the device's cores unpack in parallel
        arrays = list(ex.map(read, parts))
    names = [os.path.basename(p) for p in parts]
    print(f"data: {len(parts)} pieces ({names[0]} ... {names[-1]}): {sum(len(a) for a in arrays):,} tokens", flush=True)
    return np.concatenate(arrays)


def schedule(frac, step, a):
    """lr at `step`, `frac` of the budget gone: train.py's warmup-stable-decay (to --min-lr-frac) with the decay placed by the clock."""
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    decay_start = 1.0 - a.decay_frac
    return a.lr * (1 - (1 - a.min_lr_frac) * min(1.0, max(0.0, frac - decay_start) / a.decay_frac))


def save_parts(state, out_dir, part_mb):
    """The checkpoint as ckpt.partN.pt files of at most part_mb MB of tensors each; part 0 holds the rest of the record."""
    groups, size = [[]], 0
    for k, t in state["model"].items():
        n = t.numel() * t.element_size()
        if groups[-1] and size + n > part_mb * 1e6:
            groups.append([])
            size = 0
        groups[-1].append(k)
        size += n
    for i, keys in enumerate(groups):
        rec = {"model": {k: state["model"][k] for k in keys}, "part": i, "parts": len(groups)}
        if i == 0:
            rec.update({k: v for k, v in state.items() if k != "model"})
        torch.save(rec, os.path.join(out_dir, f"ckpt.part{i}.pt"))
    return len(groups)


def join_parts(src_dir, out_path):
    parts = sorted((load_checkpoint(p) for p in glob.glob(os.path.join(src_dir, "ckpt.part*.pt"))), key=lambda r: r["part"])
    if not parts or len(parts) != parts[0]["parts"]:
        sys.exit(f"{src_dir}: expected {parts[0]['parts'] if parts else '?'} parts, found {len(parts)}")
    rec = {k: v for k, v in parts[0].items() if k not in ("model", "part", "parts")}
    rec["model"] = {k: v for p in parts for k, v in p["model"].items()}
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    torch.save(rec, out_path)
    print(f"{out_path}: step {rec['step']}, {rec['tokens']:,} tokens, config {rec['config']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--join", nargs=2, metavar=("PARTS_DIR", "OUT_CKPT"), help="join a run's checkpoint parts and exit")
    ap.add_argument("--data", help="train-*.u16.xz parts and dev/*.u16 (gpu_pack.py)")
    ap.add_argument("--tokenizer")
    ap.add_argument("--out", help="checkpoint parts and train.log go here")
    ap.add_argument("--init", help="a train.py checkpoint to start from (default: fresh weights of --config)")
    ap.add_argument("--config", default="{}", help="JSON overrides of model.Config")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--minutes", type=float, default=8.0, help="training wall-clock budget (evaluation and saving come after)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seq", type=int, default=1024, help="the engine codes 1024-token chunks: train at that length")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--decay-frac", type=float, default=0.25)
    ap.add_argument("--min-lr-frac", type=float, default=0.1, help="the decay ends at this fraction of --lr (train.py's: 0.1)")
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--tail-tokens", type=int, default=880000, help="oversampled region at the end of the data (train.py's)")
    ap.add_argument("--tail-frac", type=float, default=0.1)
    ap.add_argument("--oversample", action="append", default=[], metavar="TOKENS:FRAC", help="as train.py's")
    ap.add_argument("--line-start-frac", type=float, default=0.0, help="as train.py's")
    ap.add_argument("--part-mb", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.join:
        return join_parts(*a.join)
    if not (a.data and a.tokenizer and a.out):
        ap.error("--data, --tokenizer and --out are needed to train")
    os.makedirs(a.out, exist_ok=True)
    log = open(os.path.join(a.out, "train.log"), "a")

    def emit(rec):
        print(json.dumps(rec), flush=True)
        log.write(json.dumps(rec) + "\n")
        log.flush()

    dev = torch.device(a.device)
    if dev.type == "cpu":  # a try on the CPU: the fused CPU head in fp32 (bf16 is many times slower on AVX2; cpu_precision.py)
        model_mod.HEAD_DTYPE = torch.float32
    torch.manual_seed(a.seed)
    if a.init:
        ck = load_checkpoint(a.init)
        cfg = Config(**ck["config"])
        model = LM(cfg)
        model.load_state_dict(ck["model"])
        step0, tokens = ck.get("step", 0), ck.get("tokens", 0)
    else:
        cfg = Config(**json.loads(a.config))
        model = LM(cfg)
        step0, tokens = 0, 0
    model.to(dev)
    emit({"params": param_count(model), "config": cfg.to_dict(), "device": str(dev),
          "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None, "torch": torch.__version__})

    data = torch.from_numpy(load_tokens(a.data).astype(np.int32)).to(dev)
    n, T = len(data), a.seq
    # train.py's sampler on the device: disjoint shares of windows from regions at the data's end
    # (the Wikipedia tail first), then a share moved to the next line start
    regions = [(min(tokens, n - T - 1), frac) for tokens, frac in parse_regions(a.tail_tokens, a.tail_frac, a.oversample)]
    if a.line_start_frac:
        ends_line = torch.tensor([b.endswith(b"\n") for b in token_bytes(a.tokenizer)], device=dev)
        line_starts = torch.nonzero(ends_line[data.long()]).flatten() + 1
    gen = torch.Generator(device=dev)
    gen.manual_seed(a.seed)
    offsets = torch.arange(T, device=dev)

    def draw():
        starts = torch.randint(0, n - T, (a.batch,), device=dev, generator=gen)
        if regions:
            u, lo = torch.rand(a.batch, device=dev, generator=gen), 0.0
            for tokens, frac in regions:
                pick = (u >= lo) & (u < lo + frac)
                lo += frac
                if tokens > T:
                    starts = torch.where(pick, n - tokens + torch.randint(0, tokens - T, (a.batch,), device=dev, generator=gen), starts)
        if a.line_start_frac:
            nxt = torch.searchsorted(line_starts, starts).clamp(max=len(line_starts) - 1)
            moved = line_starts[nxt]
            ok = (torch.rand(a.batch, device=dev, generator=gen) < a.line_start_frac) & (moved >= starts) & (moved <= n - T)
            starts = torch.where(ok, moved, starts)
        y = data[starts[:, None] + offsets].long()
        x = torch.cat([torch.full((a.batch, 1), BOS, dtype=torch.long, device=dev), y[:, :-1]], dim=1)
        return x, y

    opt = adamw(model, a.lr, a.wd, **({"fused": True} if dev.type == "cuda" else {}))
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda")
    budget = a.minutes * 60
    t_start = time.time()
    step, losses, last, tokens0 = 0, [], t_start, tokens
    stable = None  # the weights when the decay begins: a later run continues from them (--init), not from the cooled end
    while True:
        frac = (time.time() - t_start) / budget
        if frac >= 1.0:
            break
        if stable is None and frac >= 1.0 - a.decay_frac:
            stable = {"model": {k: v.detach().float().cpu().clone() for k, v in model.state_dict().items()},
                      "step": step0 + step, "tokens": tokens}
        lr = schedule(frac, step, a)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = draw()
        losses.append(train_step(model, opt, x, y, autocast))
        step += 1
        tokens += x.numel()
        if step % 100 == 0 or time.time() - last > 30:
            now = time.time()
            emit({"step": step0 + step, "tokens": tokens, "loss": torch.stack(losses).mean().item(), "lr": lr,
                  "elapsed_s": round(now - t_start, 1), "tok_s": round((tokens - tokens0) / (now - t_start))})
            losses, last = [], now
    train_s = time.time() - t_start
    model.eval()
    state = {"model": {k: v.detach().float().cpu() for k, v in model.state_dict().items()}, "opt": None,
             "step": step0 + step, "tokens": tokens, "rng": np.random.default_rng(1234).bit_generator.state,
             "config": cfg.to_dict(), "qat": None,
             "trained_on": {"device": str(dev), "minutes": round(train_s / 60, 2), "batch": a.batch, "seq": a.seq,
                            "lr": a.lr, "init": a.init}}
    parts = save_parts(state, a.out, a.part_mb)
    rec = {"done": True, "steps": step, "tokens": tokens, "train_s": round(train_s, 1), "parts": parts}
    if stable is not None:
        # in stable/ beside the final parts, the same format: `--join OUT/stable` gives a checkpoint to --init a longer run from
        os.makedirs(os.path.join(a.out, "stable"), exist_ok=True)
        pre = {**state, **stable, "trained_on": {**state["trained_on"], "pre_decay": True}}
        rec["stable"] = {"step": stable["step"], "tokens": stable["tokens"],
                         "parts": save_parts(pre, os.path.join(a.out, "stable"), a.part_mb)}
    dev_data = load_dev(a.data)
    if dev_data:
        with torch.no_grad(), autocast:
            tb = token_bytes(a.tokenizer)
            rec["dev_bpb_512"] = {k: round(v, 4) for k, v in dev_bpb(model, dev_data, tb, 512, device=dev).items()}
            rec["dev_bpb_1024"] = {k: round(v, 4) for k, v in dev_bpb(model, dev_data, tb, 1024, 12, device=dev).items()}
    emit(rec)


if __name__ == "__main__":
    main()
