"""Location pointer: coordinates read from the visual token the model points at.

Without it, the LLM writes each ``<loc_N>`` from its hidden state alone, and nothing ties the
number to the image cell the answer is about. With ``model.loc_pointer.enabled`` every
coordinate's location logits get a second expert added (a product of experts):

    a    = softmax_k(q(h_t) · k(v_k) / √dim)                  # (N,) attention over visual tokens
    p(b) = Σ_cells a_cell · Gauss(b; cell centre, σ)          # x: pooled per column, y: per row
    logits[<loc_b>] += log((1 - ε) p(b) + ε / NUM_BINS)

``h_t`` is the final hidden state where the coordinate is predicted, ``v_k`` those of the visual
tokens (all images of the sample; a pair's two grids pool into the same cells). Choosing the cell
is then what places the coordinate; the LLM's own logits refine it within the cell. The pointer
is trained through the LM loss alone. At random init the attention is near-uniform, so the added
term is near-flat and the model starts as it would without it.

Coordinates are the locations of ``<box> <obb> <point> <poly>`` and the first four of a
``<grid>`` header, x and y alternating; counts (a grid's size, run lengths) are left alone.

Cannot: place cells on a letterboxed or non-square image (cells are taken as tiling the whole
image, as they do for the square scenes the default model is trained on); apply without the
geometry grammar at decode time (free decoding writes coordinates without it); point into an
earlier image of a chat once a later turn adds one (the newest image's tokens are read).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from rsvlm.model.grammar import GrammarIds, coordinate_axes
from rsvlm.tokens import NUM_BINS


@dataclass
class LocPointerConfig:
    enabled: bool = False
    dim: int = 64  # query/key width
    sigma_cells: float = 0.5  # each cell's Gaussian over bins, in cell widths
    eps: float = 0.01  # uniform share, so no bin is ever ruled out


@dataclass
class PointerIds:
    image: int
    grammar: GrammarIds  # which tokens are coordinates: ``grammar.coordinate_axes``

    @property
    def loc0(self) -> int:
        return self.grammar.loc0


def pointer_ids(tokenizer, image_token: int) -> PointerIds:
    return PointerIds(image_token, GrammarIds.of(tokenizer))


def grid_side(n_vis: int) -> int:
    """Grid side g of ``n_vis`` visual tokens: one or more square g × g grids (g² · images)."""
    for images in range(1, 9):
        g = math.isqrt(n_vis // images)
        if n_vis % images == 0 and g * g * images == n_vis:
            return g
    raise ValueError(f"loc pointer: {n_vis} visual tokens are not whole square grids")


class LocPointer(nn.Module):
    def __init__(self, cfg: LocPointerConfig, d_llm: int):
        super().__init__()
        self.cfg = cfg
        self.q = nn.Linear(d_llm, cfg.dim, bias=False)
        self.k = nn.Linear(d_llm, cfg.dim, bias=False)
        self.grid: int | None = None  # each image's token grid side, set by the model that owns it

    def side(self, n_vis: int) -> int:
        """Grid side of ``n_vis`` visual tokens: the model's own where they are whole images of it
        (4 images of 4 × 4 tokens are not one 8 × 8 image), else ``grid_side``'s guess."""
        g = self.grid
        return g if g and n_vis % (g * g) == 0 and n_vis > 0 else grid_side(n_vis)

    def log_prior(self, h: torch.Tensor, vis: torch.Tensor, axes: torch.Tensor) -> torch.Tensor:
        """h (M,D) query hidden states, vis (N,D) one sample's visual hidden states, axes (M,) 0/1
        → (M, NUM_BINS) log-probabilities over location bins."""
        g = self.side(vis.shape[0])
        q, k = self.q(h.float()), self.k(vis.float())  # (M,d), (N,d)
        a = torch.softmax(q @ k.T / math.sqrt(self.cfg.dim), -1).view(len(h), -1, g, g)  # (M,images,g,g)
        per_axis = torch.stack([a.sum((1, 2)), a.sum((1, 3))], 1)  # (M,2,g): columns (x), rows (y)
        a_axis = per_axis[torch.arange(len(h), device=h.device), axes]  # (M,g)
        bins = torch.arange(NUM_BINS, device=h.device, dtype=torch.float32)  # (1000,)
        centres = (torch.arange(g, device=h.device, dtype=torch.float32) + 0.5) * NUM_BINS / g  # (g,)
        sigma = self.cfg.sigma_cells * NUM_BINS / g
        comp = torch.exp(-0.5 * ((bins[None] - centres[:, None]) / sigma) ** 2)  # (g,1000)
        comp = comp / comp.sum(-1, keepdim=True)
        p = a_axis @ comp  # (M,1000)
        return torch.log((1 - self.cfg.eps) * p + self.cfg.eps / NUM_BINS)

    def adjust_logits(self, logits: torch.Tensor, hidden: torch.Tensor, input_ids: torch.Tensor,
                      pid: PointerIds) -> torch.Tensor:
        """Teacher-forced pass: logits (B,L,V) of the last L positions, hidden (B,T,D), input_ids
        (B,T) → logits with the pointer's term added where the next token is a coordinate."""
        offset = input_ids.shape[1] - logits.shape[1]  # logits[:, i] sit at position offset + i
        rows, cols, terms = [], [], []
        for b, ids in enumerate(input_ids.tolist()):
            coords = [(p - 1 - offset, ax) for p, ax in coordinate_axes(ids, pid.grammar) if p - 1 >= offset]
            vis = (input_ids[b] == pid.image).nonzero().flatten()  # (N,)
            if not coords or len(vis) == 0:
                continue
            at = torch.tensor([c for c, _ in coords], device=logits.device)  # (M,)
            axes = torch.tensor([ax for _, ax in coords], device=logits.device)
            terms.append(self.log_prior(hidden[b, at + offset], hidden[b, vis], axes))
            rows.append(torch.full_like(at, b))
            cols.append(at)
        if not terms:
            return logits
        r, c = torch.cat(rows), torch.cat(cols)
        add = torch.zeros(len(r), logits.shape[-1], device=logits.device, dtype=torch.float32)  # (M,V)
        add[:, pid.loc0:pid.loc0 + NUM_BINS] = torch.cat(terms)
        return logits.index_put((r, c), logits[r, c] + add.to(logits.dtype))


class PointerDecoder:
    """``generation.decode``'s ``adjust`` for a model with a loc pointer: takes each sequence's
    visual hidden states from the prefill and adds the pointer's term where the grammar says the
    next token is a coordinate (``GrammarConstraint.next_axes``). A chat turn whose prefill holds no
    image passes the earlier turns' states as ``vis``; ``self.vis`` holds those used."""

    def __init__(self, pointer: LocPointer, pid: PointerIds, input_ids: torch.Tensor, constraint,
                 vis: list[torch.Tensor | None] | None = None):
        self.pointer, self.pid, self.constraint = pointer, pid, constraint
        self.slots = [(row == pid.image).nonzero().flatten() for row in input_ids]  # per sequence (N,)
        self.vis = vis or [None] * len(self.slots)
        self.started = False

    def __call__(self, out, logits: torch.Tensor) -> torch.Tensor:
        hidden = out.hidden_states[-1]  # (B,t,D): the prefill on the first call, one token after
        if not self.started:  # newest images win: a turn that adds one points into it
            self.vis = [hidden[i, s] if len(s) else v for i, (s, v) in enumerate(zip(self.slots, self.vis))]
            self.started = True
        logits = logits.clone()
        for i, axis in enumerate(self.constraint.next_axes()):
            if axis is None or self.vis[i] is None:
                continue
            term = self.pointer.log_prior(hidden[i, -1:], self.vis[i], torch.tensor([axis], device=logits.device))
            logits[i, self.pid.loc0:self.pid.loc0 + NUM_BINS] += term[0].to(logits.dtype)
        return logits
