"""The contrastive model (``ClipModel``: rsvlm's encoder, mean-pooled and projected, against open_clip's text
tower, with the per-patch heads switched on) and one step's backward over ``grad_accum`` micro-batches
(``accumulate``). Moved out of ``rsvlm.train.clip``, which still offers (and calls) these names."""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn

from rsvlm.train.clip_heads import PATCH_HEADS, patch_losses


class ClipModel(nn.Module):
    def __init__(self, cfg, vocab_size: int, pad_id: int, eos_id: int):
        super().__init__()
        from open_clip.transformer import TextTransformer

        from rsvlm.model.vision import build_encoder

        self.encoder = build_encoder(cfg.model.encoders["default"])
        self.image_proj = nn.Linear(self.encoder.width, cfg.clip.embed_dim)
        self.text = TextTransformer(context_length=cfg.clip.context_length, vocab_size=vocab_size,
                                    width=cfg.clip.text_width, heads=cfg.clip.text_heads,
                                    layers=cfg.clip.text_layers, output_dim=cfg.clip.embed_dim,
                                    pad_id=pad_id, eos_id=eos_id, pool_type="eos")
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        n_dense = cfg.clip.dense_classes * cfg.clip.dense_subgrid ** 2
        self.dense_head = nn.Linear(self.encoder.width, n_dense) if cfg.clip.dense_weight else None
        self.box_head = nn.Linear(self.encoder.width, 5) if cfg.clip.box_weight else None
        self.center_head = nn.Linear(self.encoder.width, n_dense) if cfg.clip.center_weight else None

    def forward(self, pixels: torch.Tensor, text: torch.Tensor):
        # pixels: (B,3,S,S) stem-mixed encoder input; text: (B,L) ids ending in eos then pad
        tokens = self.encoder(pixels)  # (B,N,W)
        img = self.image_proj(tokens.mean(dim=1))  # (B,E)
        txt = self.text(text)  # (B,E)
        heads = {name: head(tokens) for name, head in self.patch_heads().items()}  # (B,N,s²·K) or (B,N,5)
        return F.normalize(img, dim=-1), F.normalize(txt, dim=-1), self.logit_scale.exp(), heads

    def patch_heads(self) -> dict[str, nn.Linear]:
        """The per-patch heads switched on, by the name of their loss ("dense", "box", "center")."""
        heads = {"dense": self.dense_head, "box": self.box_head, "center": self.center_head}
        return {k: v for k, v in heads.items() if v is not None}


def accumulate(model: nn.Module, core: ClipModel, loss_fn, cfg, autocast, pixels: torch.Tensor, text: torch.Tensor,
               targets: dict[str, torch.Tensor], world: int) -> list[float]:
    """Backward the whole batch's loss in ``grad_accum`` micro-batches; its [total, dense, box, center]
    losses (0 for a head that is off).

    A contrastive loss does not split into per-micro-batch losses (every pair is the others'
    negative), so, as in open_clip's ``accum_freq``: the features of all micro-batches are computed
    first without gradients, then each micro-batch is run again with gradients and the whole
    batch's loss taken with its features live and the others' cached; the summed gradients are the
    whole batch's (``tests/test_train_clip.py``). The logit scale is live in the last micro-batch
    only, so its gradient is counted once. Cost: one extra forward per sample, for activations of
    one micro-batch at a time. Per-patch losses are micro-batch means weighted by their share.
    pixels: (B,3,S,S); text: (B,L); targets of the heads switched on: dense and center (B,N,s²,K), box (B,N,5).
    """
    n = pixels.shape[0]
    chunks = torch.arange(n).tensor_split(min(cfg.grad_accum, n))
    cached = None
    if len(chunks) > 1:
        with torch.no_grad(), autocast:
            cached = [core(pixels[c], text[c])[:2] for c in chunks]
        cached = [torch.cat([c[i] for c in cached]).float() for i in (0, 1)]  # (B,E) images, texts
    contrast, sums = 0.0, dict.fromkeys(PATCH_HEADS, 0.0)
    for j, c in enumerate(chunks):
        last = j == len(chunks) - 1
        with contextlib.nullcontext() if last or world == 1 else model.no_sync():
            with autocast:
                img, txt, scale, heads = model(pixels[c], text[c])  # (b,E), (b,E), (), {name: (b,N,·)}
            img, txt = img.float(), txt.float()
            if cached is not None:  # micro-batch j's features live, the others' cached: (B,E)
                lo, hi = int(c[0]), int(c[-1]) + 1
                img = torch.cat([cached[0][:lo], img, cached[0][hi:]])
                txt = torch.cat([cached[1][:lo], txt, cached[1][hi:]])
            loss = loss_fn(img, txt, scale if last else scale.detach())
            share = len(c) / n
            extra, parts = patch_losses(cfg, heads, {k: v[c] for k, v in targets.items()})
            # DDP averages the gradients: with the gathered features, the whole batch's loss
            (loss + share * extra).backward()
        contrast = float(loss.detach())
        for k, v in parts.items():
            sums[k] += share * v
    return [contrast + sum(getattr(cfg.clip, f"{k}_weight") * v for k, v in sums.items()), *sums.values()]
