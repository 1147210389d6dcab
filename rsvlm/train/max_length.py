"""Whether a sample fits ``data.max_length``: one image of each modality before the run is set up
(``check_max_length``, in ``run.preflight``), each training record's shortest sample once the model and
data are (``check_unfit``, before the first step, with the records whose own question runs past it: ``unfit_words``;
those that do not were bad samples found mid-run),
and which records' estimated lengths run past it, to be cut (``cut_records``: they were named one at a
time, the first only, once drawn)."""

from __future__ import annotations

import json
import sys

import torch

from rsvlm.progress import counted, plural
from rsvlm.tokens import IMAGE_TOKEN
from rsvlm.train.config import TrainConfig
from rsvlm.train.inputs import RefusedData


class UnfitRecords(RefusedData, ValueError):
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
        raise ValueError(f"data.max_length={limit} cannot hold one image and an answer: one image is "
                         f"{min(tokens.values())} or more tokens before any text ({each}); raise data.max_length "
                         "above that plus the prompt and answers, or pool the image tokens (model.projector.pool)")
    return tokens


def _shortest(processor, prompt, modality: str) -> dict:
    """The encoding of the shortest record with one image of ``modality`` (its question the image alone, its
    answer one letter) in the model's prompt format (``prompt``: ``model.prompt``), uncut."""
    from rsvlm.data.conversation import record_messages
    from rsvlm.model.processor import Pixels
    from rsvlm.train.data import encode_sample

    rec = {"id": "shortest", "images": [{"modality": modality}],
           "conversations": [{"from": "human", "value": IMAGE_TOKEN}, {"from": "gpt", "value": "x"}]}
    return encode_sample(processor, record_messages(rec, prompt), [Pixels(torch.empty(0), modality)], None)


def shortest_sample(processor, prompt, modality: str) -> int:
    """Tokens up to the first answer token of the shortest sample with one image of ``modality``, in the
    model's prompt format (``prompt``: ``model.prompt``): what ``data.max_length`` must hold at least."""
    from rsvlm.data.conversation import IGNORE_INDEX

    labels = _shortest(processor, prompt, modality)["labels"]
    return next(i for i, t in enumerate(labels) if t != IGNORE_INDEX) + 1


def template_share(processor, prompt, modality: str) -> int:
    """What the prompt format adds to a sample with one image of ``modality`` beyond the index's length
    estimate (``data.build_index``: the turns' text tokens, the visual tokens and ``TEMPLATE_OVERHEAD``
    per turn, no system prompt): the shortest record's true length less its estimate."""
    from rsvlm.train.data import TEMPLATE_OVERHEAD

    text = processor.tokenizer(f"{IMAGE_TOKEN}\nx", add_special_tokens=False)["input_ids"]
    estimate = len(text) + processor.n_tokens[modality] + 2 * TEMPLATE_OVERHEAD
    return len(_shortest(processor, prompt, modality)["input_ids"]) - estimate


def opens_with_system(record_json: str) -> bool:
    """Whether an index record (``build_index``'s JSON, turns written ``{"from": …}`` first) opens on its own
    system turn, which replaces the model's system prompt. A system turn later on (kept where the run's chat
    template writes one) does not: the model's prompt still opens the sample."""
    return '"conversations": [{"from": "system"' in record_json


def sample_lengths(index, processor, prompt) -> list[int]:
    """Each record's estimated length (the index's) with the prompt format's share added (``template_share``,
    the least of its images' modalities; without the system prompt for a record with its own system turn,
    which replaces it)."""
    from dataclasses import replace

    modalities, lengths = index["modality"][:], index["length"][:]  # [:]: a list (datasets' Column reads row by row)
    kinds = sorted({m for mods in set(modalities) if mods != "text" for m in mods.split("+")})
    if not kinds:
        return lengths
    own = [opens_with_system(rec) for rec in index["record"][:]]  # each record's JSON scanned once
    share = {m: template_share(processor, prompt, m) for m in kinds}
    bare = {m: template_share(processor, replace(prompt, system=""), m) for m in kinds} if any(own) else share
    return [n + min((bare if o else share)[m] for m in (kinds if mods == "text" else mods.split("+")))
            for n, mods, o in zip(lengths, modalities, own)]


def unfit_records(index, processor, prompt, max_length: int, ids: set[str] | None = None) -> dict[str, int]:
    """{modality: records} of the training index's records (its ``modality`` column: "optical+sar") with an
    image whose shortest possible sample runs past ``max_length`` before its answer starts
    (``shortest_sample``; with no system prompt for a record with its own system turn, which replaces
    it): each will be a bad sample. The records' JSON is read only where a modality is over. ``ids``: a set
    their ids are added to."""
    from dataclasses import replace

    modalities = index["modality"][:]
    kinds = {m for mods in set(modalities) if mods != "text" for m in mods.split("+")}
    over = {m for m in kinds if shortest_sample(processor, prompt, m) > max_length}
    if not over:
        return {}
    bare = {m for m in over if shortest_sample(processor, replace(prompt, system=""), m) > max_length}
    out: dict[str, int] = {}
    for rec, mods, rid in zip(index["record"][:], modalities, index["id"][:]):
        own = opens_with_system(rec)  # its own system turn may be shorter than the model's
        m = next((m for m in mods.split("+") if m in (bare if own else over)), None)
        if m is not None:
            out[m] = out.get(m, 0) + 1
            if ids is not None:
                ids.add(rid)
    return out


WORDS_CHECKED = 2000  # records at most whose own turns ``unfit_words`` encodes (about a millisecond each)


def unfit_words(index, processor, prompt, max_length: int, skip: set[str] = frozenset(),
                most: int = WORDS_CHECKED) -> tuple[list[tuple[str, str]], int]:
    """([(id, why)], records left unchecked) of the records whose own turns keep them from fitting
    ``max_length`` (a question that runs past it before the answer starts, an image of a later turn that
    would be cut), beyond what ``unfit_records`` finds from their modalities (``skip``: their ids). Those whose
    estimated length (the index's, with the least the prompt format adds to any of the modalities:
    ``template_share``; a record's own system turn may make it shorter, which the encoding finds) runs past
    ``max_length`` are encoded as the data path encodes them, images as their token counts only; ``most`` of
    them at most, the first."""
    from rsvlm.data.conversation import record_messages
    from rsvlm.model.processor import Pixels
    from rsvlm.train.data import encode_sample

    kinds = sorted({m for mods in set(index["modality"][:]) if mods != "text" for m in mods.split("+")})
    least = min((template_share(processor, prompt, m) for m in kinds), default=0)
    ids = index["id"][:]
    over = [i for i, n in enumerate(index["length"][:]) if n + least > max_length and ids[i] not in skip]
    found = []
    for text in index.select(over[:most])["record"] if over else []:
        rec = json.loads(text)
        pixels = [Pixels(torch.empty(0), im["modality"]) for im in rec["images"]]
        try:
            encode_sample(processor, record_messages(rec, prompt), pixels, max_length)
        except ValueError as e:  # what SFTDataset would skip the sample for at every draw
            found.append((rec["id"], str(e)))
    return found, max(0, len(over) - most)


def cut_records(lengths: list[int], ids: list[str], max_length: int, unfit: set[str] = frozenset(),
                show: int = 3) -> str | None:
    """What to say of the records whose estimated length (``sample_lengths``) runs past ``max_length``,
    ``unfit`` ones (bad, not cut) aside, or None: they will be cut from the end, the end of their answers
    not trained; counted, the longest ``show`` named."""
    over = sorted(((n, rid) for n, rid in zip(lengths, ids) if n > max_length and rid not in unfit), reverse=True)
    if not over:
        return None
    named = ", ".join(f"{rid} (~{n})" for n, rid in over[:show]) + (", …" if len(over) > show else "")
    run, they, their, them = ("runs", "it", "its answer", "it") if len(over) == 1 else (
        "run", "they", "their answers", "them")
    return (f"{len(over)} of {len(lengths)} records {run} past data.max_length={max_length} tokens by an estimate, "
            f"{'' if len(over) == 1 else 'e.g. '}{named}: {they} will be cut from the end, the end of {their} not "
            f"trained (counted as cut_samples in summary.json); raise data.max_length to train {them} whole")


def check_unfit(index, processor, cfg: TrainConfig, rank: int) -> list[int] | None:
    """Fail before the first step (UnfitRecords, a ValueError) when more than ``data.max_bad_fraction`` of
    the records cannot fit ``data.max_length``: by their modalities (``unfit_records``) or by their own
    turns (``unfit_words``: a long question); they were bad samples, found once the run was 50 samples in.
    (rank 0) Else name them, and the records that will be cut (``cut_records``), as warnings. Returns (rank 0,
    the one that says them) each record's estimated length (``sample_lengths``); elsewhere None."""
    limit, unfit_ids = cfg.data.max_length, set()
    unfit = unfit_records(index, processor, cfg.model.prompt, limit, unfit_ids)
    words, unchecked = unfit_words(index, processor, cfg.model.prompt, limit, unfit_ids)
    unfit_ids.update(rid for rid, _ in words)
    if unfit_ids:
        n, total = len(unfit_ids), len(index)
        parts = [f"{k} {m} {plural('record', k)}, whose shortest sample runs "
                 f"{shortest_sample(processor, cfg.model.prompt, m)}"
                 f" tokens ({processor.n_tokens[m]} of them the image) before its answer"
                 for m, k in sorted(unfit.items())]
        if words:
            parts.append(f"{counted(len(words), 'record')} whose own turns do not fit (the first, {words[0][0]}: "
                         f"{words[0][1]})")
        what = (f"{'at least ' if unchecked else ''}{n} of {counted(total, 'record')} cannot fit "
                f"data.max_length={limit}: "
                + ", ".join(parts) + "; each would be skipped as a bad sample"
                + (f" ({counted(unchecked, 'more record')} near the limit {'is' if unchecked == 1 else 'are'} found "
                   "as they are drawn)" if unchecked else ""))
        if n / total > cfg.data.max_bad_fraction:
            raise UnfitRecords(f"{what}, more than data.max_bad_fraction={cfg.data.max_bad_fraction}: raise "
                               "data.max_length, pool the image tokens (model.projector.pool), or leave those "
                               "records out")
        if rank == 0:
            print(f"[rsvlm.train] warning: {what}", file=sys.stderr)
    if rank != 0:  # the warnings below are rank 0's, and so is the caller's use of the lengths
        return None
    lengths = sample_lengths(index, processor, cfg.model.prompt)
    if (cut := cut_records(lengths, index["id"][:], limit, unfit_ids)):
        print(f"[rsvlm.train] warning: {cut}", file=sys.stderr)
    return lengths
