"""A step folder written as a model (``export_step``, scripts/export_step.py's work). Moved out of
``rsvlm.train.loop``, which still offers the name; the model is rebuilt with loop's ``build_model``, looked up
when called (loop imports this module), so the export builds it as training did."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from rsvlm.config import save_config
from rsvlm.model.base_print import FINGERPRINT
from rsvlm.train import checkpoint as ckpt
from rsvlm.train.config import TrainConfig
from rsvlm.train.init_from import carry_merged


def export_step(folder: Path, out: Path) -> Path:
    """A step folder of the LM loop (``checkpoints/step_N``) written as ``final/`` would have been at
    that step, for eval, chat or ``init_from``.

    The frozen parts are rebuilt as training built them, from the folder's train_config.yaml (seed,
    ``init_from``, ``model.llm.name_or_path``), so those paths must still hold what they held then: the LLM base
    recorded in the step's rsvlm_base.json (``step_base``) is copied into the export's adapter/, so the export
    is refused on another base as the step was (scripts/export_step.py checks it first); the rest is unchecked.
    A contrastive pretraining step folder gives its encoder, as that run's ``final/encoder.safetensors`` would be
    at that step; a DeepSpeed step folder its trained weights whole, whatever its ZeRO stage and number of
    processes (``deepspeed_config.zero_trainable``)."""
    from rsvlm.config import load_config
    from rsvlm.model.checkpoint import check_new_folder
    from rsvlm.train.loop import _adapter_only, build_model, fill_note  # loop imports this module

    folder, out = Path(folder), Path(out)
    check_new_folder(out, "exported model", "export")
    if not (folder / "train_config.yaml").is_file():
        raise FileNotFoundError(f"{folder}: no train_config.yaml (not a step folder of rsvlm train)")
    cfg = load_config(TrainConfig, folder / "train_config.yaml")
    if cfg.objective == "clip":  # was refused, naming model.safetensors, which no encoder's pretrained can read
        ckpt.export_clip_encoder(folder, out)
        save_config(cfg, out / "train_config.yaml")
        return out
    if (folder / "deepspeed").is_dir():  # any ZeRO stage and number of processes (DeepSpeed's zero_to_fp32)
        from rsvlm.train.deepspeed_config import zero_trainable

        state = zero_trainable(folder)  # read before the model is built; persistent buffers beside the parameters
    else:
        state = ckpt.read_tensors(ckpt.trainable_file(folder))
    model, _ = build_model(cfg, torch.device("cpu"))
    fill_note(folder, model, "export")  # was told its loss may jump at a resume
    ckpt.load_trainable(folder, model, state)  # the trainable parameters and the persistent buffers saved beside them
    model.save_pretrained(out, adapter_only=_adapter_only(cfg))
    if (folder / FINGERPRINT).is_file() and (out / "adapter").is_dir():  # the base it trained on, not the one now
        shutil.copyfile(folder / FINGERPRINT, out / "adapter" / FINGERPRINT)
    save_config(cfg, out / "train_config.yaml")
    carry_merged(cfg, out)
    return out
