"""Projectors from encoder tokens to LLM embeddings: a plain-dict registry plus k×k token pooling.

``Projector(tokens (B,N,D_vis), grid=(gh,gw)) -> (B, N/k², D_llm)``. Pooling averages k×k
neighbourhoods of the token grid before projecting; the grid must be divisible by k.

``pos_code: loc2d`` adds to every output token a fixed code of where its cell's centre lies, in
``<loc_N>`` bins: the sin-cos code of the x bin in the first half of the channels, of the y bin in
the second (the code the ``<loc_N>`` rows start from, see ``llm.loc_init``). It is scaled to
``pos_code_scale`` × each image's token RMS, so it needs no weights and old checkpoints load
unchanged. A linear probe found that the 36 tokens of the default model's encoder barely tell
where they are (docs/default-model.md); this states it outright.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rsvlm.model.llm import sincos_code
from rsvlm.tokens import NUM_BINS

POS_CODES = ("none", "loc2d")  # ProjectorConfig.pos_code


@dataclass
class ProjectorConfig:
    type: str = "mlp2x_gelu"  # key of PROJECTORS: "linear" | "mlp2x_gelu"
    pool: int = 1  # k for k×k average pooling of the token grid (1 = none)
    pos_code: str = "none"  # one of POS_CODES; "loc2d": add each token's cell centre, as a sin-cos code of its loc bins
    pos_code_scale: float = 0.5  # code RMS relative to the image's token RMS


def _linear(d_in: int, d_out: int) -> nn.Module:
    return nn.Sequential(nn.Linear(d_in, d_out))


def _mlp2x_gelu(d_in: int, d_out: int) -> nn.Module:
    # LLaVA-1.5's projector; indices 0 and 2 match its ``mm_projector.{0,2}`` keys
    return nn.Sequential(nn.Linear(d_in, d_out), nn.GELU(), nn.Linear(d_out, d_out))


PROJECTORS = {"linear": _linear, "mlp2x_gelu": _mlp2x_gelu}


def pooled_tokens(grid: tuple[int, int], pool: int) -> int:
    """Tokens of a (gh,gw) token grid after k×k pooling (``ProjectorConfig.pool``): one image's visual tokens."""
    gh, gw = grid
    if gh % pool or gw % pool:
        raise ValueError(f"token grid {gh}x{gw} is not divisible by the projector pool {pool}")
    return (gh // pool) * (gw // pool)


class Projector(nn.Module):
    def __init__(self, cfg: ProjectorConfig, d_in: int, d_out: int):
        super().__init__()
        if cfg.type not in PROJECTORS:
            raise ValueError(f"unknown projector type {cfg.type!r}; known: {sorted(PROJECTORS)}")
        if cfg.pool < 1:
            raise ValueError(f"projector pool must be >= 1, got {cfg.pool}")
        if cfg.pos_code not in POS_CODES:
            raise ValueError(f"projector pos_code must be {' or '.join(map(repr, POS_CODES))}, got {cfg.pos_code!r}")
        if cfg.pos_code == "loc2d" and d_out % 4:
            raise ValueError(f"projector pos_code loc2d needs an LLM width divisible by 4, got {d_out}")
        self.pool = cfg.pool
        self.pos_code, self.pos_code_scale = cfg.pos_code, cfg.pos_code_scale
        self.net = PROJECTORS[cfg.type](d_in, d_out)

    def n_tokens(self, grid: tuple[int, int]) -> int:
        return pooled_tokens(grid, self.pool)

    def forward(self, tokens: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        # tokens: (B,gh·gw,D_vis) → (B,(gh/k)·(gw/k),D_llm)
        if self.pool > 1:
            self.n_tokens(grid)
            b, n, d = tokens.shape
            x = tokens.transpose(1, 2).reshape(b, d, grid[0], grid[1])  # (B,D,gh,gw)
            x = F.avg_pool2d(x, self.pool)  # (B,D,gh/k,gw/k)
            tokens = x.flatten(2).transpose(1, 2)  # (B,N/k²,D)
            grid = (grid[0] // self.pool, grid[1] // self.pool)
        out = self.net(tokens)  # (B,N',D_llm)
        if self.pos_code == "loc2d":
            code = loc2d_code(grid, out.shape[-1]).to(out)  # (N',D_llm), unit RMS
            rms = out.detach().pow(2).mean(dim=(1, 2), keepdim=True).sqrt()  # (B,1,1)
            out = out + self.pos_code_scale * rms * code
        return out


def loc2d_code(grid: tuple[int, int], dim: int) -> torch.Tensor:
    """(gh·gw, dim) row-major code of the cell centres: sin-cos of the x bin, then of the y bin; unit RMS."""
    gh, gw = grid
    ys, xs = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij")  # (gh,gw)
    x_bin = (xs.flatten() + 0.5) * NUM_BINS / gw  # (N,)
    y_bin = (ys.flatten() + 0.5) * NUM_BINS / gh
    code = torch.cat([sincos_code(x_bin, dim // 2, NUM_BINS), sincos_code(y_bin, dim // 2, NUM_BINS)], dim=1)
    return code / code.pow(2).mean().sqrt()
