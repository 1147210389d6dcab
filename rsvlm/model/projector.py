"""Projectors from encoder tokens to LLM embeddings: a plain-dict registry plus k×k token pooling.

``Projector(tokens (B,N,D_vis), grid=(gh,gw)) -> (B, N/k², D_llm)``. Pooling averages k×k
neighbourhoods of the token grid before projecting; the grid must be divisible by k.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ProjectorConfig:
    type: str = "mlp2x_gelu"  # key of PROJECTORS: "linear" | "mlp2x_gelu"
    pool: int = 1  # k for k×k average pooling of the token grid (1 = none)


def _linear(d_in: int, d_out: int) -> nn.Module:
    return nn.Sequential(nn.Linear(d_in, d_out))


def _mlp2x_gelu(d_in: int, d_out: int) -> nn.Module:
    # LLaVA-1.5's projector; indices 0 and 2 match its ``mm_projector.{0,2}`` keys
    return nn.Sequential(nn.Linear(d_in, d_out), nn.GELU(), nn.Linear(d_out, d_out))


PROJECTORS = {"linear": _linear, "mlp2x_gelu": _mlp2x_gelu}


class Projector(nn.Module):
    def __init__(self, cfg: ProjectorConfig, d_in: int, d_out: int):
        super().__init__()
        if cfg.type not in PROJECTORS:
            raise ValueError(f"unknown projector type {cfg.type!r}; known: {sorted(PROJECTORS)}")
        if cfg.pool < 1:
            raise ValueError(f"projector pool must be >= 1, got {cfg.pool}")
        self.pool = cfg.pool
        self.net = PROJECTORS[cfg.type](d_in, d_out)

    def n_tokens(self, grid: tuple[int, int]) -> int:
        gh, gw = grid
        if gh % self.pool or gw % self.pool:
            raise ValueError(f"token grid {gh}x{gw} is not divisible by the projector pool {self.pool}")
        return (gh // self.pool) * (gw // self.pool)

    def forward(self, tokens: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        # tokens: (B,gh·gw,D_vis) → (B,(gh/k)·(gw/k),D_llm)
        if self.pool > 1:
            self.n_tokens(grid)
            b, n, d = tokens.shape
            x = tokens.transpose(1, 2).reshape(b, d, grid[0], grid[1])  # (B,D,gh,gw)
            x = F.avg_pool2d(x, self.pool)  # (B,D,gh/k,gw/k)
            tokens = x.flatten(2).transpose(1, 2)  # (B,N/k²,D)
        return self.net(tokens)
