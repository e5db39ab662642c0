"""What a float checkpoint pays for each token, coded as the engine codes it: in chunks, each
after BOS. Shared by the diagnostics (bits_by_kind.py, messages_by_position.py)."""
import numpy as np
import torch

from train import BOS


@torch.no_grad()
def token_bits(model, ids, chunk=1024):
    """Bits of every token of `ids`, chunk by chunk, each chunk starting from BOS alone."""
    out = []
    for i in range(0, len(ids), chunk):
        c = list(ids[i:i + chunk])
        lp = torch.log_softmax(model(torch.tensor([[BOS] + c[:-1]]))[0].float(), -1)
        out.append((-lp[torch.arange(len(c)), torch.tensor(c)] / np.log(2)).numpy())
    return np.concatenate(out) if out else np.zeros(0)
