"""The batch checks of scripts/build_default_model.py: whether each training stage's records can fill one batch
(``batch_shortfall``), asked for every stage right after the data stage (``short_batches``) and by each stage as
it starts (``TrainStage``), every records file read once a build (``RecordReads``), not once a stage and check."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import build_stages as S
from build_stages import STAGE_DATA, TRAIN_STAGES, BuildConfig, stage_config

from rsvlm.progress import counted


def read_groups(path: Path, root: Path) -> tuple[list[tuple[str, tuple[str, ...]]], object]:
    """Each usable record of ``path`` as (task, its images' modalities, sorted), an image whose record leaves its
    modality out read as the trainer's index infers it (under ``root``); and the file's ``ReadReport``."""
    from rsvlm.data.modality import ModalityFinder
    from rsvlm.data.records import ReadReport, RecordError, read_records

    rows, report = [], ReadReport(str(path))
    with ModalityFinder() as finder:
        for rec in read_records(path, strict=False, report=report):
            try:
                rec = finder.fill(rec, root, report)
            except RecordError:
                continue
            rows.append((rec["task"] or "chat", tuple(sorted({im["modality"] for im in rec["images"]}))))
    return rows, report


@dataclass
class RecordReads:
    """``read_groups`` once a file: again only where the file changed since (its size, mtime or inode: the data
    stage made it again), so a build's checks read each records file once, not once a stage and check."""

    read: Callable[[Path, Path], tuple] | None = None  # None: read_groups
    seen: dict = field(default_factory=dict)  # (path, root) → (file identity, read_groups' pair)

    def __call__(self, path: Path, root: Path):
        st = os.stat(path)
        key, ident = (str(Path(path).resolve()), str(root)), (st.st_size, st.st_mtime_ns, st.st_ino)
        if key not in self.seen or self.seen[key][0] != ident:
            self.seen[key] = ident, (self.read or read_groups)(path, root)
        return self.seen[key][1]


def short_batches(out: Path, bc: BuildConfig, scale: float, names: list[str],
                  reads: RecordReads | None = None) -> None:
    """ValueError naming every training stage of ``names`` whose records cannot fill one batch
    (``batch_shortfall``), asked right after the data stage: the warm-up's was found on reaching it, minutes in."""
    reads = reads or RecordReads()
    said = [s for n in names if n in TRAIN_STAGES and (s := batch_shortfall(n, stage_config(n, out, bc, scale)[2],
                                                                             out, bc, reads))]
    if said:
        raise ValueError("before any training: " + "\n  ".join(said))


@dataclass(frozen=True)
class TrainStage:
    """Training stage ``name``: its batch check (``reads``: the build's, so a file the data stage's check read
    is not read again), then ``rsvlm.train`` on its config."""

    name: str

    def __call__(self, out: Path, bc: BuildConfig, scale: float, reads: RecordReads | None = None) -> None:
        cfg_path, overrides, cfg = stage_config(self.name, out, bc, scale)
        if short := batch_shortfall(self.name, cfg, out, bc, reads):
            raise ValueError(short)
        S.run(S.py("-m", "rsvlm.train", "--config", str(cfg_path), *overrides), env_threads=2)


def batch_shortfall(name: str, cfg, out: Path, bc: BuildConfig, reads: RecordReads | None = None) -> str | None:
    """What to change where training stage ``name``'s records (its resolved config ``cfg``) cannot fill
    one batch in the epochs the trainer tries, as it plans them; None where they can, or for a contrastive
    stage (it draws from any two pairs). Found before the stage runs: the trainer found it after
    building the model, and the build said "the same command resumes", which failed the same way."""
    from collections import Counter

    from rsvlm.train import data as D

    train = Path(cfg.data.train)
    files = [(train, 1.0, cfg.data.root or train.parent),
             *((Path(src.path), src.weight, src.root or Path(src.path).parent) for src in cfg.data.extra)]
    if cfg.objective == "clip" or not all(path.is_file() for path, _, _ in files):  # a missing one: named elsewhere
        return None
    reads = reads or RecordReads()
    tasks, groups, weights, reports = [], [], [], []
    for path, weight, root in files:
        rows, report = reads(path, root)
        reports.append(report)
        for task, mods in rows:
            if set(mods) <= set(cfg.model.stems):  # as the trainer's index: it leaves the others out
                tasks.append(task)
                groups.append("+".join(mods) or "text")
                weights.append(weight)
    if not tasks:  # a broken or emptied data file: the scene count is not what to change
        return (f"stage {name}: no usable record in {', '.join(str(p) for p, _, _ in files)} "
                f"({'; '.join(r.summary() for r in reports)}); make the data again: "
                f"delete {out / 'data' / 'DONE'} (and the broken file) and run the same command")
    d = cfg.data
    try:
        w = D.mixture_weights(tasks, groups, d.task_temperature, d.modality_temperature, d.task_weights,
                              d.modality_weights, weights)
    except ValueError:  # the trainer names it
        return None
    grouped = d.batching == "length_grouped"
    if any(D.epoch_batches([0] * len(tasks), cfg.batch_size, 1, 0, cfg.seed, epoch, grouped, d.group_factor,
                                     w, groups) for epoch in range(D.EMPTY_EPOCHS if w is not None else 1)):
        return None  # weighted draws: the trainer passes over up to EMPTY_EPOCHS epochs without a batch
    split = STAGE_DATA.get(name, "train")
    counts = ", ".join(f"{n} {g}" for g, n in sorted(Counter(groups).items()))
    return (f"stage {name}: {counted(len(tasks), 'record')} ({counts}) in {', '.join(str(p) for p, _, _ in files)} "
            f"cannot fill one batch of batch_size={cfg.batch_size}" + (" (a batch holds one modality)" if grouped else "")
            + f"; the same command fails again: raise {split}_scenes in build.yaml (now "
            f"{getattr(bc, f'{split}_scenes')}) and delete {out / 'data' / 'DONE'} to make the data again, or lower "
            f"the stage's batch size (build.yaml extra: {{{name}: [batch_size=N]}})")


if __name__ == "__main__":  # run by hand: as build_stages.py
    import sys

    sys.exit(f"{__file__}: a module of scripts/build_default_model.py, which runs its stages: "
             "python scripts/build_default_model.py --help")
