"""Domain soft prompts: a few vectors per kind of text, learned with the model frozen.

Each prompt is P vectors placed in the residual stream ahead of BOS
(docs/numerics.md, "Soft prompts"); the encoder tries them on every chunk
and records which one it used. Training windows come from
../shared/corpus/train/ only, labelled by simple content tests (the training
text carries no source labels; the Wikipedia slice is its tail).

  /usr/bin/python3 training/train_prompts.py --ckpt CKPT --data /work/data \
      --tokenizer public/models/llmz-base/tokenizer.json --out /work/llmz-state/prompts.npz

Writes npz: names, prompts [K, P, dim] int32 (residual values: real * 2^16),
and prints dev bits per byte without / with each prompt / best per chunk.
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

import cpu_precision
from common import load_dev, token_bytes
from model import load_checkpoint

BOS = 0
DOMAINS = ["prose", "wiki", "code", "markup"]


def label(text: str) -> str:
    """Which kind of text a window is (wiki windows are taken from the tail instead)."""
    n = max(1, len(text))
    tags = text.count("<") + text.count("&lt;") + text.count("&gt;")
    code = sum(text.count(s) for s in (";\n", "{\n", "}\n", "def ", "return ", "import ", "#include", "self.", "()", " = "))
    if tags / n > 0.015:
        return "markup"
    if code / n > 0.012:
        return "code"
    return "prose"


def windows_by_domain(data, tbytes, T, per_domain, rng, tail_tokens):
    """Random training windows per domain."""
    out = {d: [] for d in DOMAINS}
    body = len(data) - tail_tokens
    while any(len(out[d]) < per_domain for d in ("prose", "code", "markup")):
        s = int(rng.integers(0, body - T))
        w = np.asarray(data[s:s + T], dtype=np.int64)
        d = label(b"".join(tbytes[t] for t in w).decode("utf-8", "replace"))
        if len(out[d]) < per_domain:
            out[d].append(w)
    for _ in range(per_domain):
        s = int(rng.integers(body, len(data) - T))
        out["wiki"].append(np.asarray(data[s:s + T], dtype=np.int64))
    return {d: np.stack(v) for d, v in out.items()}


class Prompted(torch.nn.Module):
    """The frozen model with P trainable vectors ahead of BOS."""

    def __init__(self, model, P, init):
        super().__init__()
        self.model = model
        self.prompt = torch.nn.Parameter(init.clone())

    def features(self, x):
        m = self.model
        B, T = x.shape
        P = self.prompt.shape[0]
        cos, sin = m.cos[:P + T], m.sin[:P + T]
        h = torch.cat([self.prompt[None].expand(B, -1, -1).to(m.embed.weight.dtype), F.embedding(x, m.head_weight())], dim=1)
        for l, b in enumerate(m.blocks):
            h = b(h, cos, sin, m.fq, f"layers.{l}")
        from model import fq_act
        return fq_act(m.fq, "final_norm", m.norm(h))[:, P:]


@torch.no_grad()
def chunk_bits(model, prompt, ids, T):
    """bits of each T-token chunk of `ids` (coded as the compressor does: BOS, then the chunk)."""
    n = len(ids) // T
    y = torch.from_numpy(ids[: n * T].astype(np.int64)).view(n, T)
    x = torch.cat([torch.full((n, 1), BOS, dtype=torch.long), y[:, :-1]], dim=1)
    out = []
    for i in range(0, n, 8):
        if prompt is None:
            lg = model(x[i:i + 8])
        else:
            pm = Prompted(model, prompt.shape[0], prompt)
            lg = F.linear(pm.features(x[i:i + 8]), model.head_weight())
        ce = F.cross_entropy(lg.float().reshape(-1, lg.shape[-1]), y[i:i + 8].reshape(-1), reduction="none").view(-1, T)
        out.append(ce.sum(1) / math.log(2))
    return torch.cat(out).numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vectors", type=int, default=8)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tail-tokens", type=int, default=850000)
    ap.add_argument("--eval-chunks", type=int, default=24)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dtype, _ = cpu_precision.choose()
    # a QAT checkpoint: train the prompts against the numbers the engine computes
    model, ck = load_checkpoint(a.ckpt, qat_simulation=True)
    for p in model.parameters():
        p.requires_grad_(False)
    data = np.memmap(f"{a.data}/train.u16", dtype=np.uint16, mode="r")
    tbytes = token_bytes(a.tokenizer)
    rng = np.random.default_rng(7)
    wins = windows_by_domain(data, tbytes, a.seq, a.steps * a.batch // 2, rng, a.tail_tokens)
    d = model.cfg.dim
    prompts = {}
    for dom in DOMAINS:
        # start from the embeddings of the domain's most common tokens: plausible residual values
        w = torch.from_numpy(wins[dom])
        common = torch.bincount(w.flatten(), minlength=model.cfg.vocab).topk(a.vectors).indices
        pm = Prompted(model, a.vectors, model.embed.weight[common].detach().float())
        opt = torch.optim.Adam([pm.prompt], lr=a.lr)
        t0 = time.time()
        for step in range(a.steps):
            idx = torch.from_numpy(rng.integers(0, len(w), size=a.batch))
            y = w[idx]
            x = torch.cat([torch.full((a.batch, 1), BOS, dtype=torch.long), y[:, :-1]], dim=1)
            with cpu_precision.autocast(dtype):
                h = pm.features(x)
                loss = model_loss(model, h, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 25 == 0:
                print(json.dumps({"domain": dom, "step": step, "loss": loss.item(), "s": round(time.time() - t0)}), flush=True)
        prompts[dom] = pm.prompt.detach().float()

    # dev: bits per byte, no prompt / each prompt / the best per chunk (what the encoder picks)
    dev = load_dev(a.data)
    report = {}
    for name, ids in dev.items():
        ids = ids[: a.eval_chunks * a.seq]
        nbytes = sum(len(tbytes[t]) for t in ids)
        base = chunk_bits(model, None, ids, a.seq)
        per = {dom: chunk_bits(model, prompts[dom], ids, a.seq) for dom in DOMAINS}
        best = np.minimum(base, np.min(np.stack(list(per.values())), axis=0))
        report[name] = {"none": base.sum() / nbytes, **{k: v.sum() / nbytes for k, v in per.items()}, "best": best.sum() / nbytes}
        print(name, {k: round(float(v), 4) for k, v in report[name].items()}, flush=True)
    q = np.stack([np.round(prompts[dom].numpy() * 65536).clip(-(2 ** 30), 2 ** 30 - 1).astype(np.int32) for dom in DOMAINS])
    np.savez(a.out, names=np.array(DOMAINS), prompts=q, report=json.dumps({k: {kk: float(vv) for kk, vv in v.items()} for k, v in report.items()}))
    print("wrote", a.out, q.shape)


def model_loss(model, h, y):
    logits = F.linear(h, model.head_weight())
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))


if __name__ == "__main__":
    main()
