"""The LM loop's micro-batches: the plan checks made before the first step, the counts of the samples a
micro-batch skipped or cut, and the zero-weight stand-in for one with no readable sample."""

from __future__ import annotations

import sys
from collections import Counter

from rsvlm.progress import counted
from rsvlm.train import data as D
from rsvlm.train.inputs import RefusedData


class DataPlanError(RefusedData, ValueError):
    """The data cannot make the batches the config asks for (every rank finds it alike, from the same index)."""


def find_stand_in(dataset, groups: list[str], key: tuple[str, ...], pad_id: int, tries: int = 64) -> dict | None:
    """A collated one-sample batch of the first readable record (of ``tries``) whose group is in ``key``, or
    None: the zero-weight stand-in for a rank's all-bad micro-batch, which must run the stems and encoders
    the other ranks' micro-batches run (ZeRO reduces their gradients: another's aborted the run)."""
    for i in [i for i, g in enumerate(groups) if g in key][:tries]:
        if not (sample := dataset[i]).get("bad"):  # view 0, the image as it is
            return D.collate([sample], pad_id)
    return None


class StandIns:
    """What stands in, with zero weight, for a micro-batch of bad samples only: the last micro-batch with a
    readable sample (one process), or, on several, the last one of the same modality group (else the first
    readable record of it: ``find_stand_in``), so every rank runs the same stems and encoders in a step."""

    def __init__(self, dataset, groups: list[str], world: int, pad_id: int):
        self.dataset, self.groups, self.world, self.pad_id = dataset, groups, world, pad_id
        self.last_good: dict | None = None  # the last micro-batch with a readable sample
        self.by_key: dict[tuple[str, ...], dict | None] = {}  # the last such of each modality group

    def update(self, batch: dict, planned: list[int]) -> dict | None:
        """The stand-in ``batch`` would take were it empty (``planned``: its samples' plan indices, views
        included), after keeping ``batch`` as the next one's when it is not."""
        empty = batch["input_ids"].shape[0] == 0
        stand_in, key = self.last_good, None
        if self.world > 1:  # ZeRO reduces the gradients of the stems and encoders the others' micro-batches ran
            key = tuple(sorted({self.groups[i % len(self.groups)] for i in planned}))
            if empty and key not in self.by_key:
                self.by_key[key] = find_stand_in(self.dataset, self.groups, key, self.pad_id)
            stand_in = self.by_key.get(key)
        if not empty:
            self.last_good = batch
            if key is not None:
                self.by_key[key] = batch
        return stand_in


def count_dropped(state: dict, batch: dict, rank: int, max_length: int) -> None:
    """Count ``batch``'s bad samples (every draw; each of the first 1000 named once, not every epoch), cut
    ones and images band dropout could not thin (the first of each named, then counted) in ``state``, for
    summary.json."""
    for rid, err in batch["bad"]:
        state["bad"] += 1
        if rid in state["bad_ids"]:
            continue
        if len(state["bad_ids"]) < 1000:
            state["bad_ids"].append(rid)
        state.setdefault("first_bad", f"{rid}: {err}")
        print(f"[rsvlm.train] rank {rank}: skipped sample {rid}: {err}", file=sys.stderr)
    for rid, n in batch["cut"]:  # trained on as cut
        if not state.get("cut"):
            print(f"[rsvlm.train] rank {rank}: sample {rid} is {n} tokens, cut to data.max_length={max_length}: the "
                  "end of its answer is not trained (cut samples are counted in summary.json)", file=sys.stderr)
        state["cut"] = state.get("cut", 0) + 1
        if len(state.setdefault("cut_ids", [])) < 1000:
            state["cut_ids"].append(rid)
    for rid, why in batch.get("undropped", ()):  # was: trained on all its bands, unsaid
        if not state.get("undropped"):
            print(f"[rsvlm.train] rank {rank}: data.band_dropout: sample {rid}: {why}: which of them to drop cannot "
                  "be told, so it is trained on all of them; name them in the record's image \"bands\" (such "
                  "images are counted as band_dropout_unnamed in summary.json)", file=sys.stderr)
        state["undropped"] = state.get("undropped", 0) + 1


def check_naive_groups(batching: str, world: int, groups: list[str]) -> None:
    """DataPlanError where ``data.batching=naive`` would give the ranks of a step micro-batches of other
    modalities, hence other stems and encoders, whose gradients ZeRO cannot reduce (a gloo abort)."""
    if world > 1 and batching == "naive" and len(set(groups)) > 1:
        by = ", ".join(f"{n} {g}" for g, n in sorted(Counter(groups).items()))
        raise DataPlanError(f"data.batching=naive on {world} processes with records of several modalities ({by}): "
                            "the ranks of a step would run other stems and encoders, which ZeRO cannot reduce; use "
                            "data.batching=length_grouped (each global batch of one modality)")


def short_of_batch(n_by_group: dict[str, int], batch_size: int, world: int, grouped: bool) -> str:
    """What to change where no global batch fills: the largest ``batch_size`` that fills one, and
    ``data.batching=naive`` only where it would help (one process, enough records of all groups together)."""
    total, most = sum(n_by_group.values()), max(n_by_group.values(), default=0)
    fits = (most if grouped else total) // world
    fix = (f"batch_size={fits} or lower" if fits else f"fewer processes than {world} (there are fewer "
           f"{'records of any one modality' if grouped else 'records'})")
    return fix + (", or data.batching=naive" if grouped and world == 1 and total >= batch_size
                  else "") + ", or add records"


def no_full_batch(path: str, groups: list[str], batch_size: int, world: int, grouped: bool,
                  weighted: bool) -> DataPlanError:
    """The error for records (``groups``: each one's modality group) that fill no global batch."""
    by = ", ".join(f"{n} {m}" for m, n in sorted(Counter(groups).items()))
    return DataPlanError(f"{path}: {counted(len(groups), 'record')} ({by}) cannot fill one global batch of {batch_size * world} "
                         f"(batch_size={batch_size} × {counted(world, 'process')}"
                         + (", one modality a batch" if grouped else "")
                         + (f", in {D.EMPTY_EPOCHS} epochs of weighted draws" if weighted else "")
                         + f"): give {short_of_batch(Counter(groups), batch_size, world, grouped)}")
