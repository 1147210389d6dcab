"""``init_from``: the folder whose ``vision.safetensors`` starts an LM stage's stems, encoders and projectors,
checked before anything is built (``run.preflight``), and what to give instead where it holds another kind of
output (a run's ``out_dir``, a step folder of either loop, contrastive pretraining's encoder)."""

from __future__ import annotations

from pathlib import Path

from rsvlm.train import checkpoint as ckpt

ENCODER_FILE = "encoder.safetensors"  # what contrastive pretraining's final/ (and export_step of its steps) holds


def init_from_hint(folder: Path) -> str:
    """What ``folder``, which holds no ``vision.safetensors``, is and what to give instead, as the end of an
    error message ("" where it is nothing rsvlm wrote)."""
    pretrained = "model.encoders.default.pretrained"
    if not folder.exists():
        return "; no such folder"
    if folder.is_file():  # init_from=runs/a/final/vision.safetensors
        return f"; {folder} is a file: give the folder that holds vision.safetensors ({folder.parent})" if (
            folder.name == "vision.safetensors") else f"; {folder} is a file: give a checkpoint folder (a run's final/)"
    if (folder / ENCODER_FILE).is_file():  # a contrastive run's final/, or export_step of one of its steps
        return (f": it holds contrastive pretraining's encoder ({ENCODER_FILE}, open_clip visual.* keys), which "
                f"init_from does not read; start this run's encoder from it with {pretrained}="
                f"{folder / ENCODER_FILE} and leave init_from unset")
    if (folder / "final" / ENCODER_FILE).is_file():  # a contrastive run's out_dir
        return (f": that is a contrastive pretraining run's out_dir; start this run's encoder from its encoder with "
                f"{pretrained}={folder / 'final' / ENCODER_FILE} and leave init_from unset")
    if (folder / "final" / "vision.safetensors").is_file():
        return f": that is a run's out_dir; give its {folder / 'final'}"
    if ckpt.clip_step(folder):
        return f": {ckpt.clip_step_hint(folder)}, and leave init_from unset"
    if (folder / "trainable.safetensors").is_file() or (folder / "deepspeed").is_dir():
        return (f": it is a step folder of the LM loop; python scripts/export_step.py {folder} --out DIR writes it as "
                "a model folder (as final/ would be at that step), then init_from=DIR")
    if (latest := ckpt.latest_checkpoint(folder)) is not None or (latest := ckpt.latest_checkpoint(
            folder / "checkpoints")) is not None:
        return (f": it holds step folders (the latest is {latest}), not a model; give the run's final/, or write a "
                f"step as one with python scripts/export_step.py {latest} --out DIR")
    return ""


def check_init_from(cfg) -> None:
    """FileNotFoundError, before anything is built or written, where ``init_from`` holds no vision.safetensors,
    saying what it is instead (``init_from_hint``); ValueError where that file's header cannot be read or does
    not cover the file (cut short: a traceback once the model was built)."""
    if not cfg.init_from:
        return
    path = Path(cfg.init_from) / "vision.safetensors"
    if path.is_file():
        from rsvlm.model.vision import check_safetensors

        check_safetensors(path, "init_from")
        return
    raise FileNotFoundError(f"init_from: no {path}{init_from_hint(Path(cfg.init_from))}")
