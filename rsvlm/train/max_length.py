"""Whether a sample fits ``data.max_length``: one image of each modality before the run is set up
(``check_max_length``, in ``run.preflight``), each training record's shortest sample once the model and
data are (``check_unfit``, before the first step); those that do not were bad samples found mid-run."""

from __future__ import annotations

import sys

import torch

from rsvlm.processes import SameOnEveryRank
from rsvlm.tokens import IMAGE_TOKEN
from rsvlm.train.config import TrainConfig


class UnfitRecords(SameOnEveryRank, ValueError):
    """More records than ``data.max_bad_fraction`` cannot fit ``data.max_length`` (alike on every rank)."""


def check_max_length(cfg: TrainConfig) -> dict[str, int]:
    """Each stem's visual tokens per image (``image_tokens``); ValueError where ``data.max_length`` cannot
    hold one image of any modality and an answer token: every sample would be skipped as bad, found only
    once the run was 50 samples in. The prompt's words are counted once the model and data are
    (``check_unfit``)."""
    from rsvlm.model.checks import image_tokens

    tokens, limit = image_tokens(cfg.model), cfg.data.max_length
    if all(n >= limit for n in tokens.values()):
        each = ", ".join(f"{m} {n}" for m, n in tokens.items())
        raise ValueError(f"data.max_length={limit} cannot hold one image and an answer: one image is {min(tokens.values())}"
                         f" or more tokens before any text ({each}); raise data.max_length above that plus the prompt "
                         "and answers, or pool the image tokens (model.projector.pool)")
    return tokens


def shortest_sample(processor, prompt, modality: str) -> int:
    """Tokens up to the first answer token of the shortest sample with one image of ``modality``, in the
    model's prompt format (``prompt``: ``model.prompt``): what ``data.max_length`` must hold at least."""
    from rsvlm.data.conversation import IGNORE_INDEX, record_messages
    from rsvlm.model.processor import Pixels
    from rsvlm.train.data import encode_sample

    rec = {"id": "shortest", "images": [{"modality": modality}],
           "conversations": [{"from": "human", "value": IMAGE_TOKEN}, {"from": "gpt", "value": "x"}]}
    enc = encode_sample(processor, record_messages(rec, prompt), [Pixels(torch.empty(0), modality)], None)
    return next(i for i, t in enumerate(enc["labels"]) if t != IGNORE_INDEX) + 1


def unfit_records(index, processor, prompt, max_length: int) -> dict[str, int]:
    """{modality: records} of the training index's records (its ``modality`` column: "optical+sar") with an
    image whose shortest possible sample runs past ``max_length`` before its answer starts
    (``shortest_sample``; with no system prompt for a record with its own system turn, which replaces
    it): each will be a bad sample. The records' JSON is read only where a modality is over."""
    from dataclasses import replace

    modalities = index["modality"]
    kinds = {m for mods in set(modalities) if mods != "text" for m in mods.split("+")}
    over = {m for m in kinds if shortest_sample(processor, prompt, m) > max_length}
    if not over:
        return {}
    bare = {m for m in over if shortest_sample(processor, replace(prompt, system=""), m) > max_length}
    out: dict[str, int] = {}
    for rec, mods in zip(index["record"], modalities):
        own = '"from": "system"' in rec  # its own system turn may be shorter than the model's
        m = next((m for m in mods.split("+") if m in (bare if own else over)), None)
        if m is not None:
            out[m] = out.get(m, 0) + 1
    return out


def check_unfit(index, processor, cfg: TrainConfig, rank: int) -> None:
    """Fail before the first step (UnfitRecords, a ValueError) when more than ``data.max_bad_fraction`` of the records
    cannot fit ``data.max_length`` (``unfit_records``: they were bad samples, found once the run was 50
    samples in); (rank 0) else name them as a warning."""
    limit = cfg.data.max_length
    unfit = unfit_records(index, processor, cfg.model.prompt, limit)
    if not unfit:
        return
    n, total = sum(unfit.values()), len(index)
    what = (f"{n} of {total} records cannot fit data.max_length={limit}: "
            + ", ".join(f"{k} {m} record(s), whose shortest sample runs {shortest_sample(processor, cfg.model.prompt, m)} "
                        f"tokens ({processor.n_tokens[m]} of them the image) before its answer" for m, k in sorted(unfit.items()))
            + "; each would be skipped as a bad sample")
    if n / total > cfg.data.max_bad_fraction:
        raise UnfitRecords(f"{what}, more than data.max_bad_fraction={cfg.data.max_bad_fraction}: raise data.max_length, "
                           "pool the image tokens (model.projector.pool), or leave those records out")
    if rank == 0:
        print(f"[rsvlm.train] warning: {what}", file=sys.stderr)
