"""The llmz model family in float PyTorch: a Llama-style decoder.

Exactly the architecture the integer engine runs (docs/numerics.md): token
embedding tied to the output head, N blocks of RMSNorm -> causal multi-head
attention with rotary positions (rotate-half pairing, optional grouped KV
heads) -> residual, RMSNorm -> SwiGLU MLP -> residual, final RMSNorm, head.
No biases.  Sequences start with <|bos|> (id 0) at position 0.
"""
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab: int = 8192
    dim: int = 256
    layers: int = 6
    heads: int = 4
    kv_heads: int = 4
    ffn: int = 640
    max_pos: int = 2048
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.dim // self.heads

    def to_dict(self):
        return asdict(self)


class FakeQuant:
    """Quantization-aware training: the integer engine's rounding, simulated.

    Weights: per-row symmetric int8 (or int4), as export.quant_rows.
    Activations: int8 with the per-tensor scales export.py uses, fixed from a
    calibration pass (`scales`, keyed like export.calibrate's stats) at every
    point docs/numerics.md quantizes: norm outputs, q and k after rotary, v,
    the attention output, the SwiGLU product; the Q8 gate/up clamp.
    Straight-through gradients, zero outside the clamp range.
    """

    def __init__(self, scales, weight_bits=8):
        self.scales = dict(scales)
        self.qmax_w = 127.0 if weight_bits == 8 else 7.0
        self.weight_bits = weight_bits

    def weight(self, w):
        s = (w.detach().abs().amax(dim=1, keepdim=True).clamp_min(1e-12) / self.qmax_w)
        return w + ((w / s).round().clamp(-self.qmax_w, self.qmax_w) * s - w).detach()

    def act(self, name, x):
        s = self.scales[name] / 127.0
        y = x.clamp(-127.0 * s, 127.0 * s)
        return y + ((y / s).round() * s - y).detach()

    @staticmethod
    def q8(x):
        """gate/up are written in Q8, clamped to int16 range."""
        y = x.clamp(-32767 / 256, 32767 / 256)
        return y + ((y * 256).round() / 256 - y).detach()


def fq_act(fq, name, x):
    return x if fq is None else fq.act(name, x)


def fq_linear(fq, lin, x):
    return lin(x) if fq is None else F.linear(x, fq.weight(lin.weight))


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight).type_as(x)


def rope_tables(cfg: Config):
    hd = cfg.head_dim
    inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, hd // 2, dtype=torch.float64) * 2 / hd))
    ang = torch.arange(cfg.max_pos, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang), torch.sin(ang)  # [max_pos, hd/2], float64


def apply_rope(x, cos, sin):
    # x: [B, H, T, hd]; pairs (i, i + hd/2) rotate together (Llama's rotate_half).
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def causal_attention(q, k, v, block=256):
    """softmax(q k^T / sqrt(hd), causal) v, a block of queries at a time: each
    block sees only the keys up to its own last position, so the scores above
    the diagonal blocks are never made. On the CPU the [T, T] scores' masking,
    softmax and their gradients were half a training step at T = 1,024; in
    blocks of 256 they are 62.5% as many. The same attention (the masked
    scores weigh exactly zero either way)."""
    T, hd = q.shape[-2], q.shape[-1]
    out = []
    for s in range(0, T, block):
        e = min(s + block, T)
        att = (q[..., s:e, :] @ k[..., :e, :].transpose(-1, -2)) / math.sqrt(hd)
        mask = torch.ones(e - s, e, dtype=torch.bool, device=q.device).triu(s + 1)
        att = att.masked_fill(mask, float("-inf"))
        att = torch.softmax(att.float(), dim=-1).type_as(v)
        out.append(att @ v[..., :e, :])
    return out[0] if len(out) == 1 else torch.cat(out, dim=-2)


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.q = nn.Linear(cfg.dim, cfg.heads * hd, bias=False)
        self.k = nn.Linear(cfg.dim, cfg.kv_heads * hd, bias=False)
        self.v = nn.Linear(cfg.dim, cfg.kv_heads * hd, bias=False)
        self.o = nn.Linear(cfg.heads * hd, cfg.dim, bias=False)

    def forward(self, x, cos, sin, fq=None, p=""):
        B, T, _ = x.shape
        c = self.cfg
        hd = c.head_dim
        q = fq_linear(fq, self.q, x).view(B, T, c.heads, hd).transpose(1, 2)
        k = fq_linear(fq, self.k, x).view(B, T, c.kv_heads, hd).transpose(1, 2)
        v = fq_act(fq, p + ".v", fq_linear(fq, self.v, x).view(B, T, c.kv_heads, hd).transpose(1, 2))
        q = fq_act(fq, p + ".q", apply_rope(q, cos, sin))
        k = fq_act(fq, p + ".k", apply_rope(k, cos, sin))
        if c.kv_heads != c.heads:
            rep = c.heads // c.kv_heads
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        if x.is_cuda and fq is None:
            # a GPU run (train_gpu.py): the fused kernel, same softmax attention without the [T, T] scores in memory.
            # RoPE's float32 tables lift q and k out of autocast's bf16; the flash kernel wants one dtype throughout.
            y = F.scaled_dot_product_attention(q.to(v.dtype), k.to(v.dtype), v, is_causal=True)
        else:
            y = causal_attention(q, k, v)
        y = y.transpose(1, 2).reshape(B, T, c.heads * hd)
        return fq_linear(fq, self.o, fq_act(fq, p + ".ao", y))


class MLP(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.gate = nn.Linear(cfg.dim, cfg.ffn, bias=False)
        self.up = nn.Linear(cfg.dim, cfg.ffn, bias=False)
        self.down = nn.Linear(cfg.ffn, cfg.dim, bias=False)

    def forward(self, x, fq=None, p=""):
        if fq is None:
            return self.down(F.silu(self.gate(x)) * self.up(x))
        g, u = fq.q8(fq_linear(fq, self.gate, x)), fq.q8(fq_linear(fq, self.up, x))
        a = fq.act(p + ".a", torch.where(g < -8, torch.zeros_like(g), F.silu(g)) * u)  # the table: 0 below -8
        return fq_linear(fq, self.down, a)


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.mlp_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, fq=None, p=""):
        x = x + self.attn(fq_act(fq, p + ".attn_norm", self.attn_norm(x)), cos, sin, fq, p)
        return x + self.mlp(fq_act(fq, p + ".mlp_norm", self.mlp_norm(x)), fq, p)


class LM(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.dim)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.layers)])
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        cos, sin = rope_tables(cfg)
        self.register_buffer("cos", cos.float(), persistent=False)
        self.register_buffer("sin", sin.float(), persistent=False)
        self.fq = None  # a FakeQuant during quantization-aware training
        self.apply(self._init)
        for b in self.blocks:  # scaled init of the residual writers (GPT-2)
            nn.init.normal_(b.attn.o.weight, std=0.02 / math.sqrt(2 * cfg.layers))
            nn.init.normal_(b.mlp.down.weight, std=0.02 / math.sqrt(2 * cfg.layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def head_weight(self):
        """The tied embedding/head matrix, as the engine sees it under QAT."""
        return self.embed.weight if self.fq is None else self.fq.weight(self.embed.weight)

    def features(self, ids):
        """Final-normed hidden states [B, T, dim]: what the tied head reads."""
        T = ids.shape[1]
        cos, sin = self.cos[:T], self.sin[:T]
        x = F.embedding(ids, self.head_weight())
        for l, b in enumerate(self.blocks):
            x = b(x, cos, sin, self.fq, f"layers.{l}")
        return fq_act(self.fq, "final_norm", self.norm(x))

    def forward(self, ids):
        return F.linear(self.features(ids), self.head_weight())  # logits in nats

    def loss(self, ids, targets, chunk=1024):
        """Mean cross-entropy (nats) through the fused head: same value as
        cross_entropy(forward(ids)) without materialising [B*T, vocab]."""
        h = self.features(ids)
        if h.is_cuda:  # a GPU has the memory for the whole logits tensor, and the fused CPU head is CPU-only
            return F.cross_entropy(F.linear(h, self.head_weight()).float().view(-1, self.cfg.vocab), targets.reshape(-1))
        return HeadCrossEntropy.apply(h.reshape(-1, h.shape[-1]), self.head_weight(), targets.reshape(-1), chunk)


# The fused head's matmul precision.  bf16 is fast only where the CPU has
# bf16 dot instructions (AVX-512 BF16, AMX); elsewhere (AVX2 machines such as
# Zen 3) torch falls back to a scalar bf16 path many times slower than sgemm.
# train.py sets it from training/cpu_precision.py's choice.
HEAD_DTYPE = torch.bfloat16


class HeadCrossEntropy(torch.autograd.Function):
    """Tied head + cross-entropy, row chunk by row chunk, in bf16 matmuls
    with float softmax.  The gradients are computed in the forward pass (one
    pass over each chunk's logits instead of three) and kept for backward:
    on 2 CPU cores the full-width log-softmax and the zero-filled gradient
    of [B*T, 8192] cost a third of every training step."""

    @staticmethod
    def forward(ctx, h, W, y, chunk):
        with torch.autocast("cpu", enabled=False):
            hb, Wb = h.detach().to(HEAD_DTYPE), W.detach().to(HEAD_DTYPE)
            N = hb.shape[0]
            gh = torch.empty(N, W.shape[1], dtype=torch.float32)
            gW = torch.zeros(W.shape, dtype=torch.float32)
            total = torch.zeros((), dtype=torch.float64)
            for s in range(0, N, chunk):
                e = min(N, s + chunk)
                lg = (hb[s:e] @ Wb.t()).float()
                lse = torch.logsumexp(lg, dim=1)
                yc = y[s:e]
                total += (lse - lg.gather(1, yc[:, None]).squeeze(1)).double().sum()
                p = lg.sub_(lse[:, None]).exp_()
                p[torch.arange(e - s), yc] -= 1.0
                pb = p.to(HEAD_DTYPE)
                gh[s:e] = (pb @ Wb).float()
                gW += (pb.t() @ hb[s:e]).float()
        ctx.save_for_backward(gh, gW)
        ctx.n, ctx.h_dtype = N, h.dtype
        return (total / N).float()

    @staticmethod
    def backward(ctx, g):
        gh, gW = ctx.saved_tensors
        k = g / ctx.n
        return (gh * k).to(ctx.h_dtype), gW * k, None, None


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def load_checkpoint(path, qat_simulation=False):
    """A saved run's model, in eval mode, and the checkpoint (config, step, QAT scales).

    qat_simulation: a QAT checkpoint then computes as the integer engine it trained against
    (its FakeQuant), which is what evaluating or steering a QAT model must see."""
    ck = torch.load(path, map_location="cpu")
    model = LM(Config(**ck["config"]))
    model.load_state_dict(ck["model"])
    if qat_simulation and ck.get("qat"):
        model.fq = FakeQuant(ck["qat"]["scales"], ck["qat"]["bits"])
    model.eval()
    return model, ck
