"""The ``out_dir`` a run writes (its checks before anything is built, its start) and the step folder it
resumes from (which one, and what this run changes from it): shared by both training loops."""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter
from pathlib import Path

from rsvlm.config import save_config
from rsvlm.processes import SameOnEveryRank
from rsvlm.progress import counted
from rsvlm.train import checkpoint as ckpt
from rsvlm.train.config import TrainConfig
from rsvlm.train.inputs import check_overwrite_inputs
from rsvlm.train.logging import trim_metrics
from rsvlm.train.renames import finish_final, finish_step_renames, unfinished_save


def resume_folder(cfg: TrainConfig) -> Path | None:
    if not cfg.ckpt.resume:
        return None
    if cfg.ckpt.resume == "auto":  # a step saved but for its last rename: was passed over for an earlier one
        finish_step_renames(Path(cfg.out_dir) / "checkpoints")
        return ckpt.latest_checkpoint(Path(cfg.out_dir) / "checkpoints")
    folder = Path(cfg.ckpt.resume)
    cut = not folder.exists() and bool(ckpt.STEP_RE.match(folder.name))
    own = cut and continues_own(cfg)
    if cut and own:  # that step's save cut between its renames (another run's, maybe running: said, not changed)
        finish_step_renames(folder.parent)
    cut = cut and not own and folder.with_name(folder.name + ".tmp").is_dir()
    if not folder.is_dir():  # a file given: a step folder's file, most likely (…/step_N/trainable.safetensors)
        pruned = "" if folder.exists() else ckpt.kept_steps(folder)  # the step folders ckpt.keep left
        raise FileNotFoundError(f"ckpt.resume: no checkpoint folder {folder}" + (
            f" ({folder} is a file; give the step folder, e.g. {folder.parent})" if folder.is_file() else "")
            + (f"; {pruned}" if pruned else "") + (f"; {folder.name}.tmp beside it is a save cut between its two "
            "renames, left as it is: another run's folder (it may be running); resume that run's out_dir to finish "
            "it" if cut else "") + _auto_hint(folder))
    return folder


# model paths a run moved to another machine may point elsewhere (the files are taken to be the same ones)
RELOCATABLE = ("name_or_path", "tokenizer", "pretrained")


# what the LM loop rebuilds its frozen weights from at a resume (step folders hold the trainable ones only)
FROZEN_FROM = ("seed", "init_from")


def changes_model(change: ckpt.Change, objective: str = "lm") -> bool:
    """Whether ``change`` changes the model: a ``model.`` key other than a path of ``RELOCATABLE``
    moved from one file to another (one set or unset is a change), or, in the LM loop, ``seed`` or
    ``init_from`` set, unset or (seed) changed."""
    if objective == "lm" and change.key in FROZEN_FROM:
        return change.key == "seed" or change.old is None or change.new is None
    if not change.key.startswith("model."):
        return False
    return change.key.rsplit(".", 1)[-1] not in RELOCATABLE or change.old is None or change.new is None


def model_changes(folder: Path, cfg: TrainConfig) -> list[ckpt.Change]:
    """Refuse (ValueError) a resume whose model section differs from its checkpoint's (the paths of
    ``RELOCATABLE`` aside), naming the keys, before anything is built: the checkpoint's weights
    continue the model it trained. So is, in the LM loop, another ``seed`` or ``init_from``: the
    frozen weights are drawn from them again, and a changed seed gave other ones unsaid. Otherwise
    the settings it changes (``check_changes`` names them)."""
    changes = ckpt.config_changes(folder, cfg)
    if model := [c for c in changes if changes_model(c, cfg.objective)]:
        frozen = [c.key for c in model if c.key in FROZEN_FROM]
        why = (f" ({' and '.join(frozen)}: the frozen weights, which step folders do not hold, are made from "
               f"{'it' if len(frozen) == 1 else 'them'} again)" if frozen else "")
        what = ["model section"] * any(c.key not in FROZEN_FROM for c in model) + frozen  # seed is no model key
        raise ValueError(f"ckpt.resume: {folder} was trained with another {' and another '.join(what)}: "
                         f"{'; '.join(map(str, model))}{why}; set {'them' if len(model) > 1 else 'it'} back to "
                         "resume, or start a new run (another out_dir, or overwrite=true)")
    return changes


# ckpt.resume=false on the command line is the word 'false' (a recipe's false is refused as no string)
NO_RESUME = ("false", "no", "none", "off", "0")


def _auto_hint(folder: Path) -> str:
    """For a bare word that is no folder (``ckpt.resume=latest``, ``last``, ``true``): the value that means it;
    for one that means no resume (``false``, ``none``) that it is null, auto being the opposite."""
    if folder.exists() or len(folder.parts) != 1:
        return ""
    auto = "ckpt.resume=auto continues from the latest step folder in out_dir/checkpoints"
    if str(folder).lower() in NO_RESUME:
        return f"; ckpt.resume=null (or none given) starts at step 0, where {auto}"
    return f"; {auto}"


def check_changes(folder: Path, cfg: TrainConfig, rank: int, files: list[str | None] | None = None) -> None:
    """``model_changes``' refusal; (rank 0) name the other settings it changes: the data plan, the
    schedule and the optimizer follow this run's (a changed ``batch_size`` or data setting, or a contrastive
    run's ``grad_accum``, also moves the data position, so the run is not the one the checkpoint's would have been;
    a contrastive run's ``seed`` moves nothing: its sampler's state is restored).
    Settings its loop does not read (``unused_settings``' keys) are no change to it and go unnamed. ``files``:
    this run's ``file_prints``, where the caller has them (else hashed here, where records files were renamed)."""
    from rsvlm.train.config import CLIP_ONLY, LM_ONLY

    unread = LM_ONLY if cfg.objective == "clip" else CLIP_ONLY  # e.g. data.max_length the clip recipes dropped
    changes = [c for c in model_changes(folder, cfg) if not f"{c.key}.".startswith(tuple(f"{k}." for k in unread))]
    changes = [e for c in changes for e in (extra_changes(c) if c.key == "data.extra" else [c])]
    if rank == 0 and not (Path(folder) / "train_config.yaml").is_file():  # was: no check, and not a word
        print(f"[rsvlm.train] warning: ckpt.resume: {folder} has no train_config.yaml (every step folder is saved with "
              "one): whether this run's model section and seed are those it trained cannot be checked", file=sys.stderr)
    if rank == 0 and (said := unfinished_save(Path(folder), "resume")):  # was resumed from without a word
        print(f"[rsvlm.train] warning: ckpt.resume: {said}", file=sys.stderr)
    renamed = [c.key for c in changes if c.key in ("data.train", "data.extra files")]
    # read where renamed
    same = renamed if renamed and rank == 0 and (kept := same_files(folder, files or file_prints(cfg), cfg)) else []
    read = [c.key for c in changes if c.key not in same and cfg.objective == "lm" and moved_files(c)
            and has_digest(folder)]  # elsewhere, by the same names
    moved = [c.key for c in changes if c.key not in read + same and _moves_data(c.key, cfg.objective)]
    if changes and rank == 0:
        print(f"[rsvlm.train] ckpt.resume: this run changes {counted(len(changes), 'setting')} from {folder}'s: "
              f"{'; '.join(map(str, changes))} (optim and max_steps take effect from the resumed step"
              + (f"; {', '.join(moved)} {'moves' if len(moved) == 1 else 'move'} the data position: the batches from "
                 "here are not those the checkpoint's run would have drawn" if moved else "")
              + (f"; {' and '.join(read)}: whether the records are the checkpoint's, in its order, is checked once "
                 "they are read (a copy of them elsewhere moves nothing)" if read else "")
              + (f"; {' and '.join(same)}: {kept}" if same else "") + ")", file=sys.stderr)


# records files up to this size are hashed whole (200 MB: 0.7 s of SHA-256 on a shared CPU); a larger one by its
# size and its first and last MiB, which a record edited in its middle keeps (the note then says what was compared)
WHOLE_HASH_MAX = 256 << 20


def file_prints(cfg: TrainConfig) -> list[str | None]:
    """Each records file's bytes in brief, ``data.train``'s then ``data.extra``'s: its size and the SHA-256 of the
    whole file (``all``), or of its first and last MiB (``ends``) past ``WHOLE_HASH_MAX``; None for one not read.
    A renamed or copied file keeps it. Saved in each step folder's trainer state (rank 0's ``files``), for a resume
    to tell a file renamed from another (``same_files``)."""
    import hashlib

    def brief(f, size: int) -> str:
        if size > WHOLE_HASH_MAX:
            return f"{size}:ends:{_ends_hash(f, size)}"
        h = hashlib.sha256()
        while block := f.read(1 << 22):
            h.update(block)
        return f"{size}:all:{h.hexdigest()[:16]}"

    return _each_records_file(cfg, brief)


def ends_prints(cfg: TrainConfig) -> list[str | None]:
    """``file_prints`` in the form step folders saved before ce27ad22 hold ("SIZE:HASH", 5e2de20f's): the SHA-256
    of each file's first MiB and of the MiB from max(size - 1 MiB, 0), whatever its size; None for one not read."""
    return _each_records_file(cfg, lambda f, size: f"{size}:{_ends_hash(f, size)}")


def _ends_hash(f, size: int) -> str:
    """The SHA-256 of open file ``f``'s first MiB and then of the MiB from max(``size`` - 1 MiB, 0), in brief."""
    import hashlib

    h = hashlib.sha256(f.read(1 << 20))
    f.seek(max(size - (1 << 20), 0))
    h.update(f.read(1 << 20))
    return h.hexdigest()[:16]


def _each_records_file(cfg: TrainConfig, brief) -> list[str | None]:
    """``brief(f, size)`` of each records file, ``data.train``'s then ``data.extra``'s, opened; None for one not
    read."""
    out: list[str | None] = []
    from rsvlm.train.inputs import records_sources

    for path in (s.path for s in records_sources(cfg)):
        try:
            with open(path, "rb") as f:
                out.append(brief(f, os.fstat(f.fileno()).st_size))
        except (OSError, TypeError):
            out.append(None)
    return out


_SAME_BYTES = "the same bytes as the checkpoint's files (renamed or copied), which moves nothing"


def same_files(folder: Path, files: list[str | None], cfg: TrainConfig) -> str | None:
    """What to say where this run's records files (``files``: ``file_prints``) match the checkpoint's, in its order,
    however they are named now: the same bytes (each hashed whole), or, where one is past ``WHOLE_HASH_MAX``, the same
    size and first and last MiB, which is all that was compared (so too where the folder holds ``ends_prints`` of
    ``cfg``'s files, 5e2de20f's form, of a file over 2 MiB); None where they differ, the step folder holds no prints
    (saved before them) or a file is not read."""
    try:
        saved = ckpt.load_trainer_state(folder).get("files")
    except (OSError, ValueError):
        return None
    old = bool(saved) and all(str(p).count(":") == 1 for p in saved)  # 5e2de20f's form, of the ends alone
    if not saved or None in saved or saved != (ends_prints(cfg) if old else files):
        return None
    if old:
        if all(int(str(p).split(":")[0]) <= 2 << 20 for p in saved):  # its first and last MiB hold every byte
            return _SAME_BYTES
        return ("the same size and first and last MiB as the checkpoint's files (renamed or copied; its step folder "
                "keeps no more of them, being saved before whole files were hashed, so a record edited in the middle "
                "goes unseen here), taken to move nothing")
    if all(str(p).split(":")[1:2] == ["all"] for p in saved):
        return _SAME_BYTES
    return (f"the same size and first and last MiB as the checkpoint's files (renamed or copied; a file over "
            f"{WHOLE_HASH_MAX >> 20} MiB is not hashed whole, so a record edited in its middle goes unseen here), "
            "taken to move nothing")


def has_digest(folder: Path) -> bool:
    """Whether the step folder holds its records' fingerprint (``data.index_digest``; none before it was saved)."""
    try:
        return "records" in ckpt.load_trainer_state(folder)
    except (OSError, ValueError):
        return False


def moved_files(change: ckpt.Change) -> bool:
    """Whether ``change`` gives ``data.train`` or ``data.extra``'s files in other folders, by the same names in the
    same order (a data set copied to another machine): the LM loop then compares the records read with the
    checkpoint's (``data.other_records``), which tells whether the data position moved; the path cannot."""
    if change.key not in ("data.train", "data.extra files"):
        return False
    return same_names(*([v] if isinstance(v, str) else list(v or []) for v in (change.old, change.new)))


def same_names(old: list, new: list) -> bool:
    """Whether two lists of files name the same files in the same order, whatever their folders."""
    return [Path(str(p)).name for p in old] == [Path(str(p)).name for p in new]


# data settings that leave each epoch's batch plan as it was (read per sample, or not read for the plan): the
# plan is made of the records' estimated lengths, uncut (data.max_length cuts each sample as it is read), and a
# sample's view (data.augment) is drawn apart from it (data.with_views)
PLAN_FREE = ("data.num_workers", "data.max_bad_fraction", "data.root", "data.missing_bands", "data.band_dropout",
             "data.max_length", "data.augment")


def extra_changes(change: ckpt.Change) -> list[ckpt.Change]:
    """``data.extra``'s change (its list of files, compared whole) as what changed in it: its files (one added,
    removed or put in another place: ``data.extra files``, by path) and, of a file in both (or each in its place
    where they all moved by the same names), its root or weight (``data.extra[B.jsonl].weight``), so that only
    these are said to move the data position, not a root."""
    old, new = (v if isinstance(v, list) else [] for v in (change.old, change.new))
    if not all(isinstance(f, dict) for f in [*old, *new]):  # not a list of files: as it was
        return [change]

    def by_path(files: list[dict]) -> dict:  # (path, its occurrence) → the file: a path given twice is two
        out, seen = {}, Counter()
        for f in files:
            seen[f.get("path")] += 1
            out[(f.get("path"), seen[f.get("path")])] = f
        return out

    paths = ([f.get("path") for f in old], [f.get("path") for f in new])
    out = [ckpt.Change("data.extra files", *paths)] if paths[0] != paths[1] else []
    was, now = by_path(old), by_path(new)
    if paths[0] != paths[1] and same_names(*paths):
        was = dict(zip(now, old))  # the files moved (moved_files): paired in order, their weights compared too
    for at, f in now.items():
        if at in was:
            out += [ckpt.Change(f"data.extra[{at[0]}].{k}", was[at].get(k), f.get(k))
                    for k in sorted(was[at].keys() | f.keys()) if k != "path" and was[at].get(k) != f.get(k)]
    return out


def _moves_data(key: str, objective: str) -> bool:
    """Whether a setting changed on resume draws other batches from the saved data position: the batch size,
    a data setting the plan is made from (of ``data.extra``, its files and their weights, not their image roots),
    and, in contrastive pretraining, grad_accum (each step draws batch_size × grad_accum × processes pairs from
    the restored sampler)."""
    if key == "batch_size" or objective == "clip" and key == "grad_accum":
        return True
    if key.startswith("data.extra["):  # a file's path may hold dots: not split as a key
        return not key.endswith("].root")
    return key.startswith("data.") and ".".join(key.split(".")[:2]) not in PLAN_FREE


def note_resume(cfg: TrainConfig, found: bool, step: int) -> None:
    """(rank 0) Say when ``ckpt.resume=auto`` found no checkpoint or one past ``max_steps``, or step folders
    past ``step`` will go, and drop metrics lines past ``step``."""
    if not found:
        print(f"[rsvlm.train] ckpt.resume=auto: no checkpoint in {Path(cfg.out_dir) / 'checkpoints'}; "
              "starting at step 0", file=sys.stderr)
    if step >= cfg.max_steps:  # at it too: "done: N steps" read as if it had trained them
        where = "past" if step > cfg.max_steps else "at"
        print(f"[rsvlm.train] the checkpoint is at step {step}, {where} max_steps={cfg.max_steps}: nothing to train "
              f"(raise max_steps to train on); final/ is written from step {step}", file=sys.stderr)
    if later := ckpt.later_steps(Path(cfg.out_dir) / "checkpoints", step):
        are, them = ("is", "it") if len(later) == 1 else ("are", "them")
        print(f"[rsvlm.train] ckpt.resume: {counted(len(later), 'step folder')} in {later[0].parent} past step {step} "
              f"({', '.join(p.name for p in later[:3])}{', …' if len(later) > 3 else ''}) {are} of the run that went "
              f"on from it; this run's first save removes {them} (give another out_dir to keep {them})", file=sys.stderr)
    dropped = trim_metrics(Path(cfg.out_dir), step)
    if dropped:
        print(f"[rsvlm.train] metrics.jsonl: dropped {counted(dropped, 'line')} logged after step {step}", file=sys.stderr)


class OutDirRefused(PermissionError):
    """``out_dir`` could not be made where ``check_writable`` could not tell (root; /proc- or /sys-like folders):
    nothing is written yet, and ``rsvlm train`` exits 2, as on ``run.preflight``'s refusals."""


class OutDirFailed(SameOnEveryRank, OSError):
    """``out_dir`` was made (or a previous run's outputs removed from it) but rank 0 could not go on there (the
    config not saved, an output not removed): every rank raises it alike, said once, exit 1."""


# final.tmp / final.old: a final/ save killed midway (loop.save_final); overwrite=true left them
RUN_OUTPUTS = ("final", "final.tmp", "final.old", "checkpoints", "metrics.jsonl", "summary.json", "tensorboard",
               "profile.txt")


def continues_own(cfg: TrainConfig) -> bool:
    """Whether ``ckpt.resume`` continues the run ``out_dir`` holds (``auto``, or one of its step folders)."""
    resume = cfg.ckpt.resume
    own = (Path(cfg.out_dir) / "checkpoints").resolve()
    return resume == "auto" or bool(resume) and Path(resume).resolve().parent == own


def check_writable(out: Path) -> None:
    """FileExistsError where ``out`` (or a folder it would be made in) is a file, PermissionError where its
    nearest existing folder may not be written in: found before anything is built (they were an OSError
    traceback, or an errno line, once the model was)."""
    at = out
    while not at.exists() and at != at.parent:
        at = at.parent
    if not at.is_dir():
        raise FileExistsError(f"out_dir {out}: {at} is a file" + ("" if at == out else ", not a folder to make it in")
                              + "; give a folder")
    if not os.access(at, os.W_OK | os.X_OK):
        raise PermissionError(f"out_dir {out}: cannot write in {at}; give a folder you may write in")


def check_out_dir(cfg: TrainConfig) -> None:
    """Refuse a fresh run (no ``ckpt.resume``), or one resumed from another run's step folder, into an
    ``out_dir`` that holds a previous run's outputs: its step folders would be pruned with the new ones
    and picked by a later ``ckpt.resume=auto``, its metrics appended to and its ``final/`` replaced.
    ``overwrite=true`` lets ``start_out_dir`` remove them, unless a path the run reads lies there
    (``check_overwrite_inputs``). ``ckpt.resume=auto`` into an ``out_dir`` with
    a ``final/`` but no step folder (a run without ``ckpt.every``) is refused too: it would start at
    step 0 and replace that model; so is an ``out_dir`` that cannot be made (``check_writable``).
    Read-only, so every rank checks before the process group forms, but for a resume of this ``out_dir``, which
    first finishes a save of ``final/`` or a step folder killed between its two renames (``renames``: each rank
    may, alike; was passed over, so such a run resumed at step 0 or an earlier step)."""
    out = Path(cfg.out_dir)
    check_writable(out)
    if cfg.ckpt.resume and continues_own(cfg):
        finish_final(out)
        finish_step_renames(out / "checkpoints")
    if cfg.overwrite:  # what it would remove must hold nothing this run reads (init_from=out_dir/final)
        check_overwrite_inputs(cfg, [] if continues_own(cfg) else [out / n for n in RUN_OUTPUTS if (out / n).exists()])
        return
    if cfg.ckpt.resume == "auto" and (out / "final").exists() and ckpt.latest_checkpoint(out / "checkpoints") is None:
        raise FileExistsError(f"ckpt.resume=auto: out_dir {out} holds a finished run (final/) but no step folder to "
                              "continue from (it ran without ckpt.every); train it anew with overwrite=true, or choose "
                              "another out_dir")
    if continues_own(cfg):
        return
    found = [n for n in RUN_OUTPUTS if (Path(cfg.out_dir) / n).exists()]
    if found and cfg.ckpt.resume and not ckpt.STEP_RE.match(Path(cfg.ckpt.resume).name):
        # a checkpoints/ folder, an out_dir, a final/: was "not one of its step folders … choose another out_dir"
        own = Path(cfg.ckpt.resume).resolve() == (out / "checkpoints").resolve()
        why = ckpt.not_a_step_folder(Path(cfg.ckpt.resume), instead="ckpt.resume=auto" if own else "")
        raise FileNotFoundError(f"ckpt.resume={cfg.ckpt.resume}: "
                                f"{why if why.startswith('not a step folder') else f'not a step folder; {why}'}"
                                + _auto_hint(Path(cfg.ckpt.resume)))
    if found and cfg.ckpt.resume:  # was: mixed in, its later step folders removed as stale at the first save
        raise FileExistsError(f"out_dir {cfg.out_dir} already holds a run ({', '.join(found)}), and ckpt.resume="
                              f"{cfg.ckpt.resume} is not one of its step folders: continuing another run there would "
                              "mix the two; choose another out_dir, or replace that run with overwrite=true")
    if found:
        raise FileExistsError(f"out_dir {cfg.out_dir} already holds a run ({', '.join(found)}); continue it with "
                              "ckpt.resume=auto, replace it with overwrite=true, or choose another out_dir")


def start_out_dir(cfg: TrainConfig, rank: int, world: int = 1) -> Path:
    """(collective where ``world`` > 1) ``out_dir`` made by rank 0, a previous run's outputs removed when
    ``overwrite`` starts afresh (or continues another run's step folder), and the resolved config saved. Rank 0's
    failure is sent to every rank, which raises it alike (``OutDirRefused`` where nothing was written, else
    ``OutDirFailed``), so that none waits at its next collective until ``dist.timeout_s``."""
    out_dir = Path(cfg.out_dir)
    failed = _make_out_dir(cfg, out_dir) if rank == 0 else None  # rank 0's, the same on every rank
    if world > 1:
        import torch.distributed as dist

        said = [failed]
        dist.broadcast_object_list(said, src=0, device=object_device())
        failed = said[0]
    if failed is not None:
        raise failed
    return out_dir


def object_device():
    """The device an object collective's tensors cross on the default group: this process's GPU under nccl
    (``setup_distributed`` set it; nccl moves no host tensor); None, torch's own choice, for the others (the
    host under gloo, the group's device under ucc or xccl). Only the device differs."""
    import torch

    if torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return None


def _make_out_dir(cfg: TrainConfig, out_dir: Path) -> OutDirRefused | OutDirFailed | None:
    """(rank 0) ``start_out_dir``'s work; the error to raise where it failed (``OutDirRefused``: nothing written)."""
    if cfg.overwrite and not continues_own(cfg):
        found = [out_dir / n for n in RUN_OUTPUTS if (out_dir / n).exists()]
        for p in found:
            try:  # was raised on rank 0 alone, before the broadcast the other ranks wait at
                shutil.rmtree(p) if p.is_dir() else p.unlink()
            except OSError as e:
                return OutDirFailed(f"out_dir {out_dir}: overwrite=true could not remove {p} ({e.strerror or e}); "
                                    "remove it by hand, or choose another out_dir")
        if found:
            print(f"[rsvlm.train] overwrite: removed {', '.join(p.name for p in found)} from {out_dir}",
                  file=sys.stderr)
    try:  # check_writable cannot tell for root, nor on /proc- or /sys-like folders: was errno's line alone
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # nothing written yet: a refusal (exit 2), as check_writable's
        return OutDirRefused(f"out_dir {out_dir}: cannot write there ({e.strerror or e}); give a folder you may "
                             "write in")
    try:
        save_config(cfg, out_dir / "train_config.yaml")
    except OSError as e:
        return OutDirFailed(f"out_dir {out_dir}: cannot write there ({e.strerror or e}); give a folder you may "
                            "write in")
    return None
