"""Contrastive pretraining's step folders (``out_dir/checkpoints/step_N``): saved, checked before anything is
built (``run.preflight``), and loaded to resume. They hold the whole model (``model.safetensors``), where the LM
loop's hold its trainable parameters only."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from rsvlm.config import save_config
from rsvlm.progress import counted
from rsvlm.train import checkpoint as ckpt
from rsvlm.train.run import lr_lambda

# what rank 0 writes; each rank r adds rng_rank{r}.json/.safetensors and trainer_state_rank{r}.json
SHARED_FILES = ("model.safetensors", "optimizer.safetensors", "optimizer.json", "scheduler.json",
                "sampler.safetensors")


def save_clip(cfg, model: nn.Module, opt, sched, gen: torch.Generator, state: dict, rank: int, world: int) -> Path:
    """A complete ``checkpoints/step_N`` folder (written to ``.tmp``, then renamed): rank 0 writes the
    model, optimizer, schedule and sampler (identical on every rank), each rank its RNG streams and its
    counters (rank 0's alone made every rank resume with rank 0's sample and bad counts)."""
    from safetensors.torch import save_file

    final = ckpt.step_dir(Path(cfg.out_dir) / "checkpoints", state["step"])
    with ckpt.staged_step(final, cfg.ckpt.keep, rank, world) as tmp:
        ckpt.save_rng(tmp, rank)
        ckpt.save_trainer_state(tmp, state, rank, world)  # each rank's counts (samples drawn, bad ones) are its own
        if rank == 0:
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp / "model.safetensors"))
            ckpt.save_optimizer(tmp, opt)
            (tmp / "scheduler.json").write_text(json.dumps(sched.state_dict()))
            save_file({"generator": gen.get_state()}, str(tmp / "sampler.safetensors"))
            save_config(cfg, tmp / "train_config.yaml")
    return final


def check_clip_folder(folder: Path, world: int) -> None:
    """Before anything is built: FileNotFoundError where ``folder`` is no contrastive pretraining step folder
    to resume from, or lacks one of its files; ValueError where another number of processes than ``world``
    saved it (each rank's RNG streams), or a file of it is cut or damaged (JSON that does not parse, a
    safetensors header that does not read: a traceback once the model was built)."""
    from rsvlm.model.vision import check_safetensors

    if not (folder / "model.safetensors").is_file():
        if (folder / "trainable.safetensors").is_file() or (folder / "deepspeed").is_dir():
            why = "it is a step folder of the LM loop (objective lm)"
        elif (folder / "trainer_state_rank0.json").is_file():
            why = "a half-written or damaged step folder"
        else:  # a run's out_dir, its checkpoints folder, …: where the step folders are
            why = ckpt.not_a_step_folder(folder, instead="ckpt.resume=auto")
        raise FileNotFoundError(f"ckpt.resume: {folder}: not a contrastive pretraining checkpoint (no "
                                f"model.safetensors); {why}")
    if not (folder / "scheduler.json").is_file():
        raise FileNotFoundError(f"{folder}: no scheduler.json (saved by an rsvlm whose contrastive loop kept no "
                                "LR schedule); start the run anew")
    saved = sum(1 for p in folder.glob("rng_rank*.json") if p.stem[len("rng_rank"):].isdigit())
    if saved and saved != world:  # was: more processes failed after the model was built, fewer resumed unsaid
        raise ValueError(f"ckpt.resume: {folder} was saved by {counted(saved, 'process')} and this run has "
                         f"{world}; resume with {saved} (each rank's RNG streams, and the share of each global batch, are per process)")
    legacy = (folder / "optimizer.pt").is_file()  # a folder saved before the optimizer was safetensors
    names = [*(n for n in SHARED_FILES if not (legacy and n.startswith("optimizer."))), "trainer_state_rank0.json",
             *(f"rng_rank{r}.{ext}" for r in range(world) for ext in ("json", "safetensors"))]
    if missing := [n for n in names if not (folder / n).is_file()]:
        raise FileNotFoundError(f"ckpt.resume: {folder} lacks {', '.join(missing)} (a half-written or damaged "
                                "step folder)")
    for name in names:
        if name.endswith(".safetensors"):
            check_safetensors(folder / name, "ckpt.resume")
            continue
        try:
            ckpt.read_json(folder / name)
        except ValueError as e:
            raise ValueError(f"ckpt.resume: {e}") from None


def resume_clip(cfg, folder: Path | None, model: nn.Module, opt, sched, gen: torch.Generator, rank: int) -> dict:
    """Load ``folder`` (``ckpt.resume``'s, checked by ``preflight``) into model, optimizer, schedule and sampler;
    its state, or {}."""
    if folder is None:
        return {}
    try:
        model.load_state_dict(ckpt.read_tensors(folder / "model.safetensors"))
    except RuntimeError as e:  # torch lists every mismatched tensor over many lines
        raise ValueError(f"ckpt.resume: {folder} holds another model than this config builds (changed clip.* or "
                         f"model.encoders settings?): {str(e).splitlines()[1].strip()}") from e
    fresh = [dict(g) for g in opt.param_groups]  # this run's optim settings
    ckpt.load_optimizer(folder, opt)
    sched.load_state_dict(ckpt.read_json(folder / "scheduler.json"))
    ckpt.reapply_optim(opt, sched, fresh, cfg.optim.lr, lr_lambda(cfg))
    gen.set_state(ckpt.read_tensors(folder / "sampler.safetensors")["generator"])
    ckpt.load_rng(folder, rank)
    own = (folder / f"trainer_state_rank{rank}.json").is_file()  # folders saved before tour 53: rank 0's alone
    return ckpt.load_trainer_state(folder, rank if own else 0)


def pool_note(folder: Path, saved: int | None, now: int, unpaired: int) -> str | None:
    """The warning where step folder ``folder`` recorded drawing from ``saved`` caption pairs and this run draws
    from ``now``: the sampler goes on over another pool, unsaid before (a pool that lost its one-image [change]
    records' answers, no captions of one image, or other records). None where they agree or ``folder`` recorded
    none (saved before it was recorded; it is from the next step folder on)."""
    if saved is None or saved == now:
        return None
    why = (f"; {counted(unpaired, '[change] record')} of other than two images {'is' if unpaired == 1 else 'are'} "
           "left out of the captions (rsvlm used their answers as captions before)" if unpaired else "")
    return (f"[rsvlm.train] warning: {folder} was saved drawing from {counted(saved, 'caption pair')} and this run "
            f"has {now}{why}: the draws from here are not those the saved run would have made, and the losses "
            "will not match an unbroken run (the records, or how they are read, changed since)")
