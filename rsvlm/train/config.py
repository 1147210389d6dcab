"""Training configs: one small dataclass per concern, nested in ``TrainConfig``.

    cfg = load_config(TrainConfig, "configs/train/sft_tiny.yaml", ["optim.lr=1e-4", "max_steps=10"])

The model section is the model's own ``VLMConfig`` (trainability per component lives there);
nothing here repeats it. DeepSpeed's JSON takes its batch, clipping and optimizer numbers from
these fields (``rsvlm.train.deepspeed_config.fill_auto``), so each number is written once.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, fields
from functools import reduce
from typing import ClassVar

from rsvlm.model.vlm import TRAINABLE, VLMConfig  # noqa: F401 (TRAINABLE: importable from here, as it was)
from rsvlm.train.config_checks import (  # noqa: F401 (the checks, importable from here as before they moved)
    LinkError,
    check_config,
    check_links,
    check_numbers,
    check_task_names,
    frozen_quantised_problem,
)

BATCHING = ("length_grouped", "naive")
AUGMENTS = ("none", "flip", "dihedral")
OBJECTIVES = ("lm", "clip")
BACKENDS = ("auto", "gloo", "nccl", "ucc", "mpi", "xccl")  # torch.distributed's, and auto
GLOBAL_BATCH = re.compile(r"^#\s*global_batch:\s*(\d+)\s*$", re.MULTILINE)  # a recipe's header comment


@dataclass
class SourceConfig:
    """One more JSONL file mixed into ``data.train`` (``data.extra``)."""

    path: str = ""
    root: str | None = None  # its image paths are relative to this; None → this file's folder
    weight: float = 1.0  # multiplies the sampling probability of each of its records


@dataclass
class DataConfig:
    train: str = ""  # JSONL of instruction records (DESIGN.md)
    root: str | None = None  # image paths are relative to this; None → the JSONL's folder
    # More record files, each with its own image root and weight. A record's sampling probability
    # is ∝ task factor × modality factor × its file's weight, so with temperature 1 a file of N
    # records at weight w is drawn as often as N·w records of data.train. Objective clip draws its
    # caption records by the file weights alone.
    extra: list[SourceConfig] = field(default_factory=list)
    max_length: int = 512  # tokens per sample, visual tokens included; longer samples are cut (noted on stderr)
    batching: str = "length_grouped"  # "length_grouped" (sort inside mega-batches) | "naive" (random order)
    group_factor: int = 16  # a mega-batch holds group_factor global batches
    num_workers: int = 0  # DataLoader workers (images load there, lazily)
    task_temperature: float = 1.0  # sampling p(task) ∝ n_task^(1/T) × task_weights; 1 = as in the data
    modality_temperature: float = 1.0
    task_weights: dict[str, float] = field(default_factory=dict)
    modality_weights: dict[str, float] = field(default_factory=dict)
    # the run fails when more of the record lines are malformed, or of the samples seen are unreadable
    max_bad_fraction: float = 0.01
    # "flip" | "dihedral": each sample is drawn in one of the image's mirror views (rsvlm.tta), its
    # question's direction words and its answer's shapes mapped to match; "none": as recorded
    augment: str = "none"
    # {modality: p}: each image of that modality loses a random proper subset of its bands with
    # probability p, refilled as `rsvlm predict --missing-bands copy` fills them, so the model learns
    # to answer from fewer bands (single-polarisation SAR, 4-band MSI). The draw is a function of
    # (seed, epoch, sample): a resumed run sees the same one, another epoch another.
    band_dropout: dict[str, float] = field(default_factory=dict)
    # a band a stem reads that an image lacks (an MSI scene without B08), as `rsvlm predict --missing-bands`:
    # "error" (the sample is bad: skipped and counted), "copy" (the nearest present band), "mean" (the stem's mean)
    missing_bands: str = "error"

    # The prompt format is the model's (``model.prompt``), saved with it so chat and eval match.
    MOVED_KEYS: ClassVar[dict[str, str]] = {"prompt": "model.prompt"}
    # a key that takes one value, given a list (config.from_dict): where the others go
    ONE_VALUE: ClassVar[dict[str, str]] = {
        "train": "data.train is one records file: give the first there and the others under data.extra, each with "
                 "its own image root and weight (extra: [{path: B.jsonl}, {path: C.jsonl, weight: 0.5}]; on the "
                 "command line 'data.extra=[{path: B.jsonl}]')"}


@dataclass
class OptimConfig:
    lr: float = 2e-4
    weight_decay: float = 0.0
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    eps: float = 1e-8
    warmup_steps: int = 0
    schedule: str = "cosine"  # "cosine" | "constant" (both after linear warm-up)
    min_lr_ratio: float = 0.0
    max_grad_norm: float = 1.0  # 0 disables clipping
    decay_1d: bool = False  # weight decay on biases, norm scales and other 1-D parameters too (matrices only if off)


@dataclass
class CheckpointConfig:
    every: int = 0  # save resumable state every N optimizer steps (0: only at the end)
    keep: int = 2  # keep the last K step folders
    resume: str | None = None  # "auto" (latest in out_dir) | a step folder | None


PROFILE_AFTER = 6  # steps before log.profile_steps' first (StepProfiler's wait, then 1 warm-up)


@dataclass
class LogConfig:
    every: int = 1  # steps between log lines
    tensorboard: bool = False  # needs the tensorboard package
    progress: bool = True  # tqdm bar on rank 0
    profile_steps: int = 0  # >0: torch.profiler over that many steps after 6 → out_dir/profile.txt
    verbose: bool = False  # DeepSpeed's build lines on the terminal too (else in out_dir/setup.log alone)


@dataclass
class DistConfig:
    deepspeed: str | None = None  # path to a DeepSpeed JSON (configs/deepspeed/zero2.json …); None: plain torch
    backend: str = "auto"  # torch.distributed backend; "auto": nccl with CUDA, else gloo
    # seconds a process waits for the others to join the group, or at one of its collectives, before it
    # fails: how long the others hang on where one rank died without its launcher stopping them (torch's
    # default: 30 min on gloo, 10 on nccl; DeepSpeed's: 10). DeepSpeed's own ZeRO groups keep torch's.
    timeout_s: float = 1800.0


@dataclass
class ClipConfig:
    """Contrastive encoder pretraining (objective "clip"): a small text tower beside the encoder."""

    embed_dim: int = 64
    text_width: int = 64
    text_layers: int = 2
    text_heads: int = 4
    context_length: int = 64
    dense_weight: float = 0.0  # weight of the per-patch semantic loss from meta.sem_mask (0: off)
    dense_classes: int = 12  # semantic ids 0…K-1 (data_gen.synth.classes.SEMANTIC_CLASSES)
    dense_target: str = "share"  # "share": class shares (soft CE) | "presence": classes present (BCE)
    dense_subgrid: int = 1  # each patch token predicts its s×s sub-cells (1: the patch as a whole)
    box_weight: float = 0.0  # weight of the per-patch box loss from meta.inst_mask (0: off)
    center_weight: float = 0.0  # weight of the per-sub-cell object-centre loss by class (inst_mask + sem_mask; 0: off)


@dataclass
class LossConfig:
    """The next-token loss (objective "lm")."""

    # σ, in bins, of a Gaussian target over the 1000 <loc_N> tokens wherever the label is a location
    # token (a near miss then costs less than a far one); the loss there is KL(target ‖ model), so a
    # perfect prediction scores 0 like one-hot CE. 0: plain one-hot cross-entropy. ~10 bins is one
    # pixel of a 96-px image. The Gaussian is cut at the ends of the bin range (renormalised).
    loc_sigma: float = 0.0
    # weight of an auxiliary pointer loss: at the <box>/<obb> token that opens an answer's first
    # shape, the final hidden state, dotted with the image's visual tokens' final hidden states,
    # must pick the visual token whose patch holds that shape's centre (cross-entropy over the
    # image's tokens). Trains choosing the asked object directly. 0: off. Records with other than
    # one square token grid (pairs, pooling to a non-square count) or no box/obb answer add nothing.
    pointer_weight: float = 0.0


@dataclass
class TrainConfig:
    out_dir: str = "runs/train"
    # checkpoint dir whose vision.safetensors starts stems/encoders/projectors (stage chaining)
    init_from: str | None = None
    objective: str = "lm"  # "lm": next-token loss on assistant tokens | "clip": contrastive encoder pretraining
    model: VLMConfig = field(default_factory=VLMConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    ckpt: CheckpointConfig = field(default_factory=CheckpointConfig)
    log: LogConfig = field(default_factory=LogConfig)
    dist: DistConfig = field(default_factory=DistConfig)
    clip: ClipConfig = field(default_factory=ClipConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    batch_size: int = 4  # per process, per micro-step
    grad_accum: int = 1
    max_steps: int = 100  # optimizer steps
    seed: int = 0
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    precision: str = "fp32"  # "fp32" | "bf16" (autocast; DeepSpeed's bf16 mode) | "fp16" (DeepSpeed only)
    gradient_checkpointing: bool = False  # recompute encoder blocks and LLM layers in backward (less memory)
    overwrite: bool = False  # a fresh run (no ckpt.resume) may replace a previous run's outputs in out_dir
    slow_step_s: float = 0.0  # sleep after each step (tests kill runs mid-way with it)


def expand_home(cfg: TrainConfig) -> None:
    """``~`` and ``$VAR`` / ``${VAR}`` in the config's paths (the records files and image roots, ``out_dir``,
    ``init_from``, ``dist.deepspeed``, ``ckpt.resume``; a model path, ``model.llm.name_or_path``, ``tokenizer``,
    ``model.encoders.NAME.pretrained``, where it names a variable) made what a shell would have made them: a config is no
    shell, so ``data.train: ~/sets/train.jsonl`` was "not found" and ``out_dir: ~/runs/x`` (or ``$HOME/runs/x``)
    made a folder named ``~`` (``$HOME``) in the working directory. ValueError naming the key and the variable
    where one is not set (it was kept as written; a literal ``$X`` in a name has no escape). Cannot: a shell's
    ``${VAR:-default}`` forms."""
    def home(p: str | None, key: str) -> str | None:
        if not isinstance(p, str):
            return p
        out = os.path.expandvars(os.path.expanduser(p) if p.startswith("~") else p)
        # p's, not out's: a set variable's value holding a $ was refused as naming an unset one
        if unset := next((m for m in re.finditer(r"\$(\w+)|\$\{([^}]*)\}", p) if (m[1] or m[2]) not in os.environ), None):
            raise ValueError(f"{key}: {p!r} names {unset[0]}, which is not set in the environment (a config's "
                             f"paths expand ~ and $VAR as a shell would; a name holding {unset[0]} itself cannot be "
                             "given, rename or link it): set it, or write the path out")
        return out

    cfg.data.train, cfg.data.root = home(cfg.data.train, "data.train"), home(cfg.data.root, "data.root")
    for i, src in enumerate(cfg.data.extra):
        src.path, src.root = home(src.path, f"data.extra[{i}].path"), home(src.root, f"data.extra[{i}].root")
    cfg.out_dir, cfg.init_from = home(cfg.out_dir, "out_dir"), home(cfg.init_from, "init_from")
    cfg.dist.deepspeed = home(cfg.dist.deepspeed, "dist.deepspeed")
    cfg.ckpt.resume = home(cfg.ckpt.resume, "ckpt.resume")  # ckpt.resume=~/runs/x/checkpoints/step_40 was "not found"
    # the model's paths where they name a variable (their ~ the model code expands): $HF_HOME/x was "not found"
    for key, at, part in [*(("model.llm", "name_or_path", cfg.model.llm), ("model.llm", "tokenizer", cfg.model.llm)),
                          *((f"model.encoders.{n}", "pretrained", e) for n, e in cfg.model.encoders.items())]:
        setattr(part, at, home(p, f"{key}.{at}") if "$" in str(p := getattr(part, at)) else p)


def header_global_batch(path) -> int | None:
    """The ``# global_batch: N`` header comment of a recipe (``scripts/launch.py`` keeps it for any world size);
    None where it has none or cannot be read."""
    try:
        with open(os.path.expanduser(str(path)), encoding="utf-8") as f:
            m = GLOBAL_BATCH.search(f.read())
    except (OSError, UnicodeDecodeError):
        return None
    return int(m.group(1)) if m else None


def global_batch_note(cfg: TrainConfig, recipe, world: int) -> str | None:
    """What to say where a run on ``world`` > 1 processes (started by torchrun or deepspeed, not
    ``scripts/launch.py``, which sets ``grad_accum`` for it) has another global batch than its recipe's
    ``# global_batch: N`` header: ``sft_tiny.yaml``'s 4 was 8 on two processes, unsaid. None otherwise."""
    want = header_global_batch(recipe) if world > 1 else None
    have = cfg.batch_size * cfg.grad_accum * world
    if not want or have == want:
        return None
    fit = (f"batch_size={want // (world * cfg.grad_accum)}" if want % (world * cfg.grad_accum) == 0 else
           f"batch_size={want // world} grad_accum=1" if want % world == 0 else f"a world size that divides {want}")
    return (f"global batch {have} (batch_size {cfg.batch_size} × grad_accum {cfg.grad_accum} × {world} processes), "
            f"not the {want} of {recipe}'s '# global_batch: {want}' header; for {want} "
            f"set {fit}, or start the run with scripts/launch.py, which keeps it for the world size")


# settings the LM loop reads and the contrastive one does not, and the other way round (all of clip.*):
# named on stderr where a run of the other objective sets them
LM_ONLY = ("init_from", "gradient_checkpointing", "log.tensorboard", "log.profile_steps", "log.verbose", "data.augment",
           "data.band_dropout", "data.task_weights", "data.modality_weights", "data.task_temperature",
           "data.modality_temperature", "data.max_length", "data.batching", "data.group_factor", "data.num_workers",
           "loss.loc_sigma", "loss.pointer_weight")
CLIP_ONLY = tuple(f"clip.{f.name}" for f in fields(ClipConfig))


def unused_settings(cfg: TrainConfig) -> list[str]:
    """``key=value`` of each setting ``cfg`` gives another value than the default that its objective's
    loop does not read (``LM_ONLY`` in a contrastive run, ``CLIP_ONLY`` in an LM run)."""
    default = type(cfg)()

    def at(c, key: str):
        return reduce(getattr, key.split("."), c)

    keys = LM_ONLY if cfg.objective == "clip" else CLIP_ONLY
    return [f"{k}={at(cfg, k)!r}" for k in keys if at(cfg, k) != at(default, k)]


def note_unused(cfg: TrainConfig, rank: int) -> None:
    """(rank 0) Name on stderr the settings ``cfg`` changes that its loop ignores (``unused_settings``)."""
    if rank or not (unused := unused_settings(cfg)):
        return
    if cfg.objective == "clip":
        print(f"[rsvlm.train] contrastive pretraining (objective clip) does not use {', '.join(unused)}; only "
              "the LM loop does" + ("" if cfg.init_from is None else
                                    " (the encoder starts from model.encoders.default.pretrained)"), file=sys.stderr)
    else:  # was: clip.dense_weight=1 in an instruction stage trained without the dense loss, unsaid
        print(f"[rsvlm.train] the LM loop (objective {cfg.objective}) does not use {', '.join(unused)}; only "
              "contrastive pretraining (objective clip) does", file=sys.stderr)
