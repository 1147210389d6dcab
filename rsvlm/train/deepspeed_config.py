"""DeepSpeed JSON → a complete config: every ``"auto"`` is filled from ``TrainConfig`` here, and only here.

    ds = load_deepspeed_config("configs/deepspeed/zero3.json", cfg, world_size=8)

Filled keys (anything else set to "auto" is an error naming it; the batch keys and gradient_clipping
are set where the JSON leaves them out, and a value of its own that disagrees is refused):

    train_micro_batch_size_per_gpu   cfg.batch_size
    gradient_accumulation_steps      cfg.grad_accum
    train_batch_size                 cfg.batch_size × cfg.grad_accum × world size
    gradient_clipping                cfg.optim.max_grad_norm
    bf16.enabled                     cfg.precision == "bf16"
    fp16.enabled                     cfg.precision == "fp16"

The optimizer and LR schedule are not in the JSON: the loop builds torch AdamW and its schedule
from ``cfg.optim`` and hands them to ``deepspeed.initialize`` (``zero_force_ds_cpu_optimizer``
is set false so offload runs with it; DeepSpeedCPUAdam would need a compiled extension).
"""

from __future__ import annotations

import json
from pathlib import Path

ZERO_STAGES = (0, 1, 2, 3)
AUTO_KEYS = ("train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "train_batch_size",
             "gradient_clipping", "bf16.enabled", "fp16.enabled")


def auto_values(cfg, world_size: int) -> dict:
    return {
        "train_micro_batch_size_per_gpu": cfg.batch_size,
        "gradient_accumulation_steps": cfg.grad_accum,
        "train_batch_size": cfg.batch_size * cfg.grad_accum * world_size,
        "gradient_clipping": float(cfg.optim.max_grad_norm),
        "bf16.enabled": cfg.precision == "bf16",
        "fp16.enabled": cfg.precision == "fp16",
    }


SECTIONS = {"zero_optimization": '{"stage": 2}', "bf16": '{"enabled": "auto"}', "fp16": '{"enabled": "auto"}'}


def fill_auto(ds: dict, cfg, world_size: int) -> dict:
    """A copy of ``ds`` with its "auto" values filled; batch keys and ``gradient_clipping`` are always set
    from ``cfg``, and so is ``bf16``/``fp16`` where the JSON has no such section (a value that disagrees
    with ``cfg`` is an error: DeepSpeed would run with it, whatever the training config says)."""
    if not isinstance(ds, dict):  # was an AttributeError traceback
        raise ValueError(f"the top level must be a JSON object ({{\"zero_optimization\": …}}), got {type(ds).__name__}")
    for name, example in SECTIONS.items():
        if name in ds and not isinstance(ds[name], dict):
            raise ValueError(f"{name} must be a JSON object such as {example}, got {json.dumps(ds[name])}")
    values = auto_values(cfg, world_size)
    out = json.loads(json.dumps(ds))

    def walk(node: dict, prefix: str) -> None:
        for k, v in node.items():
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                walk(v, key + ".")
            elif v == "auto":
                if key not in values:
                    raise ValueError(f"DeepSpeed config: {key!r} is \"auto\" but rsvlm fills only {AUTO_KEYS}")
                node[k] = values[key]

    walk(out, "")
    if "zero_optimization" in out and "stage" not in (zero := out["zero_optimization"]):  # was DeepSpeed's 0, unsaid
        others = f" (keys: {', '.join(zero)})" if zero else " (an empty section)"
        raise ValueError(f"zero_optimization has no \"stage\"{others}: DeepSpeed would run stage 0, without ZeRO "
                         f"sharding{', and pass its other settings over' if zero else ''}; set \"stage\" to one of "
                         f"{ZERO_STAGES}")
    stage = out.get("zero_optimization", {}).get("stage", 0)
    if type(stage) is not int or stage not in ZERO_STAGES:  # true passed as stage 1
        raise ValueError(f"zero_optimization.stage is {json.dumps(stage)}; ZeRO stages are {ZERO_STAGES}")
    check_top_keys(ds)
    check_own_keys(out)
    # gradient_clipping left out was DeepSpeed's 0 (no clipping), whatever optim.max_grad_norm said
    for key in ("train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "train_batch_size",
                "gradient_clipping"):
        if out.get(key, values[key]) != values[key]:
            own = " (optim.max_grad_norm)" if key == "gradient_clipping" else ""
            raise ValueError(f"DeepSpeed config sets {key}={json.dumps(out[key])} but the training config gives "
                             f"{values[key]}{own}; set it to \"auto\"")
        out[key] = values[key]
    for name in ("bf16", "fp16"):  # a section left out ran in fp32 whatever precision said
        want, section = cfg.precision == name, out.setdefault(name, {})
        if section.setdefault("enabled", want) != want:
            raise ValueError(f"DeepSpeed config sets {name}.enabled={section['enabled']} but the training config's "
                             f"precision is {cfg.precision}; set it to \"auto\"")
    out.setdefault("zero_force_ds_cpu_optimizer", False)
    out.setdefault("steps_per_print", 10**9)  # rsvlm logs itself
    return out


# sections DeepSpeed passes over when deepspeed.initialize is given an optimizer and schedule, as the loop gives it
CLIENT_SECTIONS = {"optimizer": "optim.lr, optim.betas, optim.eps, optim.weight_decay",
                   "scheduler": "optim.warmup_steps, optim.schedule, optim.min_lr_ratio"}


# DeepSpeed's top-level keys (its config-json page, and every one its DeepSpeedConfig reads: a test checks them
# against the installed DeepSpeed, as a key left out here could be refused as a misspelling); it passes over any
# other top-level key unsaid
TOP_KEYS = (
    "train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "optimizer", "scheduler",
    "communication_data_type", "prescale_gradients", "gradient_predivide_factor", "sparse_gradients", "fp16", "bf16",
    "amp", "gradient_clipping", "zero_optimization", "zero_allow_untested_optimizer", "zero_force_ds_cpu_optimizer",
    "activation_checkpointing", "aio", "flops_profiler", "tensorboard", "wandb", "csv_monitor", "comet",
    "comms_logger", "autotuning", "elasticity", "compression_training", "data_efficiency", "curriculum_learning",
    "checkpoint", "data_types", "steps_per_print", "wall_clock_breakdown", "dump_state", "memory_breakdown",
    "sparse_attention", "pipeline", "hybrid_engine", "dataloader_drop_last", "disable_allgather",
    "seq_parallel_communication_data_type", "torch_autocast", "weight_quantization", "nebula",
    "bfloat16", "compile", "datastates_ckpt", "disable_python_gc", "eigenvalue", "expert_parallel",
    "gradient_allreduce_op", "graph_harvesting", "log_level", "managed_gradient_accumulation", "progressive_layer_drop",
    "quantize_training", "tensor_parallel", "timers", "use_data_before_expert_parallelism", "vocabulary_size",
)


def check_top_keys(ds: dict) -> None:
    """ValueError where a top-level key is no key of DeepSpeed's but a near spelling of one the JSON leaves out
    (``zero_optimisation``): DeepSpeed passed over it unsaid, and the run trained without that section (no ZeRO
    sharding for a misspelt ``zero_optimization``). Other keys it does not know are left to it."""
    from rsvlm.near import near_names

    for key in ds:
        if key in TOP_KEYS:
            continue
        near = [k for k in near_names(key, TOP_KEYS, n=3, cutoff=0.8) if k not in ds]  # fp61, FP16: fp16
        if near:
            raise ValueError(f"{key}: not a key DeepSpeed reads (it would pass over it, and the run go without it); "
                             f"did you mean {near[0]}?")


def check_own_keys(ds: dict) -> None:
    """ValueError naming the key where the JSON sets what the loop decides itself (an ``optimizer`` or
    ``scheduler`` section, which DeepSpeed would pass over unsaid for the loop's AdamW and schedule;
    ``zero_force_ds_cpu_optimizer`` true with an offloaded optimizer, which DeepSpeed then refuses), or where
    DeepSpeed's own models of ``zero_optimization``, ``bf16`` and ``fp16`` refuse a key or value (a misspelt
    key, an offload device that does not exist): both were found inside ``deepspeed.initialize``, once the
    model was built."""
    for name, keys in CLIENT_SECTIONS.items():
        if name in ds:
            raise ValueError(f"{name}: rsvlm builds the {name} itself (torch AdamW and its warm-up + cosine/constant "
                             f"schedule), and DeepSpeed would pass over this section; set {keys} in the training "
                             f"config and drop \"{name}\" from the JSON")
    offload = (ds.get("zero_optimization", {}).get("offload_optimizer") or {})
    if ds.get("zero_force_ds_cpu_optimizer") is True and isinstance(offload, dict) and offload.get("device") not in (
            None, "none"):
        raise ValueError("zero_force_ds_cpu_optimizer is true with zero_optimization.offload_optimizer, which makes "
                         "DeepSpeed refuse rsvlm's torch AdamW (its DeepSpeedCPUAdam needs a compiled extension); "
                         "set it to false")
    try:
        from pydantic import ValidationError
    except ImportError:  # DeepSpeed needs pydantic: without it the run fails at DeepSpeed's import, which says so
        return
    for name, model in (("zero_optimization", "deepspeed.runtime.zero.config:DeepSpeedZeroConfig"),
                        ("bf16", "deepspeed.runtime.precision_config:DeepSpeedBF16Config"),
                        ("fp16", "deepspeed.runtime.precision_config:DeepSpeedFP16Config")):
        if not isinstance(ds.get(name), dict):
            continue
        try:
            validate = _deepspeed_model(model)
        except ImportError:  # as above: the run's own import of DeepSpeed says so
            return
        try:
            validate(**ds[name])
        except ValidationError as e:
            err = e.errors()[0]
            key = ".".join([name, *map(str, err["loc"])])
            said = ("not a key DeepSpeed knows (a misspelling?)" if err["type"] == "extra_forbidden"
                    else f"{err['msg']}, got {json.dumps(err.get('input'), default=str)}")
            raise ValueError(f"{key}: {said}") from None


def _deepspeed_model(where: str):
    """DeepSpeed's config model ``module:Class``, imported without DeepSpeed's log lines (on a machine without a
    GPU it says so, on stdout, at import; the run says it again when it starts DeepSpeed)."""
    import importlib
    import logging

    module, name = where.split(":")
    before = logging.root.manager.disable
    logging.disable(max(before, logging.WARNING))
    try:
        return getattr(importlib.import_module(module), name)
    finally:
        logging.disable(before)


def load_deepspeed_config(path: str | Path, cfg, world_size: int) -> dict:
    path = Path(path)
    if not path.is_file():  # a recipe's configs/deepspeed/… from outside the repository: the folder it was looked in
        where = "" if path.is_absolute() else f" (relative to the working directory {Path.cwd()})"
        folder = path if path.is_dir() else path.parent  # dist.deepspeed=configs/deepspeed: was 'not found' alone
        there = sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []
        shown = ", ".join(there[:8]) + (f", … ({len(there)} in all)" if len(there) > 8 else "")  # a crowded folder
        held = f"; {folder} holds {shown}" if there else ""  # zero9.json for one of the shipped
        what = "is a folder, not a JSON file" if path.is_dir() else "not found"
        raise FileNotFoundError(f"DeepSpeed config {what}: {path}{where}{held}")
    try:
        ds = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:  # a binary file: was UnicodeDecodeError unnamed (a TypeError in launch.py)
        raise ValueError(f"{path}: not a JSON text file (not UTF-8: {e.reason} at byte {e.start})") from e
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from e
    try:
        return fill_auto(ds, cfg, world_size)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from e


def saved_zero_stages(folder: str | Path) -> tuple[int, ...] | None:
    """The ZeRO stages whose layout a step folder's ``deepspeed/state`` has: (3,) for per-rank model states,
    (1, 2) for optimizer shards beside one model state, (0,) for neither; None where there is no such folder."""
    state = Path(folder) / "deepspeed" / "state"
    if not state.is_dir():
        return None
    if any(state.glob("zero_pp_rank_*_model_states.pt")):
        return (3,)
    return (1, 2) if any(state.glob("zero_pp_rank_*_optim_states.pt")) else (0,)


def check_zero_stage(folder: str | Path, cfg, world_size: int) -> None:
    """ValueError where step folder ``folder`` was saved under another ZeRO stage than ``cfg.dist.deepspeed``
    runs: DeepSpeed cannot load one stage's shards under another (a bare AssertionError, once the model and
    engine were built)."""
    ds = load_deepspeed_config(cfg.dist.deepspeed, cfg, world_size)
    saved, stage = saved_zero_stages(folder), int(ds.get("zero_optimization", {}).get("stage", 0))
    if saved is not None and stage not in saved:
        raise ValueError(f"ckpt.resume: {folder} was saved under ZeRO stage {' or '.join(map(str, saved))} and "
                         f"dist.deepspeed={cfg.dist.deepspeed} is stage {stage}; DeepSpeed cannot load one stage's "
                         "shards under another: resume with the dist.deepspeed it was saved with, or start a new run")


def deepspeed_classes() -> list:
    """The classes besides tensors that DeepSpeed's own checkpoint files hold, allow-listed where rsvlm reads
    them with ``torch.load(weights_only=True)``: its ZeRO-stage enum, loss-scaler objects and (ZeRO-1/2
    optimizer states) the ``fragment_address`` (numel, start) of each parameter's shard."""
    from deepspeed.runtime.fp16.loss_scaler import DynamicLossScaler, LossScaler
    from deepspeed.runtime.zero.config import ZeroStageEnum
    from deepspeed.utils.tensor_fragment import fragment_address

    return [ZeroStageEnum, LossScaler, DynamicLossScaler, fragment_address]


def weights_only_checkpoint_engine(zipfile: bool = True):
    """DeepSpeed's torch checkpoint engine, loading with ``torch.load(weights_only=True)``; ``zipfile``: save in
    torch's zip format, as DeepSpeed's own engine does by default (``checkpoint.checkpoint_serialization``). Built
    without a config, the engine saved torch's legacy format, which DeepSpeed's ``zero_to_fp32`` cannot read (it
    maps the files: "mmap can only be used with files saved with ... _use_new_zipfile_serialization=True").
    Besides tensors, exactly ``deepspeed_classes`` are allow-listed."""
    import torch
    from deepspeed.runtime.checkpoint_engine.torch_checkpoint_engine import TorchCheckpointEngine

    allowed = deepspeed_classes()

    class WeightsOnlyCheckpointEngine(TorchCheckpointEngine):
        def __init__(self):
            super().__init__(None)
            self.zipfile_serialization = zipfile

        def load(self, path: str, map_location=None):
            with torch.serialization.safe_globals(allowed):
                return torch.load(path, map_location=map_location, weights_only=True)

    return WeightsOnlyCheckpointEngine()


def zero_trainable(folder: str | Path) -> dict:
    """The trainable parameters of DeepSpeed step folder ``folder`` (name → float32 tensor, whole), whatever its
    ZeRO stage and number of processes: DeepSpeed's ``zero_to_fp32`` gathers them from the optimizer's shards,
    its files read with ``torch.load(weights_only=True)`` as a resume reads them (``zero_to_fp32`` asks for
    ``weights_only=False``, which runs any code a pickled file holds). ValueError, saying what to do, where its
    files are in torch's legacy format (older rsvlm saved them so), which ``zero_to_fp32`` cannot read, or hold
    other objects than tensors and ``deepspeed_classes``."""
    import contextlib
    import pickle
    import re
    import sys
    import zipfile
    from unittest import mock

    import torch
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

    state = Path(folder) / "deepspeed" / "state"
    if legacy := [p.name for p in sorted(state.glob("*.pt")) if not zipfile.is_zipfile(p)]:
        raise ValueError(f"{folder}: its DeepSpeed files ({legacy[0]}, …) are in torch's legacy format (an older "
                         'rsvlm train saved them so, as does a DeepSpeed JSON with "checkpoint": '
                         '{"checkpoint_serialization": false}), which DeepSpeed\'s zero_to_fp32 cannot read; resume '
                         "the run from this step with the number of processes it was saved by (that setting left at "
                         "its default, true), and use a step it saves then")
    load, allowed = torch.load, deepspeed_classes()

    def weights_only(f, *args, **kwargs):  # in place of zero_to_fp32's torch.load(…, weights_only=False)
        try:
            with torch.serialization.safe_globals(allowed):
                return load(f, *args, **{**kwargs, "weights_only": True})
        except pickle.UnpicklingError as e:
            what = re.search(r"unsupported (?:global: )?GLOBAL ([\w.]+)", str(e), re.IGNORECASE)
            raise ValueError(f"{f}: holds {what[1] if what else 'an object'} besides tensors and DeepSpeed's own "
                             "classes, which rsvlm does not unpickle (a pickled object can run any code); export "
                             "a step folder that rsvlm train saved") from e

    # DeepSpeed's notes ("Processing zero checkpoint …") go to stderr
    with contextlib.redirect_stdout(sys.stderr), mock.patch.object(torch, "load", weights_only):
        return get_fp32_state_dict_from_zero_checkpoint(str(state.parent), tag=state.name,
                                                        exclude_frozen_parameters=True)


def zero3_external_parameters(model) -> list:
    """(module, parameter) pairs ZeRO-3 must gather although the parameter's owner is not called.

    Modules whose parent reads their parameters directly: open_clip's ``VisionTransformer``
    (class and position embeddings, read by the encoder's own forward) and the stems'
    ``embed_tokens`` (a method, not a forward). They are registered on the calling module.
    """
    pairs = []
    for module in model.modules():
        visual = getattr(module, "visual", None)
        if visual is not None and hasattr(visual, "class_embedding"):
            pairs += [(module, p) for p in visual.parameters(recurse=False)]
    for module in model.modules():
        stems = getattr(module, "stems", None)
        if stems is not None and hasattr(stems, "items"):
            pairs += [(module, p) for stem in stems.values() for p in stem.parameters(recurse=False)]
    return pairs
