"""Resumable training state: atomic step folders, keep-last-K, RNG streams, data position.

    out_dir/checkpoints/step_000040/
        trainer_state_rank{r}.json  step, epoch, micro-batch in epoch, the epoch's micro-batch count, batch_plan, counters of rank r
        rng_rank{r}.json            python and numpy RNG of rank r
        rng_rank{r}.safetensors     torch CPU (and CUDA) RNG of rank r
        train_config.yaml           the resolved config
        trainable.safetensors (and persistent buffers), optimizer.safetensors + .json, scheduler.json  (plain torch)
        deepspeed/                  DeepSpeed's own sharded files (DeepSpeed engine)

Every rank writes into ``step_N.tmp`` and rank 0 renames it to ``step_N`` after a barrier, so a
folder named ``step_N`` is always complete; a killed run leaves at most a ``.tmp`` folder, which
``latest_checkpoint`` ignores and the next save replaces (killed between ``commit``'s two renames, a whole
``step_N.tmp`` beside ``step_N.old``: a resume renames it in, ``renames.finish_step_renames``). Nothing is pickled: the optimizer's tensors
are safetensors, its groups JSON (an ``optimizer.pt`` of older folders is read with
``torch.load(weights_only=True)``). Limits: multi-node runs need a shared file system for ``out_dir``.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from rsvlm.progress import counted, plural
from rsvlm.train.batch_plan import check_plan
from rsvlm.train.config_changes import BOOKKEEPING, Change, config_changes, flat_keys, tree_changes  # noqa: F401 (ckpt.Change …)
from rsvlm.train.renames import lost_ranks, step_world, unfinished_save
from rsvlm.train.run_end import finish_mark, resume_hint, stopped_hint, write_summary  # noqa: F401 (ckpt.resume_hint …)

STEP_RE = re.compile(r"^step_(\d+)$")


def read_json(path: Path):
    """A step folder's JSON file; ValueError naming it when it is cut or damaged (a bare JSONDecodeError
    named no file)."""
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cut or damaged ({e}){step_before(Path(path).parent)}") from e


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    """A step folder's safetensors file; ValueError naming it when it is cut or damaged (a SafetensorError
    traceback named no file)."""
    from rsvlm.model.weights import load_safetensors

    try:
        return load_safetensors(path)
    except ValueError as e:
        raise ValueError(f"{e}{step_before(Path(path).parent)}") from e


def whole_step(p: Path) -> bool:
    """Whether step folder ``p`` holds every rank-0 file a resume or export reads (a contrastive step:
    ``CLIP_STEP_FILES``), each JSON and safetensors header parsing (``whole_file``; DeepSpeed's own files are left to
    it). Parsed there, not through ``read_json``/``_check_header``: those name ``step_before``, which calls this."""
    names = CLIP_STEP_FILES if clip_step(p) else step_files(0, (p / "deepspeed").is_dir())
    return all(whole_file(p / name) for name in names)


def whole_file(path: Path) -> bool:
    """Whether ``path`` is there and, a JSON or safetensors file, parses (its header): a rank's
    ``trainer_state_rank{r}.json`` cut mid-write was taken for whole by its being there."""
    from rsvlm.model.weights import open_safetensors

    try:
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".safetensors":
            with open_safetensors(path):
                pass
        return path.exists()
    except (OSError, ValueError, UnicodeDecodeError):
        return False


def step_before(folder: Path, then: str = "resume") -> str:
    """The end of a message on a damaged step folder: the last whole step folder before it (``whole_step``), if
    any, to resume from (``then`` "resume") or to export (``then`` "export": scripts/export_step.py's user is not
    resuming), naming the cut ones passed over; where none before it is whole, that is said (it named a cut one).
    A ``step_N.tmp`` or ``.old``: what it is and what to take instead (``renames.unfinished_save``; was "")."""
    m = STEP_RE.match(folder.name)
    if m is None and re.fullmatch(r"step_\d+\.(tmp|old)", folder.name) and folder.is_dir():
        return f"; {unfinished_save(folder, then)[len(f'{folder}: '):]}"
    if m is None or not folder.parent.is_dir():
        return ""
    before = [p for p in sorted(folder.parent.iterdir())
              if (n := STEP_RE.match(p.name)) and int(n.group(1)) < int(m.group(1)) and p.is_dir()]
    whole = next((p for p in reversed(before) if whole_step(p)), None)
    if whole is None:
        return (f"; no step folder before it is whole either ({', '.join(p.name for p in before[-3:])}"
                f"{' …' if len(before) > 3 else ''})") if before else ""
    passed = before[before.index(whole) + 1:]
    which = f"last whole step before it ({', '.join(p.name for p in passed)} not whole either)" if passed else \
        "step before it"
    if then == "export":
        return f"; export the {which}: python scripts/export_step.py {whole} --out DIR"
    return f"; resume from the {which}, ckpt.resume={whole}"


def check_step_readable(folder: Path, rank: int, deepspeed: bool) -> None:
    """ValueError naming the first file of ``rank`` in step folder ``folder`` (``check_step_folder`` found
    them all there) that is cut or damaged: JSON that does not parse, safetensors whose header does not
    (only headers are read), before anything is built. DeepSpeed's own files are left to it."""
    for name in step_files(rank, deepspeed):
        path = Path(folder) / name
        if not path.is_file():  # an older folder's optimizer.pt instead: check_step_folder's call
            continue
        if name.endswith(".json"):
            read_json(path)
        elif name.endswith(".safetensors"):
            _check_header(path)


def _check_header(path: Path, then: str = "resume") -> None:
    """ValueError naming the safetensors file ``path`` of a step folder where its header does not parse (only the
    header is read), and the step folder before it (``step_before``: to "resume" from or "export")."""
    from rsvlm.model.weights import open_safetensors

    try:
        with open_safetensors(path):
            pass
    except ValueError as e:
        raise ValueError(f"{e}{step_before(Path(path).parent, then)}") from e


def step_dir(root: Path, step: int) -> Path:
    return Path(root) / f"step_{step:06d}"


def latest_checkpoint(root: Path) -> Path | None:
    """The complete step folder with the highest step, or None."""
    if not (root := Path(root)).is_dir():
        return None
    steps = sorted((int(m.group(1)), p) for p in root.iterdir() if (m := STEP_RE.match(p.name)) and p.is_dir())
    return steps[-1][1] if steps else None


def tmp_dir(final: Path) -> Path:
    return final.with_name(final.name + ".tmp")


def prepare_tmp(final: Path) -> Path:
    """(rank 0) An empty ``.tmp`` folder for ``final``, removing a leftover from a killed run."""
    tmp = tmp_dir(final)
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def commit(final: Path, keep: int) -> None:
    """(rank 0) Rename ``final.tmp`` → ``final``; keep the last ``keep`` step folders up to it and delete
    the others, those past its step too: they are of a run that went on from an earlier step this one
    resumed from (they pruned the step just saved, and ``ckpt.resume=auto`` picked them)."""
    tmp = tmp_dir(final)
    if final.exists():  # the same step saved again (e.g. a resumed run re-reaching it)
        set_aside(final)
    os.replace(tmp, final)  # a kill before it loses this step only for as long as two renames take
    now = int(STEP_RE.match(final.name).group(1))
    steps = sorted((int(m.group(1)), p) for p in final.parent.iterdir() if (m := STEP_RE.match(p.name)))
    upto = [p for n, p in steps if n <= now]
    for p in [*upto[: max(0, len(upto) - max(1, keep))], *(p for n, p in steps if n > now)]:
        set_aside(p)
    for p in final.parent.glob("step_*.old"):  # those set aside, and a killed run's
        shutil.rmtree(p, ignore_errors=True)


def set_aside(folder: Path) -> None:
    """``folder`` renamed to ``NAME.old``, which no step pattern matches, to be deleted: a kill
    mid-delete left a half-deleted ``step_N`` that ``ckpt.resume=auto`` picked, then refused."""
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(folder, old)


def later_steps(root: Path, step: int) -> list[Path]:
    """The complete step folders under ``root`` past ``step``."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (m := STEP_RE.match(p.name)) and int(m.group(1)) > step and p.is_dir())


def barrier(world: int) -> None:
    if world > 1:
        import torch.distributed as dist

        dist.barrier()


@contextmanager
def staged_step(final: Path, keep: int, rank: int, world: int) -> Iterator[Path]:
    """``final``'s ``.tmp`` for every rank to write into; on leaving, rank 0 renames it to ``final``
    (keeping the last ``keep`` step folders). Collective: every rank enters."""
    if rank == 0:
        prepare_tmp(final)
    barrier(world)
    yield tmp_dir(final)
    barrier(world)
    if rank == 0:
        commit(final, keep)
    barrier(world)


# -- RNG streams ---------------------------------------------------------------------------------
def save_rng(folder: Path, rank: int) -> None:
    from safetensors.torch import save_file

    np_state = np.random.get_state()
    py_state = random.getstate()
    state = {"python": [py_state[0], list(py_state[1]), py_state[2]],
             "numpy": [np_state[0], np_state[1].tolist(), *[x if not isinstance(x, np.generic) else x.item()
                                                            for x in np_state[2:]]]}
    (folder / f"rng_rank{rank}.json").write_text(json.dumps(state))
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        tensors["cuda"] = torch.cuda.get_rng_state()
    save_file(tensors, str(folder / f"rng_rank{rank}.safetensors"))


def load_rng(folder: Path, rank: int) -> None:
    path = folder / f"rng_rank{rank}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no RNG state for rank {rank} (was it saved with another world size?)")
    state = read_json(path)
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    npv = state["numpy"]
    np.random.set_state((npv[0], np.asarray(npv[1], dtype=np.uint32), *npv[2:]))
    tensors = read_tensors(folder / f"rng_rank{rank}.safetensors")
    torch.set_rng_state(tensors["torch"])
    if "cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["cuda"])


# -- plain torch engine state ------------------------------------------------------------------
def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Trainable parameters and persistent buffers (a running statistic: it resumed at its build value); a buffer on
    meta holds no values and is left out (its save was 'Cannot copy out of meta tensor', the step lost)."""
    persistent = model.state_dict(keep_vars=True)  # its keys: the names of parameters and persistent buffers
    tensors = [*((n, p) for n, p in model.named_parameters() if p.requires_grad),
               *((n, b) for n, b in model.named_buffers() if n in persistent and not b.is_meta)]
    return {n: t.detach().to("cpu").contiguous().clone() for n, t in tensors}


def save_plain(folder: Path, model: torch.nn.Module, optimizer, scheduler) -> None:
    """Trainable parameters and persistent buffers (safetensors), optimizer (tensors only) and scheduler state."""
    from safetensors.torch import save_file

    save_file(trainable_state(model), str(folder / "trainable.safetensors"))
    save_optimizer(folder, optimizer)
    (folder / "scheduler.json").write_text(json.dumps(scheduler.state_dict()))


def save_optimizer(folder: Path, optimizer) -> None:
    """The optimizer's state: its tensors as ``optimizer.safetensors`` (``INDEX.NAME``), its param
    groups and any non-tensor state as ``optimizer.json``."""
    from safetensors.torch import save_file

    sd = optimizer.state_dict()
    tensors, numbers = {}, {}
    for i, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"{i}.{k}"] = v.detach().to("cpu").contiguous()
            else:
                numbers[f"{i}.{k}"] = v
    save_file(tensors, str(Path(folder) / "optimizer.safetensors"))
    (Path(folder) / "optimizer.json").write_text(json.dumps({"param_groups": sd["param_groups"], "numbers": numbers}))


def load_optimizer(folder: Path, optimizer) -> None:
    """``save_optimizer``'s files into ``optimizer`` (or an older folder's ``optimizer.pt``, weights only)."""
    folder = Path(folder)
    if not (folder / "optimizer.safetensors").is_file() and (folder / "optimizer.pt").is_file():
        optimizer.load_state_dict(torch.load(folder / "optimizer.pt", map_location="cpu", weights_only=True))
        return
    meta = read_json(folder / "optimizer.json")
    state: dict[int, dict] = {}
    for key, v in [*read_tensors(folder / "optimizer.safetensors").items(), *meta["numbers"].items()]:
        i, name = key.split(".", 1)
        state.setdefault(int(i), {})[name] = v
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def trainable_file(folder: Path) -> Path:
    """A plain-engine step folder's ``trainable.safetensors``; FileNotFoundError, saying why, if absent."""
    path = Path(folder) / "trainable.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no trainable.safetensors; {not_a_step_folder(Path(folder))}")
    return path


# what only a contrastive pretraining step folder holds (rsvlm.train.clip_ckpt), beside the RNG, trainer-state,
# optimizer and schedule files both loops write
CLIP_STEP_FILES = ("model.safetensors", "sampler.safetensors")


def clip_step(folder: Path) -> bool:
    """Whether ``folder`` is a step folder of contrastive pretraining (objective clip), complete or not."""
    return any((Path(folder) / n).is_file() for n in CLIP_STEP_FILES)


def clip_step_hint(folder: Path) -> str:
    """What to do with a contrastive pretraining step folder given where the LM loop's is wanted."""
    return (f"it is a step folder of contrastive pretraining (objective clip: {', '.join(CLIP_STEP_FILES)}), which "
            "that objective resumes (objective=clip, as its train_config.yaml says); to start an LM stage from its "
            f"encoder, python scripts/export_step.py {folder} --out DIR writes DIR/encoder.safetensors for "
            "model.encoders.default.pretrained")


def check_exportable(folder: Path) -> None:
    """FileNotFoundError / ValueError naming the weights file an export of step folder ``folder`` reads
    (``trainable.safetensors``, a contrastive step's ``model.safetensors``) where it is missing or cut (its header
    alone is read), before the model is built; the step before it is named as the one to export instead."""
    folder = Path(folder)
    if not clip_step(folder) and (folder / "deepspeed").is_dir():  # zero_trainable names its own files
        return
    name = "model.safetensors" if clip_step(folder) else "trainable.safetensors"
    if not (folder / name).is_file():
        why = (f"a half-written or damaged step folder{step_before(folder, 'export')}" if clip_step(folder)
               else not_a_step_folder(folder, then="export"))
        raise FileNotFoundError(f"{folder}: no {name}; {why}")
    _check_header(folder / name, then="export")


def export_clip_encoder(folder: Path, out: Path) -> Path:
    """A contrastive pretraining step folder's encoder as ``out/encoder.safetensors``, the ``visual.*`` keys
    (open_clip's layout) its ``final/encoder.safetensors`` would hold at that step; its path."""
    from safetensors.torch import save_file

    path = Path(folder) / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no model.safetensors (a half-written or damaged step folder)"
                                f"{step_before(Path(folder), 'export')}")
    prefix = "encoder.visual."
    visual = {f"visual.{k[len(prefix):]}": v for k, v in read_tensors(path).items() if k.startswith(prefix)}
    if not visual:
        raise ValueError(f"{path}: no {prefix}* tensors (not a contrastive pretraining model)")
    Path(out).mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in visual.items()}, str(Path(out) / "encoder.safetensors"))
    return Path(out) / "encoder.safetensors"


def not_a_step_folder(folder: Path, instead: str = "", then: str = "resume") -> str:
    """Why ``folder`` is no plain-engine step folder, as the end of an error message; ``instead``: what else the
    caller's user may do where it holds step folders (resume's "ckpt.resume=auto"; an export has nothing else);
    ``then``: what that user does with the step before a damaged one ("resume", "export": ``step_before``)."""
    if not folder.exists():  # e.g. a step ckpt.keep pruned: say which are there
        return "no such folder" + (f"; {kept}" if (kept := kept_steps(folder)) else "")
    if folder.is_file():  # …/step_N/trainable.safetensors: was "not a step folder of rsvlm train", no more
        return f"{folder} is a file; give the step folder" + (
            f" that holds it, {folder.parent}" if STEP_RE.match(folder.parent.name) else "")
    if clip_step(folder):  # it has a trainer_state_rank0.json too: it was called a DeepSpeed folder
        return clip_step_hint(folder)
    if (folder / "deepspeed").is_dir():
        return ("a DeepSpeed step folder (its weights are in deepspeed/): scripts/export_step.py writes it as a "
                "model")
    if (folder / "trainer_state_rank0.json").is_file():  # the plain engine's files, or some, without the weights
        return f"a half-written or damaged step folder{step_before(folder, then)}"  # was called a DeepSpeed folder
    if (folder / "checkpoints").is_dir():
        return f"this is a run's out_dir: its step folders are in {folder / 'checkpoints'}"
    if then == "resume" and (folder / "vision.safetensors").is_file():  # was: "not a step folder", no way on
        steps = latest_checkpoint(folder.parent / "checkpoints")
        return ("a model folder (a run's final/ or an export): weights only, no optimizer state or data position"
                + (f"; resume from the run's latest step folder, {steps}" if steps else "")
                + f"; or start a next stage from its weights with init_from={folder}")
    if (latest := latest_checkpoint(folder)) is not None:
        return f"it holds step folders: give one (the latest is {latest}){f', or {instead}' if instead else ''}"
    return "not a step folder of rsvlm train (out_dir/checkpoints/step_N)"


def kept_steps(folder: Path) -> str:
    """For a step folder that is not there (one ``ckpt.keep`` pruned): the step folders its parent holds, the
    last four; "" where it holds none."""
    steps = [p.name for p in sorted(folder.parent.iterdir()) if STEP_RE.match(p.name)] if folder.parent.is_dir() else []
    return f"{folder.parent} holds {', '.join(steps[-4:])} (ckpt.keep keeps the last few)" if steps else ""


def step_files(rank: int, deepspeed: bool) -> list[str]:
    """What a complete step folder holds for ``rank`` (the plain engine's files, or DeepSpeed's folder)."""
    own = ["deepspeed"] if deepspeed else ["trainable.safetensors", "optimizer.safetensors", "optimizer.json",
                                           "scheduler.json"]
    return [*own, f"rng_rank{rank}.json", f"rng_rank{rank}.safetensors", f"trainer_state_rank{rank}.json"]


def saved_world(folder: Path) -> int:
    """How many processes saved a step folder (its ``trainer_state_rank{r}.json`` files)."""
    return sum(1 for p in Path(folder).glob("trainer_state_rank*.json") if p.stem[len("trainer_state_rank"):].isdigit())


def check_step_folder(folder: Path, rank: int, deepspeed: bool, world: int = 1) -> None:
    """FileNotFoundError naming what ``folder`` lacks to resume ``rank`` from, before anything is loaded;
    ValueError when it was saved by another number of processes than ``world`` (each rank's data
    position and RNG streams, and ZeRO's optimizer shards, are per process)."""
    legacy = (Path(folder) / "optimizer.pt").is_file()  # a folder saved before the optimizer was safetensors
    missing = [n for n in step_files(rank, deepspeed) if not (Path(folder) / n).exists()
               and not (legacy and n.startswith("optimizer."))]
    if not missing:
        check_world(folder, world)
        path = Path(folder) / f"trainer_state_rank{rank}.json"
        try:
            state = read_json(path)
        except ValueError:  # cut: check_step_readable (preflight) or load_trainer_state names it as such
            return
        check_plan(state, path)  # a later batch plan was drawn as this rsvlm's, unsaid
        return
    if clip_step(folder):  # was: "lacks trainable.safetensors (a half-written or damaged step folder)"
        raise FileNotFoundError(f"ckpt.resume: {folder}: not a step folder of the LM loop; {clip_step_hint(folder)}")
    if deepspeed and (Path(folder) / "trainable.safetensors").is_file():
        why = "it was saved by the plain engine (no dist.deepspeed)"
    elif not deepspeed and (Path(folder) / "deepspeed").is_dir():
        why = "it was saved under DeepSpeed: set dist.deepspeed as that run did"
    elif rank and all((Path(folder) / n).exists() for n in step_files(0, deepspeed)) and step_world(folder) <= rank:
        why = "it was saved with fewer processes"
    elif len(missing) < len(step_files(rank, deepspeed)):  # was without the step before it, as a cut file has
        why = f"a half-written or damaged step folder{step_before(Path(folder))}"
    else:
        why = not_a_step_folder(Path(folder), instead="ckpt.resume=auto")
    raise FileNotFoundError(f"ckpt.resume: {folder} lacks {', '.join(missing)} ({why})")


def check_world(folder: Path, world: int) -> None:
    if said := lost_ranks(folder):  # was: taken for a folder saved by fewer processes, that number offered
        raise FileNotFoundError(said)
    if (saved := saved_world(folder)) and saved != world:  # DeepSpeed refused it after building model and engine
        raise ValueError(f"ckpt.resume: {folder} was saved by {counted(saved, 'process')} and this run has "
                         f"{world}; resume with {saved} (each rank's data position and RNG streams, and ZeRO's "
                         "optimizer shards, are per process), or carry its weights into a new run: "
                         'docs/distributed.md, "Resuming on another number of processes"')


def load_trainable(folder: Path, model: torch.nn.Module, state: dict | None = None) -> None:
    """Copy a plain-engine step folder's trainable parameters (or ``state``, read from ``folder``) into ``model`` (the
    same names, exactly), and the persistent buffers saved beside them in their own dtype (an older folder: none)."""
    state, own = dict(read_tensors(trainable_file(folder)) if state is None else state), dict(model.named_buffers())
    buffers, params = {n: state.pop(n) for n in list(state) if n in own}, dict(model.named_parameters())
    want = {n for n, p in params.items() if p.requires_grad}
    if set(state) != want:
        missing, extra = sorted(want - set(state))[:5], sorted(set(state) - want)[:5]
        raise ValueError(f"{folder}: trainable parameters differ from this model (missing {missing}, extra {extra}); "
                         "they were saved by another model than its train_config.yaml builds (that file edited or "
                         "copied from another run, or a model path it names holding another model now): put back "
                         "the train_config.yaml and model files the run that saved them had")
    own, state = own | params, state | buffers
    if shapes := [f"{n} {tuple(t.shape)} (this model {tuple(own[n].shape)})" for n, t in state.items()
                  if t.shape != own[n].shape]:
        raise ValueError(f"{folder}: {counted(len(shapes), 'trainable tensor')} or {plural('buffer', len(shapes))} "
                         f"of another shape than this model's, e.g. {'; '.join(shapes[:3])}: was it trained with "
                         "another model section?")
    with torch.no_grad():
        for n, t in state.items():
            own[n].copy_(t)  # a buffer in its own dtype


def load_plain(folder: Path, model: torch.nn.Module, optimizer, scheduler) -> None:
    load_trainable(folder, model)
    load_optimizer(folder, optimizer)
    scheduler.load_state_dict(read_json(folder / "scheduler.json"))


def save_trainer_state(folder: Path, state: dict, rank: int = 0, world: int | None = None) -> None:
    """Each rank's counters (step and data position agree across ranks; sample counts do not), and ``world``, the
    number of processes (a ``.tmp`` one rank wrote nothing into is then not taken for a smaller world's)."""
    state = state if world is None else {**state, "world": world}
    (folder / f"trainer_state_rank{rank}.json").write_text(json.dumps(state, indent=1))


def load_trainer_state(folder: Path, rank: int = 0) -> dict:
    path = Path(folder) / f"trainer_state_rank{rank}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: not a training checkpoint for rank {rank} (no {path.name})")
    return read_json(path)


def reapply_optim(optimizer, scheduler, fresh: list[dict], base_lr: float, lr_at) -> None:
    """After a resume: this run's optimizer settings (``fresh``: the param groups' settings as this
    run built them, before loading) over the checkpoint's, and the LR ``base_lr * lr_at(step)`` at the
    restored step. Loading the optimizer and scheduler state restores the saved run's ``lr``, betas,
    eps and weight decay, so a changed ``optim.lr`` on resume used to be ignored."""
    for group, settings in zip(optimizer.param_groups, fresh):
        group.update({k: v for k, v in settings.items() if k != "params"})
        group["initial_lr"], group["lr"] = base_lr, base_lr * lr_at(scheduler.last_epoch)
    scheduler.base_lrs = [base_lr] * len(optimizer.param_groups)
    scheduler._last_lr = [g["lr"] for g in optimizer.param_groups]
