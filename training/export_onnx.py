"""Float ONNX exports in the transformers.js layout, for the hub-model engine.

A folder with config.json, tokenizer.json, tokenizer_config.json and
onnx/model.onnx taking input_ids, attention_mask, position_ids and
past_key_values.{i}.key/value, returning logits and present.{i}.key/value
(the layout Optimum writes and transformers.js runs).

Two models:
  # the default model's float weights, as a Llama (what transformers.js runs it as)
  /usr/bin/python3 training/export_onnx.py llmz --ckpt /work/llmz-state/base/ckpt.pt \
      --tokenizer public/models/llmz-base/tokenizer.json --out /work/onnx/llmz-base
  # a tiny GPT-2 for the tests (tests/fixtures/tiny-gpt2), trained for a minute
  /usr/bin/python3 training/export_onnx.py tiny-gpt2 --data /work/data \
      --tokenizer public/models/llmz-base/tokenizer.json --out tests/fixtures/tiny-gpt2
"""
import argparse
import json
import math
import os
import shutil
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from model import LM, Config

BOS = 0


def attention(q, k, v, attention_mask):
    """q: [B, H, T, hd] for the new positions; k, v: [B, H, S, hd], the whole cache including them."""
    T, S = q.shape[2], k.shape[2]
    # new position i (absolute S - T + i) sees cache positions j <= S - T + i that the mask keeps
    i = torch.arange(T).view(T, 1) + (S - T)
    j = torch.arange(S).view(1, S)
    allowed = (j <= i).view(1, 1, T, S) & (attention_mask.view(-1, 1, 1, S) > 0)
    att = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    att = att.masked_fill(~allowed, -1e9)
    return torch.softmax(att, dim=-1) @ v


class LlamaStep(nn.Module):
    """The llmz model (training/model.py) with a KV cache and explicit positions."""

    def __init__(self, lm: LM):
        super().__init__()
        self.lm = lm

    def forward(self, input_ids, attention_mask, position_ids, *past):
        lm, c = self.lm, self.lm.cfg
        B, T = input_ids.shape
        hd = c.head_dim
        cos, sin = lm.cos[position_ids].unsqueeze(1), lm.sin[position_ids].unsqueeze(1)  # [B, 1, T, hd/2]
        x = lm.embed(input_ids)
        presents = []
        for n, b in enumerate(lm.blocks):
            a = b.attn
            h = b.attn_norm(x)
            q = a.q(h).view(B, T, c.heads, hd).transpose(1, 2)
            k = a.k(h).view(B, T, c.kv_heads, hd).transpose(1, 2)
            v = a.v(h).view(B, T, c.kv_heads, hd).transpose(1, 2)
            q, k = rope(q, cos, sin), rope(k, cos, sin)
            k, v = torch.cat([past[2 * n], k], dim=2), torch.cat([past[2 * n + 1], v], dim=2)
            presents += [k, v]
            rep = c.heads // c.kv_heads
            if rep > 1:  # grouped KV heads; expand + reshape keeps the batch and length axes dynamic
                k = k.unsqueeze(2).expand(-1, -1, rep, -1, -1).flatten(1, 2)
                v = v.unsqueeze(2).expand(-1, -1, rep, -1, -1).flatten(1, 2)
            y = attention(q, k, v, attention_mask)
            x = x + a.o(y.transpose(1, 2).reshape(B, T, c.dim))
            x = x + b.mlp(b.mlp_norm(x))
        return (F.linear(lm.norm(x), lm.embed.weight), *presents)


def rope(x, cos, sin):
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class TinyGpt2(nn.Module):
    """GPT-2 (learned positions, LayerNorm, GELU MLP, biases, tied head), small."""

    def __init__(self, vocab, dim=32, layers=2, heads=2, positions=1024):
        super().__init__()
        self.vocab, self.dim, self.layers, self.heads, self.positions = vocab, dim, layers, heads, positions
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(positions, dim)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict({
                "ln1": nn.LayerNorm(dim), "qkv": nn.Linear(dim, 3 * dim), "proj": nn.Linear(dim, dim),
                "ln2": nn.LayerNorm(dim), "fc": nn.Linear(dim, 4 * dim), "out": nn.Linear(4 * dim, dim)}))
        self.ln_f = nn.LayerNorm(dim)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        B, T = input_ids.shape
        H, hd = self.heads, self.dim // self.heads
        x = self.wte(input_ids) + self.wpe(position_ids)
        presents = []
        for n, blk in enumerate(self.blocks):
            q, k, v = blk["qkv"](blk["ln1"](x)).split(self.dim, dim=-1)
            q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
            k, v = torch.cat([past[2 * n], k], dim=2), torch.cat([past[2 * n + 1], v], dim=2)
            presents += [k, v]
            y = attention(q, k, v, attention_mask)
            x = x + blk["proj"](y.transpose(1, 2).reshape(B, T, self.dim))
            x = x + blk["out"](F.gelu(blk["fc"](blk["ln2"](x))))
        return (F.linear(self.ln_f(x), self.wte.weight), *presents)

    def logits(self, ids):
        B, T = ids.shape
        empty = [torch.zeros(B, self.heads, 0, self.dim // self.heads)] * (2 * self.layers)
        return self(ids, torch.ones(B, T, dtype=torch.long), torch.arange(T).expand(B, T), *empty)[0]


def train_tiny(model, data_dir, seconds, seq=128, bsz=16):
    data = np.memmap(os.path.join(data_dir, "train.u16"), dtype=np.uint16, mode="r")
    rng = np.random.default_rng(7)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    t0, step = time.time(), 0
    while time.time() - t0 < seconds:
        starts = rng.integers(0, len(data) - seq, size=bsz)
        y = torch.from_numpy(np.stack([data[s:s + seq] for s in starts]).astype(np.int64))
        x = torch.cat([torch.full((bsz, 1), BOS), y[:, :-1]], dim=1)
        loss = F.cross_entropy(model.logits(x).view(-1, model.vocab), y.view(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
    print(f"tiny-gpt2: {step} steps, last loss {loss.item():.3f} nats/token", flush=True)


def export(module, layers, kv_heads, head_dim, out, opset=14):
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    B, P, T = 2, 3, 4
    past = []
    names_in, names_out = ["input_ids", "attention_mask", "position_ids"], ["logits"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for i in range(layers):
        for kv in ("key", "value"):
            past.append(torch.randn(B, kv_heads, P, head_dim))
            names_in.append(f"past_key_values.{i}.{kv}")
            names_out.append(f"present.{i}.{kv}")
            axes[names_in[-1]] = {0: "batch_size", 2: "past_sequence_length"}
            axes[names_out[-1]] = {0: "batch_size", 2: "total_sequence_length"}
    args = (torch.randint(1, 100, (B, T)), torch.ones(B, P + T, dtype=torch.long), torch.arange(P, P + T).expand(B, T), *past)
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, os.path.join(out, "onnx", "model.onnx"), input_names=names_in, output_names=names_out,
                          dynamic_axes=axes, opset_version=opset, do_constant_folding=False)


def write_tokenizer(tokenizer, out, bos_text="<|bos|>"):
    shutil.copyfile(tokenizer, os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": bos_text, "eos_token": bos_text,
                   "unk_token": None, "add_bos_token": False, "model_max_length": 2048}, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["llmz", "tiny-gpt2"])
    ap.add_argument("--ckpt")
    ap.add_argument("--data", default="/work/data")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train-seconds", type=float, default=60)
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    if a.kind == "llmz":
        ck = torch.load(a.ckpt, map_location="cpu")
        cfg = Config(**ck["config"])
        lm = LM(cfg)
        lm.load_state_dict(ck["model"])
        export(LlamaStep(lm), cfg.layers, cfg.kv_heads, cfg.head_dim, a.out)
        config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": cfg.vocab,
                  "hidden_size": cfg.dim, "num_hidden_layers": cfg.layers, "num_attention_heads": cfg.heads,
                  "num_key_value_heads": cfg.kv_heads, "head_dim": cfg.head_dim, "intermediate_size": cfg.ffn,
                  "max_position_embeddings": cfg.max_pos, "rope_theta": cfg.rope_theta, "rms_norm_eps": cfg.norm_eps,
                  "tie_word_embeddings": True, "bos_token_id": BOS, "eos_token_id": BOS,
                  "llmz": {"source": os.path.basename(a.ckpt), "tokens": ck["tokens"]}}
    else:
        vocab = len(json.load(open(a.tokenizer))["model"]["vocab"])
        m = TinyGpt2(vocab)
        train_tiny(m, a.data, a.train_seconds)
        export(m, m.layers, m.heads, m.dim // m.heads, a.out)
        config = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": vocab, "n_embd": m.dim,
                  "n_layer": m.layers, "n_head": m.heads, "n_positions": m.positions, "n_ctx": m.positions,
                  "bos_token_id": BOS, "eos_token_id": BOS}
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_tokenizer(a.tokenizer, a.out)
    print("wrote", a.out, os.path.getsize(os.path.join(a.out, "onnx", "model.onnx")), "bytes")


if __name__ == "__main__":
    main()
