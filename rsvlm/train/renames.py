"""Saves killed between their two renames: a step folder's (``checkpoint.commit``: ``step_N`` set aside as
``step_N.old``, ``step_N.tmp`` not yet renamed) or ``final/``'s (``loop.save_final``: ``final.old`` and
``final.tmp``). Neither is a folder a resume or ``ckpt.resume=auto`` sees, so a resume picked an earlier step (or
none: step 0). ``finish_renames`` puts the whole ``.tmp`` in its place, as the save would have.

Every rank may call it at once (each before the process group forms): a rename another process made first fails
here and is let be, so all end with the same folders. Cannot: finish a ``.tmp`` that is not whole (a later save of
the same step cut while writing it): that state is left as it is, and said."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def step_world(folder: Path) -> int:
    """How many processes saved step folder ``folder``: the ``world`` its rank-0 trainer state records (saved since
    tour 82), else one more than the highest rank a per-rank file of it names; 0 where neither says."""
    import json
    import re

    ranks = [int(m[1]) for p in Path(folder).glob("*_rank*")
             if (m := re.fullmatch(r"(?:rng|trainer_state)_rank(\d+)\.(?:json|safetensors)", p.name))]
    try:
        world = json.loads((Path(folder) / "trainer_state_rank0.json").read_text()).get("world")
    except (OSError, ValueError, AttributeError):
        world = None
    return max([world if isinstance(world, int) else 0, *(r + 1 for r in ranks)])


def lost_ranks(folder: Path) -> str | None:
    """Where a rank of the processes that saved step folder ``folder`` (``step_world``) left no trainer state (it wrote
    none of its files, or was stopped before its last): ``checkpoint.check_world``'s refusal naming what the folder
    lacks (was: taken for a folder saved by fewer processes, a resume with that number offered); else None."""
    from rsvlm.train import checkpoint as ckpt

    if (world := step_world(folder)) <= ckpt.saved_world(folder):
        return None
    lacks = [n for r in range(world) for n in ckpt.step_files(r, False)[-3:] if not (Path(folder) / n).exists()]
    return (f"ckpt.resume: {folder} lacks {', '.join(lacks)} (a half-written step folder: {world} processes saved "
            f"it{ckpt.step_before(Path(folder))})")


def step_tmp_gaps(tmp: Path, old: Path) -> list[str]:
    """What step folder ``tmp`` lacks of the files a resume reads, or holds cut (a JSON or safetensors header that
    does not parse), for every rank that saved it or ``old`` (the step folder it replaces; ``step_world``: a rank
    that wrote nothing was taken for a smaller world where the files alone were counted), and (DeepSpeed) of the
    files ``old``'s ``deepspeed/`` holds (the same step: the same shard names). Empty: whole."""
    from rsvlm.train import checkpoint as ckpt

    deepspeed = (tmp / "deepspeed").is_dir()
    names = list(ckpt.CLIP_STEP_FILES if ckpt.clip_step(tmp) else ckpt.step_files(0, deepspeed))
    for rank in range(max(step_world(tmp), step_world(old), 1)):
        names += ckpt.step_files(rank, deepspeed)[-3:]  # each rank's own three
    gaps = [n for n in dict.fromkeys(names) if not ckpt.whole_file(tmp / n)]
    if deepspeed and (old / "deepspeed").is_dir():
        shards = sorted(p.relative_to(old) for p in (old / "deepspeed").rglob("*") if p.is_file())
        gaps += [str(p) for p in shards if not (tmp / p).is_file()]
    return gaps


def whole_step_tmp(tmp: Path, old: Path) -> bool:
    """Whether step folder ``tmp`` holds every file a resume reads, whole (``step_tmp_gaps`` finds none missing)."""
    return not step_tmp_gaps(tmp, old)


def gaps_said(gaps: list[str], tmp: Path, old: Path) -> str:
    """``gaps`` (``step_tmp_gaps(tmp, old)``) for a message: the first few, and how many processes saved the step."""
    world = max(step_world(tmp), step_world(old))
    return (f"{', '.join(gaps[:6])}{' …' if len(gaps) > 6 else ''}"
            + (f"; {world} processes saved it" if world > 1 else ""))


def unfinished_save(step: Path, then: str) -> str | None:
    """What step folder ``step`` is where its name says it is no finished save, for the user about to ``then`` it
    ("export", "resume"): ``step_N.tmp`` (every rank writes a step there and rank 0 renames it ``step_N``: the save
    was stopped before that) or ``step_N.old`` (set aside to be deleted, which the run's next save does); whether a
    ``.tmp``'s files are whole (``whole_step_tmp``), and the folder to take instead: ``step_N``, else the other of
    the two beside it where whole (a save killed between its renames leaves both), else the last whole step before.
    None for any other name."""
    import re

    from rsvlm.train.checkpoint import step_before, whole_step

    if not (m := re.fullmatch(r"(step_\d+)\.(tmp|old)", Path(step).name)) or not Path(step).is_dir():
        return None
    done = Path(step).with_name(m[1])
    tmp, old = done.with_name(f"{m[1]}.tmp"), done.with_name(f"{m[1]}.old")
    gaps = step_tmp_gaps(tmp, old) if m[2] == "tmp" else []
    whole = not gaps if m[2] == "tmp" else whole_step(old)

    def take(folder: Path) -> str:
        return "export it instead" if then == "export" else f"resume from it instead, ckpt.resume={folder}"

    if done.is_dir():
        instead = f"; {done} is that step's finished save: {take(done)}"
    elif m[2] == "old" and tmp.is_dir() and whole_step_tmp(tmp, old):  # was: the step before offered
        instead = f"; {tmp} beside it is that step's later save, its files whole: {take(tmp)}"
    elif m[2] == "tmp" and not whole and old.is_dir() and whole_step(old):  # was: the step before offered
        instead = f"; {old} beside it is that step's earlier save, whole (the run's next save deletes it): {take(old)}"
    else:
        instead = "" if whole else step_before(done, then)
    done_as = "exported" if then == "export" else "resumed from"
    if m[2] == "old":
        return (f"{step}: a step folder set aside to be deleted (the run saved {m[1]} again, or ckpt.keep pruned it): "
                f"the run's next save deletes it{', an export reading it too' if then == 'export' else ''}"
                + (instead or (f"; its files are there and parse, so it is {done_as} as that step" if whole else "")))
    return (f"{step}: an unfinished save of {m[1]} (every process writes a step into {m[1]}.tmp and the run renames "
            f"it {m[1]} once all have; it was stopped before that): "
            + (f"its files are there and parse, so it is {done_as} as that step" if whole
               else f"some of its files are missing or cut ({gaps_said(gaps, tmp, old)})") + instead)


# what save_final writes, train_config.yaml last
MODEL_FILES = ("config.yaml", "vision.safetensors", "train_config.yaml")


def whole_model(tmp: Path, old: Path | None = None) -> bool:
    """Whether ``final.tmp`` holds a whole model as ``loop.save_final`` writes it (``MODEL_FILES``; its
    ``train_config.yaml`` is written last), every safetensors header in it parsing."""
    from rsvlm.train.checkpoint import whole_file

    return all((tmp / n).is_file() for n in MODEL_FILES) and all(whole_file(p) for p in tmp.rglob("*.safetensors"))


def finish_rename(folder: Path, whole, what: str) -> str | None:
    """Where ``folder`` is not there but ``folder.old`` and ``folder.tmp`` are (a save killed between its two
    renames): ``folder.tmp`` renamed to ``folder`` where ``whole(tmp, old)`` says it is whole (True, or a list of
    what it lacks, ``step_tmp_gaps``'s, empty), ``folder.old`` removed; the line saying what was done (or, where the ``.tmp`` is not whole, that it was left); None where
    ``folder`` is in no such state."""
    folder = Path(folder)
    old, tmp = folder.with_name(folder.name + ".old"), folder.with_name(folder.name + ".tmp")
    if folder.exists() or not old.is_dir() or not tmp.is_dir():
        return None
    try:
        gaps = whole(tmp, old)
    except OSError:  # another rank renamed .tmp or removed .old while this one read them (rglob does not say)
        gaps = False
    if not (gaps is True or gaps == []):
        if folder.exists():  # another process finished it while this one looked
            return None
        return (f"{what}: {folder.name}'s save was cut off between its renames and {tmp.name} is not whole; left as it "
                f"is ({old.name} holds the earlier save of it)"
                + (f"; missing or cut in it: {gaps_said(gaps, tmp, old)}" if gaps else ""))
    try:
        os.replace(tmp, folder)
    except OSError:  # another rank renamed it first
        return None
    shutil.rmtree(old, ignore_errors=True)
    return (f"{what}: {folder.name}'s save was cut off between its two renames ({old.name} set aside, {tmp.name} "
            f"whole): finished it, {folder} is in place")


def finish_step_renames(root: Path) -> None:
    """``finish_rename`` for each step folder under checkpoints folder ``root`` set aside (``step_N.old``) with a
    ``step_N.tmp`` beside it, the line said on stderr."""
    from rsvlm.train.checkpoint import STEP_RE

    if not Path(root).is_dir():
        return
    for old in sorted(Path(root).glob("step_*.old")):
        folder = old.with_name(old.name[:-len(".old")])
        if STEP_RE.match(folder.name) and (said := finish_rename(folder, step_tmp_gaps, "ckpt.resume")):
            print(f"[rsvlm.train] {said}", file=sys.stderr)


def finish_final(out_dir: Path) -> None:
    """``finish_rename`` for ``out_dir/final``, the line said on stderr."""
    if said := finish_rename(Path(out_dir) / "final", whole_model, "ckpt.resume"):
        print(f"[rsvlm.train] {said}", file=sys.stderr)
