"""The LM loop's records, read, indexed and checked before the model is built or ``out_dir`` written.

The index needs the tokenizer and each modality's visual-token count, which the config gives without a model
(``data_processor``), so a records file, ``batch_size`` or ``data.batching`` that cannot give the run's
batches (one modality a batch, ``no_full_batch``; several modalities under naive batching on several processes,
``check_naive_groups``) fails before the model is built (minutes for a 7B) and out_dir written, where it was
found after.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rsvlm.data.records import ReadReport
from rsvlm.progress import counted, plural
from rsvlm.train import data as D
from rsvlm.train.batches import check_naive_groups, no_full_batch
from rsvlm.train.inputs import records_sources


@dataclass
class TrainData:
    """What ``read_train_data`` found: the index (``data.build_index``) and what the loop reads of it."""

    index: object  # datasets.Dataset: record, id, task, modality, source, length
    report: ReadReport  # malformed lines, duplicates, inferred modalities of all the files
    no_stem: Counter  # records left out by modality: model.stems has no stem for it
    unpaired: list[str]  # [change] records of other than two images left out ("FILE:LINE: record ID: why")
    roots: list[Path]  # each file's image root
    weights: np.ndarray | None  # per-record draw probability (mixture_weights); None: the data's own mixture
    sample_lengths: list[int] | None  # (rank 0) each record's estimated length in the prompt format (check_unfit)
    n_tokens: dict[str, int]  # the visual tokens per image of each modality the lengths were counted with


def data_processor(cfg, tokenizer=None):
    """A ``Processor`` for the index and its checks, without the model: the tokenizer as ``llm.build_llm`` loads
    it (``model.llm.tokenizer`` or ``name_or_path``, else the byte tokenizer; or ``tokenizer``, loaded so before;
    rsvlm's tokens added) and each
    modality's visual tokens counted from the config (``checks.image_tokens``, as the built model counts them).
    A build on the meta device failed where a hub LLM's embeddings grow (mean resizing reads values)."""
    from rsvlm.model.checks import image_tokens
    from rsvlm.model.llm import llm_tokenizer
    from rsvlm.model.processor import Processor
    from rsvlm.tokens import add_special_tokens

    llm = cfg.model.llm
    tokenizer = tokenizer or llm_tokenizer(llm)  # as build_llm loads it ('~/models/x' expanded)
    ids = add_special_tokens(tokenizer)
    stems, encoders = cfg.model.stems, cfg.model.encoders
    return Processor(dict(stems), {m: encoders[s.encoder].image_size for m, s in stems.items()},
                     image_tokens(cfg.model), tokenizer, ids.image, llm.chat_template, cfg.model.prompt)


LATE_SYSTEM_PROBE = "late system turn probe"  # the text of the probe's second system turn


def late_system(processor, template: str | None) -> str | None:
    """Why the run's chat format (``processor.chat_prompt``; ``template``: ``model.llm.chat_template``) cannot
    write a system turn after a conversation's first, or None where it writes one: probed once, on [system, user,
    assistant, system, user, assistant]. rsvlm's registry templates take one system turn, opening the conversation
    ("role must be user or assistant"); a tokenizer's own may take more (Qwen2.5's) or raise (Mistral's), or leave
    the later one's text out, which is said as not written."""
    from jinja2 import TemplateError

    turns = ["system", "user", "assistant", "system", "user", "assistant"]
    probe = [{"role": r, "content": LATE_SYSTEM_PROBE if i == 3 else f"{r} {i}"} for i, r in enumerate(turns)]
    name = ("the tokenizer's own chat template (model.llm.chat_template: null)" if processor.template is None
            else f"the chat template {template or 'rsvlm'} (model.llm.chat_template)")
    try:
        text = processor.chat_prompt(probe, add_generation_prompt=False)
    except (ValueError, TemplateError) as e:
        return f"{name} cannot write ({str(e).removeprefix('message 3: ')})"  # the probe's message, not the record's
    return None if LATE_SYSTEM_PROBE in text else f"{name} leaves out (its text is not in the prompt)"


def undropped_modalities(band_dropout: dict[str, float], groups: list[str]) -> str | None:
    """What ``data.band_dropout`` asks of modalities no record has an image of (a group is ``optical+sar``),
    or None: it drops nothing there, and was unsaid."""
    present = {m for g in set(groups) for m in g.split("+")}
    absent = sorted(m for m, p in band_dropout.items() if p > 0 and m not in present)
    if not absent:
        return None
    one = len(absent) == 1
    return (f"data.band_dropout names {', '.join(absent)}, but no record has "
            f"{'such an image' if one else 'images of them'} (the records' modalities: "
            f"{', '.join(sorted(present - {'text'})) or 'none'}): nothing of {'it' if one else 'them'} is dropped")


def past_context(lengths: list[int], max_length: int, context: int | None) -> str | None:
    """Why records longer than the LLM's ``context`` are a problem, or None: ``max_length`` above it
    lets them train positions that chat and eval never ask about (they refuse prompts past it)."""
    if context is None or max_length <= context:
        return None
    n = sum(min(n, max_length) > context for n in lengths)
    return (f"{counted(n, 'record')} {'runs' if n == 1 else 'run'} past the LLM's context of {context} tokens (data.max_length={max_length} "
            f"lets them through): their later tokens train positions the model is never asked at (rsvlm eval "
            f"and chat refuse prompts past the context); set data.max_length={context} or raise "
            "model.llm.config.max_position_embeddings") if n else None


def check_batches(cfg, world: int, lengths: list[int], modalities: list[str], weights: np.ndarray | None,
                  path: str) -> None:
    """DataPlanError where the records fill no global batch as the loop's first epoch draws them (with weights:
    in none of ``D.EMPTY_EPOCHS`` epochs, as the loop gives up); the loop draws each later epoch alike."""
    grouped = cfg.data.batching == "length_grouped"
    for epoch in range(D.EMPTY_EPOCHS if weights is not None else 1):
        if D.epoch_batches(lengths, cfg.batch_size, world, 0, cfg.seed, epoch, grouped, cfg.data.group_factor,
                           weights, modalities):
            return
    raise no_full_batch(path, modalities, cfg.batch_size, world, grouped, weights is not None)


def tail_note(modalities: list[str], cfg, world: int) -> str | None:
    """The records each epoch's (unweighted) plan draws twice to fill the last global batch of each modality
    (under ``length_grouped``; a modality short of one batch is ``undrawn_groups``'s), where the run reaches an
    epoch's end; else None. Which records they are changes with each epoch's shuffle: it cannot name them."""
    gbs, grouped = cfg.batch_size * world, cfg.data.batching == "length_grouped"
    counts = Counter(modalities) if grouped else Counter({"": len(modalities)})
    fill = sum(-n % gbs for n in counts.values() if n >= gbs)
    batches = sum(-(-n // gbs) for n in counts.values() if n >= gbs)
    if not fill or cfg.max_steps * cfg.grad_accum < batches:  # the run ends inside its 1st epoch
        return None
    return (f"each epoch draws {counted(fill, 'record')} of {len(modalities)} twice, to fill "
            f"{'each modality' + chr(39) + 's' if grouped else 'its'} last global batch of {gbs} (batch_size="
            f"{cfg.batch_size} × {counted(world, 'process')}; grad_accum does not change it): every record is "
            f"trained each epoch; which are drawn twice changes from epoch to epoch{dividing_batch(counts, cfg.batch_size, world)}")


def dividing_batch(counts: Counter, batch_size: int, world: int) -> str:
    """"; batch_size=B …" for the largest B (2 <= B < ``batch_size``) whose global batch divides every group of
    ``counts`` it draws (none drawn twice; a group short of one is never drawn, as ever), else ""."""
    for b in range(batch_size - 1, 1, -1):
        drawn = [n for n in counts.values() if n >= b * world]
        if drawn and all(n % (b * world) == 0 for n in drawn):
            whose = ("the records" if len(counts) == 1 else "each modality's records" if len(drawn) == len(counts)
                     else "the records of each modality it draws")
            return f"; batch_size={b} (a global batch of {b * world}) divides {whose}: none drawn twice"
    return ""


def read_train_data(cfg, rank: int, world: int, arrays: dict | None = None, processor=None) -> TrainData:
    """The records of ``data.train`` and ``data.extra`` indexed with ``data_processor`` (``processor``: one made
    before; ``arrays``: JSON array files parsed before, ``inputs.check_enough_records``) and checked as the loop
    draws them (records with a system turn after the first left out where the chat format cannot write one,
    ``late_system``): too many malformed lines or unfit records, no full global batch, naive batching of several
    modalities on several processes refused; (rank 0) records left out for want of a stem and modalities too few
    for a batch said on stderr."""
    from rsvlm.train.max_length import check_unfit
    from rsvlm.train.run import check_malformed

    processor = processor or data_processor(cfg)
    sources = records_sources(cfg)
    paths, roots, file_weights = [Path(s.path) for s in sources], [s.image_root for s in sources], [
        s.weight for s in sources]
    report, no_stem, unpaired = ReadReport(" + ".join(map(str, paths))), Counter(), []
    index = D.build_index(paths, processor.tokenizer, dict(processor.n_tokens), report, no_stem, roots,
                          cfg.log.progress and rank == 0, arrays=arrays,
                          late_system=late_system(processor, cfg.model.llm.chat_template), unpaired=unpaired)
    if unpaired and rank == 0:  # apart from malformed lines: they spent data.max_bad_fraction's share (stop 75)
        print(f"[rsvlm.train] {counted(len(unpaired), '[change] record')} of other than two images left out (a "
              f"question chat and predict refuse to ask; first: {unpaired[0]}); counted as unpaired_change_records "
              "in summary.json, not as malformed", file=sys.stderr)
    if no_stem and rank == 0:
        print(f"[rsvlm.train] {', '.join(f'{n} {m}' for m, n in sorted(no_stem.items()))} "
              f"{plural('record', sum(no_stem.values()))} left out: "
              f"model.stems has no stem for {'that modality' if len(no_stem) == 1 else 'those modalities'} (it has "
              f"{', '.join(cfg.model.stems)}); counted as no_stem_records in summary.json, not as malformed",
              file=sys.stderr)
    modalities = index["modality"][:]  # [:]: a list; datasets' Column reads the table row by row at each use
    try:  # was a plain ValueError: exit 1, though found before the build; and no file named
        weights = D.mixture_weights(index["task"][:], modalities, cfg.data.task_temperature,
                                    cfg.data.modality_temperature, cfg.data.task_weights, cfg.data.modality_weights,
                                    [file_weights[i] for i in index["source"][:]])
    except D.MixtureError as e:
        raise D.MixtureError(f"{report.path}: {e}") from None
    check_malformed(report, cfg, rank)
    if rank == 0:  # was unsaid: an RGB stem read 3 of a 13-band file's bands, the rest left out, without a word
        for note in band_notes(index, roots, processor):
            print(f"[rsvlm.train] note: {note}", file=sys.stderr)
    if rank == 0 and (note := undropped_modalities(cfg.data.band_dropout, modalities)):
        print(f"[rsvlm.train] warning: {note}", file=sys.stderr)
    sample_lengths = check_unfit(index, processor, cfg, rank)  # before the first step: bad samples mid-run
    check_naive_groups(cfg.data.batching, world, modalities)  # was found at the first step, then once built
    check_batches(cfg, world, index["length"][:], modalities, weights, report.path)
    if cfg.data.batching == "length_grouped" and rank == 0:  # after: each group's note came before the refusal
        for note in D.undrawn_groups(modalities, weights, cfg.batch_size * world, world):
            print(f"[rsvlm.train] warning: {note}", file=sys.stderr)
    if weights is None and rank == 0 and (note := tail_note(modalities, cfg, world)):
        print(f"[rsvlm.train] note: {note}", file=sys.stderr)
    return TrainData(index, report, no_stem, unpaired, roots, weights, sample_lengths, dict(processor.n_tokens))


def band_notes(index, roots: list, processor) -> list[str]:
    """What the stems assume of the bands of the first record of each modality (``processor.band_notes``, as
    ``rsvlm eval`` says them, its routine ones left out as there): bands left out, aliases, stand-ins, fills.
    Other records of the modality may differ; a record that cannot be read is the loop's bad sample, not said here."""
    import json

    from rsvlm.advice import for_config
    from rsvlm.data.records import as_record_fields
    from rsvlm.eval_reading import ReadNotes

    groups = index["modality"][:]
    notes, seen = [], set()
    for key in sorted(set(groups) - {"text", ""}):  # the first row of each modality set, read once
        row = index[groups.index(key)]
        rec = json.loads(row["record"])
        try:
            for im in corner_inputs(rec, roots[row.get("source", 0)]):
                if im.modality in seen:
                    continue
                seen.add(im.modality)
                said = ReadNotes()
                said.add(rec["id"], processor.band_notes(im))
                notes += [f"{im.modality} (the first such record, {rec['id']}; others may differ): "
                          f"{for_config(as_record_fields(k[2]))}"
                          for k in said.kinds.values()]
        except (OSError, ValueError):
            continue
    return notes


def corner_inputs(rec: dict, root, side: int = 8) -> list:
    """``rec``'s images as training reads them (``D.read_inputs``: modality, bands and their count), a ``side`` px
    corner of each: ``band_notes`` needs no more (the scene's sample, which names and keeps its bands, is still
    read). Read whole, a 4000² 13-band GeoTIFF held start-up 29 s and 2.9 GB (its corner: 2 s)."""
    from rsvlm.data.modality import damaged_files
    from rsvlm.data.records import image_paths
    from rsvlm.inference import model_input
    from rsvlm.io import SceneReader

    out = []
    for files, im in zip(image_paths(rec, root), rec["images"]):
        with damaged_files(", ".join(map(str, files))), SceneReader(
                files if len(files) > 1 else files[0], im.get("modality"), im.get("bands")) as scene:
            out.append(model_input(scene.read((0, 0, min(side, scene.width), min(side, scene.height)))))
    return out
