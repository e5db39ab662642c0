"""Train (or resume) the float model.  CPU only, resumable, logs JSON lines.

Learning rate: linear warmup, then constant; `--decay-steps N` makes the last
N steps before `--steps` a linear decay to 10% (warmup-stable-decay), so a run
can be extended across sessions and cooled down only when it is exported.

  /usr/bin/python3 training/train.py --data /work/data --state /work/llmz-state/base \
      --tokenizer public/models/llmz-base/tokenizer.json --steps 20000
"""
import argparse
import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import cpu_precision
import model as model_mod
from common import load_dev, token_bytes
from model import LM, Config, FakeQuant, param_count

BOS = 0


def batch(data, rng, bsz, T, regions=(), line_starts=None, line_frac=0.0):
    """Random windows of T tokens after a BOS.

    regions: (tokens, frac) pairs: a `frac` share of the windows come from the last `tokens`
    tokens (the shares are disjoint; the rest from anywhere). The data ends with the first
    corpus, llmz-base's English (35.2 M tokens), and that ends with its only Wikipedia slice
    (2.3% of it), which the uniform mix starves. With one region this draws exactly what the
    old --tail-tokens/--tail-frac sampler did, so a run resumed across this change is the same.

    line_starts, line_frac: a `line_frac` share of the windows are moved forward to the next
    line start (sorted positions just after a token that ends in a newline). A short message
    is coded from BOS at its first line, and the tokenizer splits a text's start as it splits
    a line's start, so these windows are what a message looks like to the model; windows at
    random positions start mid-word instead."""
    starts = rng.integers(0, len(data) - T, size=bsz)
    if regions:
        u, lo = rng.random(bsz), 0.0
        for tokens, frac in regions:
            pick = (u >= lo) & (u < lo + frac)
            lo += frac
            starts[pick] = rng.integers(len(data) - tokens, len(data) - T, size=int(pick.sum()))
    if line_frac:
        pick = np.flatnonzero(rng.random(bsz) < line_frac)
        nxt = np.searchsorted(line_starts, starts[pick])
        ok = nxt < len(line_starts)
        moved = line_starts[np.minimum(nxt, len(line_starts) - 1)].astype(np.int64)
        ok &= moved <= len(data) - T
        starts[pick[ok]] = moved[ok]
    y = np.stack([data[s:s + T] for s in starts]).astype(np.int64)
    x = np.concatenate([np.full((bsz, 1), BOS, dtype=np.int64), y[:, :-1]], axis=1)
    return torch.from_numpy(x), torch.from_numpy(y)


def line_start_positions(data, tbytes):
    """Sorted positions just after every token whose bytes end in a newline (uint32)."""
    ends_line = np.array([b.endswith(b"\n") for b in tbytes], dtype=bool)
    out, step = [], 1 << 24
    for i in range(0, len(data), step):  # in slices: a bool per token of an 80 M-token memmap at once is 80 MB
        out.append((np.flatnonzero(ends_line[data[i:i + step]]) + i + 1).astype(np.uint32))
    return np.concatenate(out)


def parse_regions(tail_tokens, tail_frac, oversample):
    """--tail-tokens/--tail-frac first (its draws unchanged), then each --oversample TOKENS:FRAC."""
    regions = [(tail_tokens, tail_frac)] if tail_tokens and tail_frac else []
    for spec in oversample:
        tokens, frac = spec.split(":")
        regions.append((int(tokens), float(frac)))
    if sum(f for _, f in regions) > 1:
        raise SystemExit("the oversampled shares add up to more than 1")
    return regions


def _selftest():
    """python3 train.py --selftest: the sampler's promises, on toy corpora (no torch work)."""
    n, T = 60000, 8
    ramp = np.arange(n, dtype=np.uint16)  # a window's first target is its start
    _, y = batch(ramp, np.random.default_rng(0), 20000, T, regions=[(100, 0.3), (400, 0.2)])
    s = y[:, 0].numpy()
    assert 0.48 < (s >= n - 400).mean() < 0.52 and 0.29 < (s >= n - 100).mean() < 0.36, "region shares"
    old, new = np.random.default_rng(5), np.random.default_rng(5)  # one region: the old tail sampler's draws
    s_old = old.integers(0, n - T, size=64)
    tail = old.random(64) < 0.3
    s_old[tail] = old.integers(n - 100, n - T, size=int(tail.sum()))
    x, y = batch(ramp, new, 64, T, regions=[(100, 0.3)])
    assert (y[:, 0].numpy() == s_old).all() and (x[:, 0] == BOS).all(), "old draws"
    lines = np.arange(n, dtype=np.uint16) % 7  # token 6 ends a line
    ls = line_start_positions(lines, [b"a"] * 6 + [b"\n"])
    assert ls[0] == 7 and (np.diff(ls) == 7).all(), "line starts"
    _, y = batch(lines, np.random.default_rng(1), 256, T, line_starts=ls, line_frac=1.0)
    assert (y[:, 0] == 0).all(), "every window at a line start"
    _, y = batch(lines, np.random.default_rng(1), 256, T)
    assert (y[:, 0] != 0).any()
    print("ok")


@torch.no_grad()
def dev_bpb(model, dev, tbytes, T, chunks_per_file=24, device="cpu"):
    """bits per byte on the first chunks of each dev file, chunked as the compressor does."""
    model.eval()
    res = {}
    for name, ids in dev.items():
        n = min(chunks_per_file, len(ids) // T)
        y = torch.from_numpy(ids[: n * T].astype(np.int64)).view(n, T).to(device)
        x = torch.cat([torch.full((n, 1), BOS, dtype=torch.long, device=device), y[:, :-1]], dim=1)
        bits = 0.0
        for i in range(0, n, 8):
            logits = model(x[i:i + 8]).float()
            bits += F.cross_entropy(logits.view(-1, logits.shape[-1]), y[i:i + 8].reshape(-1), reduction="sum").item() / math.log(2)
        nbytes = sum(len(tbytes[t]) for t in ids[: n * T])
        res[name] = bits / nbytes
    model.train()
    return res


def lr_at(step, a, warm_from=0):
    """`warm_from`: the step a run resumed at without optimizer state (a snapshot,
    a pooled or pruned start): a fresh AdamW's first updates are as large as the
    learning rate allows, so it warms up again from there."""
    if step - warm_from < a.warmup:
        return a.lr * (step - warm_from + 1) / a.warmup
    decay_start = a.steps - a.decay_steps
    if a.decay_steps and step >= decay_start:
        return a.lr * (1 - 0.9 * (step - decay_start) / a.decay_steps)
    return a.lr


def adamw(model, lr, wd, **kw):
    """AdamW with weight decay on the matrices only (not on norm gains), as every run here has used."""
    decay, no_decay = [], []
    for _, p in model.named_parameters():
        (decay if p.dim() >= 2 else no_decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95), eps=1e-8, **kw)


def train_step(model, opt, x, y, precision):
    """One optimizer step on a batch under `precision` (an autocast context or a null one); the loss, detached, still on its device."""
    with precision:
        loss = model.loss(x, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.detach()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--decay-steps", type=int, default=0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                    help="auto: bf16 only where this CPU multiplies bf16 faster than fp32 (cpu_precision.py)")
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--eval-seq", type=int, default=0,
                    help="dev_bpb's chunk length (default --seq): keep 512 to compare with earlier evaluations of a run")
    ap.add_argument("--ckpt-minutes", type=float, default=10)
    ap.add_argument("--tail-tokens", type=int, default=0, help="oversampled region at the end of the data")
    ap.add_argument("--tail-frac", type=float, default=0.0, help="share of windows drawn from that region")
    ap.add_argument("--oversample", action="append", default=[], metavar="TOKENS:FRAC",
                    help="a FRAC share of windows from the last TOKENS tokens, besides the tail's (repeatable)")
    ap.add_argument("--line-start-frac", type=float, default=0.0,
                    help="share of windows moved to the next line start, as a short text starts")
    ap.add_argument("--config", default="{}", help="JSON overrides of model.Config")
    ap.add_argument("--qat", type=int, default=0, choices=[0, 8, 4],
                    help="quantization-aware training with int8 (8) or int4 (4) weights; activation scales are "
                         "calibrated once and kept in the checkpoint, so export.py uses the ones trained for")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    dtype, speeds = cpu_precision.choose(None if a.precision == "auto" else a.precision)
    model_mod.HEAD_DTYPE = dtype
    print(f"precision {dtype} {speeds or ''}", flush=True)
    os.makedirs(a.state, exist_ok=True)
    ckpt_path = os.path.join(a.state, "ckpt.pt")
    log = open(os.path.join(a.state, "train.log"), "a")

    data = np.memmap(os.path.join(a.data, "train.u16"), dtype=np.uint16, mode="r")
    dev = load_dev(a.data)
    tbytes = token_bytes(a.tokenizer)
    regions = parse_regions(a.tail_tokens, a.tail_frac, a.oversample)
    line_starts = line_start_positions(data, tbytes) if a.line_start_frac else None

    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        cfg = Config(**ck["config"])
    else:
        ck = None
        cfg = Config(**json.loads(a.config))
    torch.manual_seed(0)
    model = LM(cfg)
    opt = adamw(model, a.lr, a.wd)
    step, tokens, warm_from = 0, 0, 0
    rng = np.random.default_rng(1234)
    if ck:
        model.load_state_dict(ck["model"])
        step, tokens = ck["step"], ck["tokens"]
        if ck.get("opt"):
            opt.load_state_dict(ck["opt"])
        else:  # prune.py, mqa.py, snapshot.py: fresh optimizer state, so warm up again
            warm_from = step
        rng.bit_generator.state = ck["rng"]
        print(f"resumed at step {step}" + (" without optimizer state: warming up again" if warm_from else ""), flush=True)
    print(f"params {param_count(model)} config {cfg.to_dict()}", flush=True)
    qat = ck.get("qat") if ck else None
    if a.qat and (not qat or qat["bits"] != a.qat):  # starting QAT, or moving it to other weight bits: calibrate afresh
        from export import calibrate  # the same activation statistics export.py would take
        crng = np.random.default_rng(99)
        starts = crng.integers(0, len(data) - a.seq, size=16)
        seqs = torch.from_numpy(np.stack([np.concatenate([[BOS], data[s:s + a.seq - 1]]) for s in starts]).astype(np.int64))
        qat = {"bits": a.qat, "scales": calibrate(model, seqs)}
        model.train()
        print(f"QAT int{a.qat}: calibrated {len(qat['scales'])} activation scales", flush=True)
    if qat:
        model.fq = FakeQuant(qat["scales"], qat["bits"])

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "tokens": tokens,
                    "rng": rng.bit_generator.state, "config": cfg.to_dict(), "qat": qat}, tmp)
        os.replace(tmp, ckpt_path)

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("now", True))
    signal.signal(signal.SIGINT, lambda *_: stop.__setitem__("now", True))

    last_ckpt = time.time()
    t0, tok0, losses = time.time(), tokens, []
    while step < a.steps and not stop["now"]:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a, warm_from)
        x, y = batch(data, rng, a.batch, a.seq, regions, line_starts, a.line_start_frac)
        loss = train_step(model, opt, x, y, cpu_precision.autocast(dtype))
        step += 1
        tokens += x.numel()
        losses.append(loss.item())
        # a line every 50 steps, at every evaluation (--eval-every need not be a multiple of 50) and at the end
        evaluate = step % a.eval_every == 0 or step == a.steps
        if step % 50 == 0 or evaluate:
            dt = time.time() - t0
            rec = {"step": step, "tokens": tokens, "loss": sum(losses) / len(losses), "lr": lr_at(step, a, warm_from),
                   "tok_s": (tokens - tok0) / dt, "time": time.time()}
            losses = []
            t0, tok0 = time.time(), tokens
            if evaluate:
                rec["dev_bpb"] = dev_bpb(model, dev, tbytes, a.eval_seq or a.seq)
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
        if time.time() - last_ckpt > a.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
    save()
    print(f"saved at step {step}", flush=True)


if __name__ == "__main__":
    _selftest() if sys.argv[1:] == ["--selftest"] else main()
