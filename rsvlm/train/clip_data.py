"""The contrastive loop's data (``rsvlm.train.clip``): caption pairs from instruction records, their
weighted draws, their pixels through each modality's stem, and how many decoded images to keep."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from rsvlm.data.records import ReadReport, read_records
from rsvlm.processes import env_int
from rsvlm.progress import counted, plural


def caption_pairs(records: list[dict]) -> list[tuple[dict, str]]:
    """(record, caption) of each single-image ``cap`` record, or, where there is none, the first answer of each
    single-image record. ``records`` holds no [change] record of other than two images (``caption_pool`` leaves
    them out: "New buildings." is no caption of the one image)."""
    caps = [r for r in records if r["task"] == "cap"] or records
    out = []
    for r in caps:
        answer = next((t["value"] for t in r["conversations"] if t["from"] in ("gpt", "assistant")), None)
        if answer and len(r["images"]) == 1:
            out.append((r, answer))
    return out


def pair_pixels(rec: dict, root: Path, cfg, image_size: int, png_checked=None) -> torch.Tensor:
    """The pair's image through its modality's stem and the stem's initial mixing to 3 channels.
    ``png_checked``: PNGs found whole before, not checked again (``data.read_inputs``); those found now added."""
    from rsvlm.model.stem import mixing_init, prepare
    from rsvlm.train.data import read_inputs

    (img,) = read_inputs(rec, root, png_checked)
    stem = cfg.model.stems.get(img.modality)
    if stem is None:
        raise ValueError(f"{img.name}: no stem for modality {img.modality!r}")
    x = prepare(stem, img.array, image_size, img.bands, img.name, cfg.data.missing_bands)  # (n_bands,S,S)
    return torch.einsum("oc,chw->ohw", mixing_init(stem, 3), x)  # (3,S,S)


def caption_pool(cfg, unpaired: list[str] | None = None
                 ) -> tuple[list[tuple[dict, str, Path]], torch.Tensor | None, ReadReport]:
    """(record, caption, image root) of ``data.train`` and each ``data.extra`` file; the draw weight of
    each pair (None: uniform, when there is no extra file); one read report for all files. An image
    whose record does not name its modality has it inferred from its file (``ModalityFinder``,
    counted in the report; a pair whose file cannot be opened is left out, counted as skipped).
    [change] records of other than two images are left out, as the LM loop leaves them out: one
    ``FILE:LINE: record ID: why`` each appended to ``unpaired``, not counted in the report as read."""
    from rsvlm.data.modality import ModalityFinder
    from rsvlm.data.record_fields import pair_problem
    from rsvlm.data.records import RecordError
    from rsvlm.train.data import leave_out_unpaired
    from rsvlm.train.inputs import records_sources

    files = [(Path(s.path), s.image_root, s.weight) for s in records_sources(cfg)]
    report = ReadReport(" + ".join(str(f) for f, _, _ in files))
    pairs, weights, unpaired = [], [], unpaired if unpaired is not None else []
    with ModalityFinder() as finder:
        for path, root, weight in files:
            found, records, n_unpaired = [], [], len(unpaired)
            for rec in read_records(path, strict=False, report=report):
                if why := pair_problem(rec["task"], rec["images"]):  # its answer was a caption where no [cap] was
                    leave_out_unpaired(rec, why, path, report, unpaired)
                else:
                    records.append(rec)
            for rec, cap in caption_pairs(records):
                try:
                    found.append((finder.fill(rec, root, report), cap, root))
                except RecordError as e:
                    report.drop(e.field, f"{path}: {e}")
            if cfg.data.extra and not found:  # a file of one-image [change] records was refused unsaid why
                left = (f"; {counted(len(unpaired) - n_unpaired, '[change] record')} of other than two images left "
                        f"out, a [change] answer being no caption of one image (first: {unpaired[n_unpaired]})"
                        if len(unpaired) > n_unpaired else "")
                raise ValueError(f"{path}: no single-image caption pair ({report.summary()}{left})")
            pairs += found
            weights += [weight] * len(found)
    return pairs, (torch.tensor(weights, dtype=torch.double) if cfg.data.extra else None), report


def without_stem(pairs: list[tuple[dict, str, Path]], weights: torch.Tensor | None, cfg
                 ) -> tuple[list[tuple[dict, str, Path]], torch.Tensor | None, dict[str, int]]:
    """``pairs`` (and their ``weights``) less those whose image's modality has no stem in
    ``model.stems``, and how many were left out by modality: a config that leaves a modality out,
    not unreadable data, so they are not bad samples (each draw of one was counted against
    ``data.max_bad_fraction``)."""
    from collections import Counter

    modality = [rec["images"][0]["modality"] for rec, _, _ in pairs]
    left = Counter(m for m in modality if m not in cfg.model.stems)
    if not left:
        return pairs, weights, {}
    keep = [i for i, m in enumerate(modality) if m in cfg.model.stems]
    return [pairs[i] for i in keep], (weights[keep] if weights is not None else None), dict(sorted(left.items()))


def cache_budget() -> int | None:
    """Bytes of decoded images this process may keep: a quarter of the machine's memory, shared by the
    processes on it (None where the memory size is not known)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    return total // 4 // env_int("LOCAL_WORLD_SIZE", 1, low=1)


def other_encoders(pairs: list[tuple[dict, str, Path]], cfg) -> str:
    """``N modality pairs (encoder E)`` for each modality of ``pairs`` whose stem names an encoder other
    than ``default``, joined; empty when there is none."""
    from collections import Counter

    stems = cfg.model.stems
    counts = Counter(m for rec, _, _ in pairs if (m := rec["images"][0]["modality"]) in stems
                     and stems[m].encoder != "default")
    return ", ".join(f"{n} {m} {plural('pair', n)} (encoder {stems[m].encoder!r})" for m, n in sorted(counts.items()))


def caption_tokens(pairs: list[tuple[dict, str, Path]], tok, context: int, chunk: int = 10_000
                   ) -> tuple[torch.Tensor, torch.Tensor, dict, str | None]:
    """Every caption of ``pairs`` tokenized once (it was at each draw): (N, ``context``) int32 ids, each cut to
    ``context`` - 1 tokens, then the end token and padding; (N,) uncut lengths; summary.json's counts of the
    captions cut, ``cut_caption_pairs`` and ``longest_caption_tokens``; and the stderr line saying so, None
    where none is cut. ``chunk`` captions at a time, so a large pool's token lists never are all in memory."""
    text = torch.full((len(pairs), context), tok.pad_token_id, dtype=torch.int32)
    lengths = torch.zeros(len(pairs), dtype=torch.long)
    for lo in range(0, len(pairs), chunk):
        ids = tok([cap for _, cap, _ in pairs[lo:lo + chunk]], add_special_tokens=False)["input_ids"]
        for j, t in enumerate(ids, lo):
            lengths[j] = len(t)
            t = t[: context - 1] + [tok.eos_token_id]
            text[j, : len(t)] = torch.tensor(t, dtype=torch.int32)
    over = (lengths > context - 1).nonzero().flatten().tolist()
    counts = {"cut_caption_pairs": len(over), "longest_caption_tokens": int(lengths.max()) if len(pairs) else 0}
    if not over:
        return text, lengths, counts, None
    return text, lengths, counts, (
        f"[rsvlm.train] {len(over)} of {counted(len(pairs), 'caption')} ({len(over) / len(pairs):.0%}) "
        f"{'is' if len(over) == 1 else 'are'} longer than the text tower's context holds, the longest "
        f"{counts['longest_caption_tokens']} tokens: each is cut to clip.context_length - 1 = {context - 1} (the "
        f"caption of {pairs[over[0]][0]['id']} is {int(lengths[over[0]])} tokens); clip.context_length="
        f"{counts['longest_caption_tokens'] + 1} would hold them all, at more cost in the text tower (every draw of "
        "one is counted as cut_captions in summary.json)")


def draw(gen: torch.Generator, n: int, weights: torch.Tensor | None, k: int) -> list[int]:
    """``k`` distinct pair indices: a random permutation's head, or weighted without replacement."""
    if weights is None:
        return torch.randperm(n, generator=gen)[:k].tolist()
    return torch.multinomial(weights, k, replacement=False, generator=gen).tolist()
