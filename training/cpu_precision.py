"""Which float precision trains fastest on this CPU.

bf16 matmuls are fast only where the CPU has bf16 dot instructions (AVX-512
BF16, AMX). Elsewhere — AVX2 machines such as AMD Zen 3 — torch runs them on
a scalar path: 5 GFLOP/s against 74-78 for sgemm on one such machine, which
made a training step 21x slower under bf16 autocast (63 against 1,330
tokens/s). So measure once at start-up (a fraction of a second) instead of
assuming.
"""
import contextlib
import time

import torch


def _gflops(dtype, n=384, reps=3):
    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9


def choose(force=None):
    """torch.bfloat16 or torch.float32 ("bf16"/"fp32" force it), and the two speeds measured."""
    if force == "bf16":
        return torch.bfloat16, None
    if force == "fp32":
        return torch.float32, None
    f32, b16 = _gflops(torch.float32), _gflops(torch.bfloat16)
    return (torch.bfloat16 if b16 > 1.2 * f32 else torch.float32), {"fp32_gflops": round(f32, 1), "bf16_gflops": round(b16, 1)}


def autocast(dtype):
    """The training step's context: bf16 autocast, or nothing for fp32."""
    return torch.autocast("cpu", dtype=torch.bfloat16) if dtype == torch.bfloat16 else contextlib.nullcontext()
