"""Per-modality stems: named bands → the encoder's 3 input channels, plus a modality embedding.

Two halves. ``prepare`` (used by the Processor; no weights) checks the band count/names, resizes
to the encoder's image size and normalises each band with the configured mean/std. ``Stem`` (the
learned part) mixes the bands into the encoder's RGB channels with a 1×1 map initialised so a
pretrained encoder sees what it was trained on at step 0 (R, G, B on their channels, other bands
at zero; 1–2 band inputs such as SAR or thermal averaged into all three), and adds a learned
modality embedding (zero at start) to the encoder's output tokens.

Limits: resizing is torch interpolation on floats, so it matches PIL-based CLIP preprocessing
exactly only when no resize is needed; inputs must already be physically scaled (readers do it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
RESIZE_MODES = ("stretch", "pad", "crop")


@dataclass
class StemConfig:
    modality: str = "optical"
    bands: list[str] = field(default_factory=lambda: ["R", "G", "B"])
    mean: list[float] = field(default_factory=lambda: list(CLIP_MEAN))
    std: list[float] = field(default_factory=lambda: list(CLIP_STD))
    encoder: str = "default"  # key in VLMConfig.encoders; stems naming one encoder share its weights
    rgb_bands: list[str] | None = None  # bands that start on the encoder's R,G,B; None → "R","G","B" if present
    resize: str = "stretch"  # "stretch" | "pad" (to square with the band means, LLaVA-1.5) | "crop" (short side, centre)
    interpolation: str = "bicubic"  # "bilinear" | "bicubic"


def check_stem(cfg: StemConfig) -> None:
    n = len(cfg.bands)
    if n == 0 or len(cfg.mean) != n or len(cfg.std) != n:
        raise ValueError(f"stem {cfg.modality!r}: bands {cfg.bands}, mean and std must have one entry per band "
                         f"(got {n}, {len(cfg.mean)}, {len(cfg.std)})")
    if any(s <= 0 for s in cfg.std):
        raise ValueError(f"stem {cfg.modality!r}: std must be positive, got {cfg.std}")
    if cfg.resize not in RESIZE_MODES:
        raise ValueError(f"stem {cfg.modality!r}: resize must be one of {RESIZE_MODES}, got {cfg.resize!r}")
    if cfg.rgb_bands is not None and (len(cfg.rgb_bands) != 3 or set(cfg.rgb_bands) - set(cfg.bands)):
        raise ValueError(f"stem {cfg.modality!r}: rgb_bands {cfg.rgb_bands} must be 3 of {cfg.bands}")


def prepare(cfg: StemConfig, array: np.ndarray | torch.Tensor, image_size: int,
            bands: list[str] | None = None, name: str = "image") -> torch.Tensor:
    """(C,H,W) float image → normalised (len(cfg.bands), image_size, image_size) float32 tensor.

    ``bands`` names the array's channels; then the configured bands are picked from it by name.
    Generic names ``b1 … bN`` (a file without band descriptions) are taken in the configured order.
    """
    x = torch.as_tensor(np.asarray(array) if not isinstance(array, torch.Tensor) else array)
    if x.ndim == 2 and len(cfg.bands) == 1:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"{name}: expected a (C,H,W) array for modality {cfg.modality!r}, got shape {tuple(x.shape)}")
    if bands is not None and len(bands) == len(cfg.bands) and all(re.fullmatch(r"b\d+", b) for b in bands):
        bands = None  # unnamed bands (readers call them b1, b2, …): taken in the configured order
    if bands is not None:
        if len(bands) != x.shape[0]:
            raise ValueError(f"{name}: {len(bands)} band names {bands} for {x.shape[0]} channels")
        missing = [b for b in cfg.bands if b not in bands]
        if missing:
            raise ValueError(f"{name}: modality {cfg.modality!r} expects bands {cfg.bands}; missing {missing} "
                             f"among {bands}")
        x = x[[bands.index(b) for b in cfg.bands]]
    elif x.shape[0] != len(cfg.bands):
        raise ValueError(f"{name}: modality {cfg.modality!r} expects {len(cfg.bands)} band(s) {cfg.bands}, "
                         f"got {x.shape[0]}")
    x = x.float()
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or infinite values (mask nodata before the model)")
    mean = torch.tensor(cfg.mean, dtype=torch.float32)[:, None, None]  # (C,1,1)
    std = torch.tensor(cfg.std, dtype=torch.float32)[:, None, None]
    x = _resize(x, cfg, image_size, mean)
    return (x - mean) / std


def _resize(x: torch.Tensor, cfg: StemConfig, size: int, fill: torch.Tensor) -> torch.Tensor:
    # x: (C,H,W) → (C,size,size)
    c, h, w = x.shape
    if cfg.resize == "pad" and h != w:
        s = max(h, w)
        canvas = fill.expand(c, s, s).clone()
        top, left = (s - h) // 2, (s - w) // 2
        canvas[:, top:top + h, left:left + w] = x
        x, h, w = canvas, s, s
    if cfg.resize == "crop" and h != w:
        scale = size / min(h, w)
        nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
        x = _interp(x, (nh, nw), cfg.interpolation)
        top, left = (nh - size) // 2, (nw - size) // 2
        return x[:, top:top + size, left:left + size]
    if (h, w) != (size, size):
        x = _interp(x, (size, size), cfg.interpolation)
    return x


def _interp(x: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    y = F.interpolate(x[None], size=size, mode=mode, align_corners=False, antialias=True)[0]
    return y


def mixing_init(cfg: StemConfig, out_channels: int = 3) -> torch.Tensor:
    """(out_channels, n_bands) start weights: RGB bands on their channels, others 0; 1–2 bands averaged."""
    n = len(cfg.bands)
    w = torch.zeros(out_channels, n)
    rgb = cfg.rgb_bands or (["R", "G", "B"] if {"R", "G", "B"} <= set(cfg.bands) else None)
    if rgb is not None:
        for ch, band in enumerate(rgb[:out_channels]):
            w[ch, cfg.bands.index(band)] = 1.0
    elif n < out_channels:
        w[:] = 1.0 / n
    else:
        w[:, :out_channels] = torch.eye(out_channels)
    return w


class Stem(nn.Module):
    """Learned band mixing + modality embedding for one modality (see module docstring)."""

    def __init__(self, cfg: StemConfig, width: int, in_channels: int = 3):
        super().__init__()
        check_stem(cfg)
        self.modality = cfg.modality
        self.mix = nn.Parameter(mixing_init(cfg, in_channels))  # (3, n_bands)
        self.modality_embed = nn.Parameter(torch.zeros(width))  # (D,)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        # pixels: (B,n_bands,H,W) normalised → (B,3,H,W) encoder input
        return torch.einsum("oc,bchw->bohw", self.mix.to(pixels.dtype), pixels)

    def embed_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        # tokens: (B,N,D) encoder output → same, with the modality embedding added
        return tokens + self.modality_embed.to(tokens.dtype)
