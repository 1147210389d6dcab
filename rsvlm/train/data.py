"""Training data: records → ``datasets`` index → lazy samples → length-grouped padded batches.

The index (one row per record: JSON text, id, task, modality, estimated length) is built once
with ``datasets``; images are read and tokenised per sample inside DataLoader workers. A sample
that cannot be read (missing or corrupt image, wrong bands, a conversation that does not fit) comes
back as ``{"bad": True, "id", "error"}`` and the collate function keeps it aside, so the loop can
log and count it without stopping. A sample cut to ``data.max_length`` is trained on as cut and
listed under the batch's ``"cut"``, which the loop counts.

Batch plans are deterministic functions of (seed, epoch, rank): resuming at micro-batch k of an
epoch replays exactly the batches a run that was never stopped would have seen.

Limits: no sequence packing (length grouping only: 1–16 % of a batch's tokens were padding in the
default model's stages); the index lives in memory; lengths are
estimated from the text before the chat template is applied (good enough to group, not exact).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from jinja2 import TemplateError

from rsvlm.advice import for_config
from rsvlm.data.conversation import IGNORE_INDEX, PromptConfig, encode_conversation, record_messages
from rsvlm.data.modality import ModalityFinder, damaged_files
from rsvlm.data.record_fields import pair_problem
from rsvlm.data.records import (
    ReadReport,
    RecordError,
    as_record_fields,
    image_paths,
    read_records,
    with_modalities,
)
from rsvlm.inference import record_inputs
from rsvlm.progress import counted, plural
from rsvlm.train.batch_plan import BATCH_PLAN, epoch_batches  # noqa: F401  (re-exported: D.epoch_batches)
from rsvlm.train.inputs import RefusedData
from rsvlm.train.whole import WholeFiles

TEMPLATE_OVERHEAD = 8  # tokens per turn the chat template adds, for length estimates


def build_index(paths: str | Path | Sequence[str | Path], tokenizer, n_visual_tokens: dict[str, int],
                report: ReadReport, no_stem: Counter | None = None,
                roots: Sequence[str | Path | None] | None = None, progress: bool = True, arrays: dict | None = None,
                late_system: str | None = None, unpaired: list[str] | None = None):
    """A ``datasets.Dataset`` of the valid records of one file or several, in order; its ``source``
    column is the file's position. Malformed lines are counted in ``report`` (one for all files), and so
    are records of a modality the model has no stem for (a key missing from ``n_visual_tokens``) unless
    ``no_stem`` is given: the training loop counts them there by modality, apart, as a config that leaves
    a modality out is no malformed data (they spent ``data.max_bad_fraction``'s share of bad lines).

    An image whose record does not name its modality has it inferred from its file (``roots``: each
    file's image root, as ``SFTDataset`` reads them; None: the file's folder) and written into the
    indexed record, counted in ``report``; a record with such an image whose file cannot be opened is
    left out and counted in ``report`` as skipped (its modality, its stem, its length are unknown).
    ``progress``: a bar while the records are read (once that has taken 2 s: 200k records took 20 s and more,
    unsaid) and while the samples are measured (tokenised). ``arrays``: JSON array files parsed before
    (``records.read_records``), not parsed again. ``late_system``: why the chat format cannot write a system turn
    after a conversation's first (``sft_index.late_system``): a record with one is left out, counted in ``report``
    at its line (it failed at every draw); None: kept. A ``[change]`` record of other than two images (a question
    chat and predict refuse) is left out: with ``unpaired`` given, appended there ("FILE:LINE: record ID: why"), apart
    from ``report``'s malformed lines as ``no_stem`` is; else counted in ``report`` as skipped."""
    from datasets import Dataset

    from rsvlm.progress import bar

    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    roots = list(roots) if roots is not None else [None] * len(paths)
    if len(roots) != len(paths):
        raise ValueError(f"{len(roots)} image roots for {len(paths)} records files")
    rows: dict[str, list] = {"record": [], "id": [], "task": [], "modality": [], "text": [], "n_visual": [],
                             "source": []}
    with ModalityFinder() as finder:
        for source, (path, root) in enumerate(zip(paths, roots)):
            before, said, n_unpaired = len(rows["id"]), len(report.examples), len(unpaired or ())
            stemless = Counter(no_stem or {})  # the files' before it
            records = read_records(path, strict=False, report=report, arrays=arrays)  # a bar once reading has taken 2 s
            for rec in bar(records, desc=f"reading {Path(path).name}", unit="record", delay=2.0,
                           disable=not progress):
                # scanned only where the chat format cannot write a later system turn (None: every record kept)
                if late_system is not None and (late := next(
                        (i for i, t in enumerate(rec["conversations"]) if i and t["from"] == "system"),
                        None)) is not None:
                    report.drop("system turn after the first",
                                f"{path}: record {rec['id']}: {late_system_words(late, late_system)}")
                    continue
                if why := pair_problem(rec["task"], rec["images"]):  # a question chat and predict refuse to ask
                    if unpaired is None:
                        report.unpaired_changes -= 1  # read_records counted it kept: training leaves it out
                        report.drop("[change] record of other than two images", f"{path}: record {rec['id']}: {why}")
                    else:  # not malformed: apart, out of data.max_bad_fraction's share (it tripped it, stop 75)
                        leave_out_unpaired(rec, why, path, report, unpaired)
                    continue
                try:
                    rec = finder.fill(rec, root if root is not None else Path(path).parent, report)
                except RecordError as e:
                    report.drop(e.field, f"{path}: {e}")
                    continue
                mods = [im["modality"] for im in rec["images"]]
                if unfit := sorted(set(mods) - set(n_visual_tokens)):  # would be a bad sample every epoch
                    if no_stem is not None:
                        report.n_ok -= 1
                        no_stem[unfit[0]] += 1
                        continue
                    report.drop(f"modality the model has no stem for: {unfit[0]}",
                                f"{path}: record {rec['id']}: no stem for modality {unfit[0]!r}; the model has "
                                f"{sorted(n_visual_tokens)}")
                    continue
                rows["record"].append(json.dumps(rec))
                rows["id"].append(rec["id"])
                rows["task"].append(rec["task"] or "chat")
                rows["modality"].append("+".join(sorted(set(mods))) or "text")
                rows["text"].append("\n".join(t["value"] for t in rec["conversations"]))
                rows["n_visual"].append(sum(n_visual_tokens[m] for m in mods)
                                        + TEMPLATE_OVERHEAD * len(rec["conversations"]))
                rows["source"].append(source)
            if len(rows["id"]) == before:  # the first reason names the file it could not open (a wrong data.root)
                stemless = Counter(no_stem or {}) - stemless  # was every file's, as a dict, and no advice
                left = (f"; its records of {', '.join(f'{m} ({n})' for m, n in sorted(stemless.items()))} left out: "
                        f"model.stems has no stem for {'that modality' if len(stemless) == 1 else 'those modalities'} "
                        f"(it has {', '.join(sorted(n_visual_tokens))}): add one, or leave the file out") if stemless else ""
                if unpaired and len(unpaired) > n_unpaired:  # the file's own: nothing trainable left of it
                    left += (f"; {counted(len(unpaired) - n_unpaired, '[change] record')} of other than two images "
                             f"left out (first: {unpaired[n_unpaired]})")
                first = f"; the first: {report.examples[said]}" if len(report.examples) > said else ""
                raise ValueError(f"{path}: no usable record ({report.summary()}{left}){first}")
    texts, rows["length"] = rows.pop("text"), []
    with bar(total=len(texts), desc="measuring samples", unit="record", disable=not progress) as shown:
        for i in range(0, len(texts), 1000):  # was a bar of 1000-record chunks: 256 records read "1/1 k records"
            ids = tokenizer(texts[i : i + 1000], add_special_tokens=False)["input_ids"]
            rows["length"] += [len(t) + n for t, n in zip(ids, rows["n_visual"][i : i + 1000])]
            shown.update(len(ids))
    del rows["n_visual"]
    return Dataset.from_dict(rows)


def leave_out_unpaired(rec: dict, why: str, path, report: ReadReport, unpaired: list[str]) -> None:
    """Leave out ``rec``, a [change] record of other than two images (``why``), apart: off ``report``'s records read
    and kept (``read_records`` counted it), one ``FILE:LINE: record ID: why`` appended to ``unpaired``."""
    report.unpaired_changes, report.n_ok = report.unpaired_changes - 1, report.n_ok - 1
    at = report.at[2] if report.at and report.at[3] == rec["id"] else ""
    unpaired.append(f"{path}{at}: record {rec['id']}: {why}")


def late_system_words(at: int, why: str) -> str:
    """What is wrong with a record whose ``conversations[at]`` is a system turn the chat format cannot write
    (``why``: ``sft_index.late_system``), after the caller's name of the record: training's and eval's words."""
    return f"conversations[{at}] is a system turn after the first, which {why}; fold it into the opening one"


def index_digest(index) -> dict:
    """What the batch plans are drawn from: the number of records and a fingerprint of each one's id, file,
    task, modality and estimated length, in order (``epoch_batches`` draws from them)."""
    import hashlib

    h = hashlib.sha256()
    for col in ("id", "source", "task", "modality", "length"):
        h.update(json.dumps(index[col][:]).encode())  # [:]: a list, not datasets' Column read row by row
    return {"n": len(index), "sha256": h.hexdigest()[:16]}


def other_records(saved: dict | None, now: dict) -> str | None:
    """What to say where a resumed run's records (``now``: ``index_digest``) are not the checkpoint's (``saved``;
    None for a step folder from before it was saved): its batches are then not those the stopped run would have
    drawn (the data position points into another plan). None where they are the same."""
    if not saved or saved == now:
        return None
    n = f"{saved['n']} records then, {now['n']} now" if saved["n"] != now["n"] else f"{now['n']} records, but others"
    return (f"the records differ from the checkpoint's ({n}: a file edited, added or given in another order, or "
            "another tokenizer): the batches from here are not those the stopped run would have drawn")


def read_inputs(rec: dict, root, png_checked=None) -> list:
    """``record_inputs``, a decoder's unexpected error on a damaged file a ValueError naming the record's files
    (``damaged_files``), which the data paths count as an unreadable sample. ``png_checked``: PNGs found whole
    before, their pixel data not checked again (``rsvlm.io.pngcheck.check_whole_png``: a set, or
    ``whole.WholeFiles``); those found now added."""
    with damaged_files(", ".join(str(f) for fs in image_paths(rec, root) for f in fs)):
        return record_inputs(rec, root, png_checked)


def encode_sample(processor, messages: list[dict], pixels: list, max_length: int) -> dict[str, list[int]]:
    """Ids and labels (−100 outside assistant turns) in the processor's chat format, the one
    ``rsvlm chat`` prompts with (see ``rsvlm.data.conversation.encode_conversation``)."""
    return encode_conversation(
        processor.tokenizer, messages, processor.image_token_id, [processor.n_visual_tokens(p) for p in pixels],
        max_length, render=processor.chat_prompt, add_special_tokens=True)


class SFTDataset(torch.utils.data.Dataset):
    """Index row → ``{"input_ids", "labels", "images": [Pixels], "task", "modality", "id"}`` or a bad-sample marker.

    ``root``: the image root of every record, or one per source file of ``build_index``.
    ``views``: with more than the identity, item ``k · len(index) + i`` is row i seen in
    ``views[k]`` (``rsvlm.tta``: images flipped or transposed, direction words and shapes mapped);
    a record that cannot be said in that view (``tta.map_text``) is taken as recorded.
    ``band_dropout``: ``{modality: p}``, see ``drop_bands``; drawn from (seed, epoch, item), so a
    sample loses other bands in another epoch (``set_epoch``; the same ones on every read of one).
    ``png_checked``: the PNGs whose pixel data was found whole (``rsvlm.io.pngcheck``), not checked again
    on the next epoch's read: the check costs 30-65% of a decode. A ``whole.WholeFiles``, its size fixed by
    the number of records (a set of every file's key grew with the run, each rewritten file adding one). A
    sample carries the keys its read added (``"png_checked"``; ``collate`` gathers them) for the training
    loop to add here (``note_checked``): a DataLoader worker's copy is lost with it, and the next epoch's
    workers copy this one. A resumed run checks each PNG once more, on its first read.
    """

    def __init__(self, index, root: str | Path | Sequence[str | Path], processor, prompt: PromptConfig,
                 max_length: int, views: Sequence[str] = ("",), band_dropout: dict[str, float] | None = None,
                 seed: int = 0):
        roots = [root] if isinstance(root, (str, Path)) else list(root)
        self.index, self.roots, self.processor = index, [Path(r) for r in roots], processor
        self.prompt, self.max_length, self.views = prompt, max_length, tuple(views)
        self.band_dropout, self.seed, self.epoch = dict(band_dropout or {}), seed, 0
        self.png_checked = WholeFiles(len(index))

    def note_checked(self, keys) -> None:
        """Add ``keys`` (a batch's ``"png_checked"``: PNGs a worker found whole) to ``png_checked``."""
        for k in keys:
            self.png_checked.add(k)

    def set_epoch(self, epoch: int) -> None:
        """The epoch band dropout draws for; set it before the epoch's DataLoader starts its workers."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.index) * len(self.views)

    def __getitem__(self, i: int) -> dict:
        k, i = divmod(int(i), len(self.index))
        row = self.index[i]
        rec = json.loads(row["record"])
        checked = _Noted(self.png_checked)
        try:
            root = self.roots[row.get("source", 0)]
            images = read_inputs(rec, root, checked)  # a modality still unsaid (an index made elsewhere): inferred here
            messages = record_messages(with_modalities(rec, [im.modality for im in images]), self.prompt)
            if self.views[k]:
                images, messages = view_of(images, messages, self.views[k])
            rng = (np.random.default_rng([self.seed, self.epoch, int(i) + k * len(self.index), 0xBD])
                   if self.band_dropout else None)
            pixels, undropped = [], []  # undropped: images band dropout cannot thin (their bands unnamed)
            for im in images:
                stem = self.processor.stems.get(im.modality)
                kept = (drop_bands(im, self.band_dropout.get(im.modality, 0.0), rng, read_channels(stem, im))
                        if rng is not None and stem is not None else im)
                if rng is not None and stem is not None and self.band_dropout.get(im.modality) and (
                        why := unnamed_bands(stem, im)):
                    undropped.append(why)
                if kept is not im and self.processor.missing_bands == "error":  # else a band the file lacks was
                    self.processor.band_notes(im)  # filled in the epochs dropout drew for it, a bad sample in the rest
                pix = self.processor.prepare_image(kept, fill="copy" if kept is not im else None)
                if kept is not im and self.processor.missing_bands == "mean":
                    pix = mean_filled(pix, stem, im)
                pixels.append(pix)
            enc = encode_sample(self.processor, messages, pixels, self.max_length)
        # missing/corrupt image, bad bands, unfit conversation; one a tokenizer's own chat template refuses (its
        # raise_exception: Mistral's "Conversation roles must alternate" on two human turns), which stopped the run
        except (OSError, ValueError, TemplateError) as e:
            return {"bad": True, "id": rec["id"], "error": f"{type(e).__name__}: {for_config(as_record_fields(str(e)))}",
                    "png_checked": checked.new}
        n = enc.pop("n_tokens")
        return {**enc, "images": pixels, "task": row["task"], "modality": row["modality"], "id": rec["id"],
                "cut": n if n > len(enc["input_ids"]) else 0, "undropped": undropped, "png_checked": checked.new}


class _Noted:
    """One read's ``png_checked``: membership from ``seen``; a key added goes to ``seen`` and to ``new`` (what
    the sample carries back from a DataLoader worker to the main process's table)."""

    def __init__(self, seen: WholeFiles):
        self.seen, self.new = seen, []

    def __contains__(self, key) -> bool:
        return key in self.seen

    def add(self, key) -> None:
        self.seen.add(key)
        self.new.append(key)


def read_channels(stem, image) -> list[int]:
    """The channels of ``image`` (an ImageInput) that ``stem`` reads by band name (stand-ins
    included); [] where its bands are unnamed or none match."""
    from rsvlm.model.stem import generic_band_names, match_bands

    if image.bands is None or generic_band_names(image.bands):  # matched by count, not name: a subset cannot be read
        return []
    try:
        match = match_bands(stem, image.bands, image.array.shape[0], image.name, fill="copy")
    except ValueError:
        return []
    return sorted({i for i in match.index if i is not None})


def mean_filled(pixels, stem, image):
    """``pixels`` (band dropout's draw of ``image``, its dropped bands filled with ``copy``) with the bands
    ``image``'s file lacks set to the stem's mean (0 once normalised), as ``data.missing_bands=mean`` fills them in
    the epochs dropout leaves the image whole: they were copies of a present band in the epochs it drew."""
    from rsvlm.model.stem import match_bands

    lacks = [c for c, i in enumerate(match_bands(stem, image.bands, image.array.shape[0], image.name, "mean").index)
             if i is None]
    if lacks:
        pixels.tensor[lacks] = 0.0
    return pixels


def unnamed_bands(stem, image) -> str | None:
    """What band dropout is told where ``image`` (an ImageInput) has two or more bands and no names for them
    (``None`` or a reader's ``b1 … bN``): the stem reads them by their order, so no subset of them can be told
    apart and the image is trained on whole; None where its bands are named (or there is one)."""
    from rsvlm.model.stem import generic_band_names

    n = image.array.shape[0]
    if n < 2 or (image.bands is not None and not generic_band_names(image.bands)):
        return None
    names = f" ({', '.join(image.bands)})" if image.bands else ""
    read = (f", read as the stem's {', '.join(stem.bands)} by their order" if n == len(stem.bands) else
            f" for the stem's {len(stem.bands)} ({', '.join(stem.bands)})")
    return f"{image.name}: {n} unnamed bands{names}{read}"


def drop_bands(image, p: float, rng: np.random.Generator, used: Sequence[int] | None = None):
    """``image`` (an ImageInput) without a random proper subset of ``used`` (the channels the
    model reads, ``read_channels``; None: all), with probability ``p`` when there are two or more
    and the bands are named; else ``image`` itself. Other channels are kept as they are."""
    n = image.array.shape[0]
    used = list(range(n)) if used is None else list(used)
    if len(used) < 2 or image.bands is None or rng.random() >= p:
        return image
    from rsvlm.model import ImageInput

    # 1 … k−1 of the k used bands stay: drawn from all of a 13-band Sentinel-2 file, a 4-band
    # stem's bands were all dropped in about one draw in eight, and the sample was lost as bad
    kept = rng.choice(used, size=int(rng.integers(1, len(used))), replace=False)
    keep = np.sort(np.concatenate([kept, np.setdiff1d(np.arange(n), used)]).astype(int))
    return ImageInput(image.array[keep], image.modality, [image.bands[j] for j in keep], image.name)


def view_of(images: list, messages: list[dict], view: str) -> tuple[list, list[dict]]:
    """(images, messages) of one record seen in ``view`` (``tta.flip_view``); unchanged where a
    turn cannot be said in it, and for a text-only record (no image to see otherwise)."""
    from rsvlm import tta

    if not images:  # flip_view sizes the view by images[0]: an IndexError ended the run's DataLoader
        return images, messages
    return tta.flip_view(images, messages, view) or (images, messages)


def with_views(batches: list[list[int]], n: int, n_views: int, seed: int, epoch: int) -> list[list[int]]:
    """``batches`` of row indices with each index moved to a random view's block (``SFTDataset``);
    the same call gives the same draw, so a resumed run sees the same views."""
    if n_views == 1:
        return batches
    rng = np.random.default_rng([seed, epoch, 0x7A])
    return [[i + n * int(v) for i, v in zip(b, rng.integers(n_views, size=len(b)))] for b in batches]


def collate(samples: list[dict], pad_id: int) -> dict:
    """Right-pad to the longest sample → ``input_ids``/``attention_mask``/``labels`` (B,T) + side info.

    Bad samples are dropped here and listed under ``"bad"`` as (id, error); samples cut to the
    maximum length stay and are listed under ``"cut"`` as (id, length before the cut), images band
    dropout could not thin (``unnamed_bands``) under ``"undropped"`` as (id, what it was told), and the
    keys of PNGs found whole by these reads (bad samples' too) under ``"png_checked"`` (``SFTDataset``).
    """
    good = [s for s in samples if not s.get("bad")]
    width = max((len(s["input_ids"]) for s in good), default=0)
    ids = torch.full((len(good), width), pad_id, dtype=torch.long)  # (B,T)
    mask = torch.zeros((len(good), width), dtype=torch.long)  # (B,T)
    labels = torch.full((len(good), width), IGNORE_INDEX, dtype=torch.long)  # (B,T)
    for b, s in enumerate(good):
        n = len(s["input_ids"])
        ids[b, :n] = torch.tensor(s["input_ids"])
        labels[b, :n] = torch.tensor(s["labels"])
        mask[b, :n] = 1
    return {
        "input_ids": ids, "attention_mask": mask, "labels": labels,
        "images": [s["images"] for s in good],
        "tasks": [s["task"] for s in good], "modalities": [s["modality"] for s in good],
        "ids": [s["id"] for s in good],
        "bad": [(s["id"], s["error"]) for s in samples if s.get("bad")],
        "cut": [(s["id"], s["cut"]) for s in good if s.get("cut")],
        "undropped": [(s["id"], why) for s in good for why in s.get("undropped", ())],
        "png_checked": [k for s in samples for k in s.get("png_checked", ())],
        "n_samples": len(samples),
    }


class MixtureError(RefusedData, ValueError):
    """``data.task_weights`` or ``data.modality_weights`` that do not fit the records (a group not in them,
    every group weighted 0): found alike on every rank once the records are read, before the build (exit 2)."""


def mixture_weights(tasks: list[str], modalities: list[str], task_temperature: float = 1.0,
                    modality_temperature: float = 1.0, task_weights: dict | None = None,
                    modality_weights: dict | None = None,
                    sample_weights: Sequence[float] | None = None) -> np.ndarray | None:
    """Per-sample sampling probabilities, or None when the data's own mixture is kept.

    For each grouping (task, then modality) a group g of n_g samples gets probability
    ∝ n_g^(1/T) × weight_g, shared evenly by its samples; the two factors multiply. T > 1
    flattens the mixture towards uniform over groups; weights up- or down-sample named groups.
    ``sample_weights`` (one per sample, e.g. its file's ``data.extra`` weight) multiply last, so
    they also shift group shares: group sizes are counted, not weighted.
    """
    task_weights, modality_weights = dict(task_weights or {}), dict(modality_weights or {})
    if sample_weights is not None and len(sample_weights) != len(tasks):
        raise ValueError(f"{len(sample_weights)} sample weights for {len(tasks)} samples")
    flat = sample_weights is None or all(x == 1 for x in sample_weights)
    if task_temperature == 1 and modality_temperature == 1 and not task_weights and not modality_weights and flat:
        return None
    w = np.ones(len(tasks))
    for name, keys, temp, explicit in (("task", tasks, task_temperature, task_weights),
                                       ("modality", modalities, modality_temperature, modality_weights)):
        counts = Counter(keys)
        unknown = sorted(set(explicit) - set(counts))
        if unknown:
            raise MixtureError(f"data.{name}_weights names {unknown}, not in the data (have {sorted(counts)})")
        p = {g: n ** (1.0 / temp) * float(explicit.get(g, 1.0)) for g, n in counts.items()}
        z = sum(p.values())
        if z <= 0:
            raise MixtureError(f"data.{name}_weights gives every {name} in the data ({sorted(counts)}) weight 0: "
                             "nothing to draw")
        w *= np.array([p[k] / z / counts[k] for k in keys])
    if sample_weights is not None:
        w *= np.asarray(sample_weights, dtype=float)
    return w / w.sum()


EMPTY_EPOCHS = 10  # weighted epochs in a row without a full global batch before a run gives up


def undrawn_groups(groups: list[str], weights: np.ndarray | None, global_batch: int,
                   world_size: int = 1) -> list[str]:
    """What ``epoch_batches(grouped=True)`` never (or only in some epochs) draws: a group of fewer
    samples than one global batch (by its expected draws under ``weights``) is a dropped tail in
    every epoch. ``data.batching=naive`` is suggested on one process only: on several, batches of
    mixed modalities are refused (the ranks' ZeRO reductions would differ)."""
    counts, arr = Counter(groups), np.asarray(groups)
    notes = []
    for g, n in sorted(counts.items()):
        expected = n if weights is None else float(np.sum(weights[arr == g])) * len(groups)
        if expected < 1e-9:  # weighted 0 (align's modality_weights ir: 0): left out by choice, was 'add records'
            continue
        if expected < global_batch - 1e-6:  # float sums of weights land just under a whole batch
            are = "is" if n == 1 else "are"
            said = (f"{are} fewer than one global batch ({global_batch}) and {are} never drawn" if weights is None else
                    f"{are} drawn {expected:.1f} times an epoch on average, fewer than one global batch "
                    f"({global_batch}), so rarely trained on,")  # 160 of them were said 'fewer than 32'
            # cheapest first: a weight is one config edit, batch_size changes the recipe, records cost data
            f = None if weights is None else lift(expected, len(groups), global_batch)
            raise_weight = [] if f is None else [f"raise its weight (data.modality_weights: {{{g or 'untagged'}: {f:.12g}}}, "
                                                 "or that many times a weight set there)"]
            fixes = [*raise_weight, "lower batch_size", *(["set data.batching=naive"] if world_size == 1 else []),
                     "add records of it"]
            notes.append(f"{n} {g or 'untagged'} {plural('record', n)} {said} with data.batching=length_grouped (batches hold "
                         f"one modality); {', '.join(fixes[:-1])}, or {fixes[-1]}")
    return notes


def lift(expected: float, n: int, global_batch: int) -> float | None:
    """The factor on a group's weight that makes its ``expected`` draws of ``n`` a whole ``global_batch`` (None
    where an epoch is shorter than one): raising one group's weight renormalises the others, so its share p
    becomes f·p / (f·p + 1 − p)."""
    p, q = expected / n, global_batch / n
    return None if q >= 1 else math.ceil(q * (1 - p) / (p * (1 - q)) * 10) / 10


def non_pad_fraction(attention_mask: torch.Tensor) -> float:
    """Share of real tokens in a padded (B,T) batch (1.0 = no padding)."""
    return float(attention_mask.sum()) / max(1, attention_mask.numel())
