"""The training losses: token cross-entropy with soft location targets, and the pointer loss.

They take logits / hidden states and labels only, so ``bench/loc_learning.py`` and the tests score
them without a model.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from rsvlm.model.pointer import PointerIds
from rsvlm.tokens import NUM_BINS


def lm_losses(logits: torch.Tensor, labels: torch.Tensor, loc_start: int | None = None,
              loc_sigma: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Token-mean loss over assistant tokens and per-sample mean losses (B,) from logits (B,T,V).

    With ``loc_sigma`` > 0 (and ``loc_start``, the id of ``<loc_0>``), a label that is a location
    token is scored against a Gaussian over the bins centred on it (see ``LossConfig.loc_sigma``).
    ``labels`` may stay on the CPU while the logits are on a GPU: the location tokens are found
    there, so the loss queues on the GPU without waiting for it (no host sync per micro-step).
    """
    logits, labels = logits[:, :-1], labels[:, 1:]  # predict token t+1 from position t
    dev_labels = labels.to(logits.device, non_blocking=True)  # (B,T-1)
    # (N,V) rows, not (B,V,T): the class-dim-in-the-middle layout runs a spatial softmax kernel that
    # took a quarter of a GPU step (docs/benchmarks/gpu_train.md)
    tok = F.cross_entropy(logits.float().flatten(0, 1), dev_labels.flatten(), ignore_index=-100,
                          reduction="none")  # (B*(T-1),)
    if loc_sigma > 0 and loc_start is not None:
        flat = labels.flatten()
        where = ((flat >= loc_start) & (flat < loc_start + NUM_BINS)).nonzero().flatten()  # (N,) on labels' device
        if len(where):
            idx = where.to(logits.device, non_blocking=True)
            rows = logits[idx // labels.shape[1], idx % labels.shape[1]]  # (N,V), without copying all logits
            logp = rows.float().log_softmax(-1)[:, loc_start:loc_start + NUM_BINS]  # (N,1000)
            target = loc_targets(dev_labels.flatten()[idx] - loc_start, loc_sigma)  # (N,1000)
            kl = (target * (target.clamp_min(1e-30).log() - logp)).sum(-1)  # (N,)
            tok = tok.index_copy(0, idx, kl.to(tok.dtype))
    tok = tok.view(labels.shape)  # (B,T-1)
    valid = (dev_labels != -100).sum(1)  # (B,)
    return tok.sum() / valid.sum().clamp(min=1), tok.sum(1) / valid.clamp(min=1)


def pointer_targets(input_ids: torch.Tensor, labels: torch.Tensor, ids: PointerIds,
                    grid: int | None = None) -> list[tuple[int, int, torch.Tensor, int]]:
    """Per sample with one image's grid of visual tokens and a box/obb answer: (sample, query
    position, visual token positions (N,), index of the token whose patch holds the first shape's
    centre). The query is the opening tag's position, whose hidden state predicts the first
    location. Tokens are taken in row-major patch order. ``grid``: the model's tokens per image side
    (``LocPointer.grid``); without it a square count is taken for one image, so 4 images of 4 × 4
    tokens would pass as one 8 × 8 image."""
    out = []
    box = ids.grammar.open["box"]
    shapes = torch.tensor([box, ids.grammar.open["obb"]], device=input_ids.device)
    for b in range(input_ids.shape[0]):
        vis = (input_ids[b] == ids.image).nonzero().flatten()  # (N,)
        g = grid or math.isqrt(len(vis))
        if len(vis) == 0 or g * g != len(vis):  # several images (a pair): no target
            continue
        is_open = (labels[b] != -100) & torch.isin(input_ids[b], shapes)
        if not bool(is_open.any()):
            continue
        q = int(is_open.nonzero()[0])
        n = 4 if int(input_ids[b, q]) == box else 8
        locs = input_ids[b, q + 1:q + 1 + n] - ids.loc0
        if len(locs) < n or bool(((locs < 0) | (locs >= NUM_BINS)).any()):
            continue
        cx, cy = float(locs[0::2].float().mean()), float(locs[1::2].float().mean())  # bins
        col, row = min(g - 1, int(cx * g / NUM_BINS)), min(g - 1, int(cy * g / NUM_BINS))
        out.append((b, q, vis, row * g + col))
    return out


def pointer_loss(hidden: torch.Tensor, targets: list[tuple[int, int, torch.Tensor, int]]) -> torch.Tensor | None:
    """Mean cross-entropy of picking each target's visual token by the query's hidden state.
    hidden: (B,T,D) final hidden states. None when no sample has a target."""
    if not targets:
        return None
    d = hidden.shape[-1]
    losses = []
    for b, q, vis, t in targets:
        scores = hidden[b, vis].float() @ hidden[b, q].float() / math.sqrt(d)  # (N,)
        losses.append(F.cross_entropy(scores[None], torch.tensor([t], device=scores.device)))
    return torch.stack(losses).mean()


def loc_targets(bins: torch.Tensor, sigma: float) -> torch.Tensor:
    """(N,) true bins → (N, NUM_BINS) Gaussian target distributions, cut at the range's ends."""
    grid = torch.arange(NUM_BINS, device=bins.device, dtype=torch.float32)  # (1000,)
    w = torch.exp(-0.5 * ((grid[None] - bins[:, None].float()) / sigma) ** 2)  # (N,1000)
    return w / w.sum(-1, keepdim=True)


def answer_window(labels: torch.Tensor) -> int:
    """First position whose logits any label needs: logits before it are never scored, so the LM
    head (and the loss) run on positions ``start:`` only. 0 when no label is set."""
    rows = (labels != -100).any(0).nonzero()  # positions with a label in some sample
    return max(0, int(rows[0]) - 1) if len(rows) else 0
