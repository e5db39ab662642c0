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
import time

import numpy as np
import torch
import torch.nn.functional as F

import cpu_precision
import model as model_mod
from common import load_dev, token_bytes
from model import LM, Config, FakeQuant, param_count

BOS = 0


def batch(data, rng, bsz, T, tail_tokens=0, tail_frac=0.0):
    """Random windows; a `tail_frac` share of them from the last `tail_tokens`
    tokens (the corpus ends with its only Wikipedia slice, 2.3% of the tokens,
    which the uniform mix starves)."""
    starts = rng.integers(0, len(data) - T, size=bsz)
    if tail_tokens and tail_frac:
        tail = rng.random(bsz) < tail_frac
        starts[tail] = rng.integers(len(data) - tail_tokens, len(data) - T, size=int(tail.sum()))
    y = np.stack([data[s:s + T] for s in starts]).astype(np.int64)
    x = np.concatenate([np.full((bsz, 1), BOS, dtype=np.int64), y[:, :-1]], axis=1)
    return torch.from_numpy(x), torch.from_numpy(y)


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
        x, y = batch(data, rng, a.batch, a.seq, a.tail_tokens, a.tail_frac)
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
    main()
