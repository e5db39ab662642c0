"""Turn a shipped model file back into a float checkpoint that train.py resumes.

Training state lives outside the repository; when it is lost (a new machine),
the shipped int8 model is the best starting point there is.  export.py folds
activation scales into the integer multipliers; along every chain of the
spec those scales cancel, so the float weights come back up to rounding:

- RMSNorm gain g / 2^gs = weight / s_x and the next linear's multiplier
  m / 2^s = s_w * s_x / s_y: their product weight * W needs only s_y, so s_x
  is set to 1;
- q and k: only s_q * s_k (from the attention multiplier) matters;
- v and o: only s_v / s_ao (from the ao multiplier) matters;
- gate/up write Q8 (s_y = 1/256), down reads a with s_a (from a_m), writes
  the Q16 residual; the embedding's scale is embed.m and the head shares it.

Those free scales do not change the function, but they do change training:
Adam moves every weight by about the learning rate whatever its size, so
weights left 10-100x smaller than trained ones are wrecked in a few hundred
steps (seen: code 0.73 -> 1.97 bpb).  `rebalance` therefore moves scalars to
where training would have left them: RMSNorm gains at RMS 1, and equal RMS
in each product pair (q/k, v/o, up/down), the balance weight decay settles
on.  The optimizer state is gone, so train.py starts a fresh AdamW (warmup).

  /usr/bin/python3 training/dequantize.py public/models/llmz-base/model.bin /work/llmz-state/base/ckpt.pt
"""
import math
import sys

import numpy as np
import torch

import modelfile
from common import save_start_checkpoint
from export import LOG2E, RES_SCALE
from model import LM, Config


def ms(m, s):
    return np.asarray(m, dtype=np.float64) / np.exp2(np.asarray(s, dtype=np.float64))


def rows(q, scale):
    return torch.from_numpy(q.astype(np.float64) * np.asarray(scale, dtype=np.float64).reshape(-1, 1)).float()


def dequantize(path):
    header, t = modelfile.read(path)
    c, S = header["config"], header["scalars"]
    cfg = Config(vocab=c["vocab"], dim=c["dim"], layers=c["layers"], heads=c["heads"], kv_heads=c["kvHeads"],
                 ffn=c["ffn"], max_pos=c["maxPos"])
    hd = cfg.head_dim
    sd = {}
    sE = ms(t["embed.m"], t["embed.s"]) * RES_SCALE
    sd["embed.weight"] = rows(t["embed"], sE)
    s_f = ms(t["head.m"], t["head.s"]) / (sE * LOG2E * 256)
    sd["norm.weight"] = torch.from_numpy(t["final_norm.g"] / 2.0 ** S["final_norm.gs"] * float(np.median(s_f))).float()

    def lin(key, sy):  # input scale folded into the norm (s_x = 1)
        return rows(t[key], ms(t[key + ".m"], t[key + ".s"]) * sy)

    for l in range(cfg.layers):
        p, b = f"layers.{l}", f"blocks.{l}"
        sd[f"{b}.attn_norm.weight"] = torch.from_numpy(t[p + ".attn_norm.g"] / 2.0 ** S[p + ".attn_norm.gs"]).float()
        qk = ms(S[p + ".att_m"], S[p + ".att_s"]) * math.sqrt(hd) / (LOG2E * 256)  # s_q * s_k
        sq = sk = math.sqrt(qk)
        sd[f"{b}.attn.q.weight"] = lin(p + ".wq", sq / 256)
        sd[f"{b}.attn.k.weight"] = lin(p + ".wk", sk / 256)
        sao = 1.0
        sv = ms(S[p + ".ao_m"], S[p + ".ao_s"]) * 2 ** 15 * sao
        sd[f"{b}.attn.v.weight"] = lin(p + ".wv", sv)
        sd[f"{b}.attn.o.weight"] = rows(t[p + ".wo"], ms(t[p + ".wo.m"], t[p + ".wo.s"]) * RES_SCALE / sao)
        sd[f"{b}.mlp_norm.weight"] = torch.from_numpy(t[p + ".mlp_norm.g"] / 2.0 ** S[p + ".mlp_norm.gs"]).float()
        sd[f"{b}.mlp.gate.weight"] = lin(p + ".wgate", 1 / 256)
        sd[f"{b}.mlp.up.weight"] = lin(p + ".wup", 1 / 256)
        sa = 1.0 / (65536 * ms(S[p + ".a_m"], S[p + ".a_s"]))
        sd[f"{b}.mlp.down.weight"] = rows(t[p + ".wdown"], ms(t[p + ".wdown.m"], t[p + ".wdown.s"]) * RES_SCALE / sa)
    model = LM(cfg)
    model.load_state_dict(sd)
    rebalance(model)
    return model, cfg, header


def rms(t):
    return t.double().pow(2).mean().sqrt().item()


@torch.no_grad()
def rebalance(model):
    """Function-preserving rescaling (see the module docstring)."""
    for b in model.blocks:
        for norm, readers in ((b.attn_norm, (b.attn.q, b.attn.k, b.attn.v)), (b.mlp_norm, (b.mlp.gate, b.mlp.up))):
            c = rms(norm.weight)
            norm.weight.div_(c)
            for lin in readers:
                lin.weight.mul_(c)
        for x, y in ((b.attn.q, b.attn.k), (b.attn.v, b.attn.o), (b.mlp.up, b.mlp.down)):
            a = math.sqrt(rms(y.weight) / rms(x.weight))
            x.weight.mul_(a)
            y.weight.div_(a)


def main():
    src, out = sys.argv[1], sys.argv[2]
    prior_tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 0  # tokens the model file was trained on (its card)
    model, cfg, header = dequantize(src)
    save_start_checkpoint(out, model.state_dict(), cfg.to_dict(), prior_tokens, 4321, from_model_file=header["name"])
    print("wrote", out, "from", src)


if __name__ == "__main__":
    main()
