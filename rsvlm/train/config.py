"""Training configs: one small dataclass per concern, nested in ``TrainConfig``.

    cfg = load_config(TrainConfig, "configs/train/sft_tiny.yaml", ["optim.lr=1e-4", "max_steps=10"])

The model section is the model's own ``VLMConfig`` (trainability per component lives there);
nothing here repeats it. DeepSpeed's JSON takes its batch, clipping and optimizer numbers from
these fields (``rsvlm.train.deepspeed_config.fill_auto``), so each number is written once.
"""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass, field, fields
from functools import reduce
from typing import ClassVar

from rsvlm.model.vlm import TRAINABLE, VLMConfig

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


def frozen_quantised_problem(model: VLMConfig, prefix: str) -> str | None:
    """Why ``model`` cannot be trained: a frozen 4/8-bit LLM is never saved (its LLM cannot be written whole; it was
    found at the final save, after a whole run trained its stems and projector); None otherwise."""
    if (model.llm.load_in_4bit or model.llm.load_in_8bit) and model.trainable.llm == "frozen":
        return (f"{prefix}trainable.llm: frozen, with a 4/8-bit LLM: such a model is never saved (its LLM cannot be "
                f"written whole): set {prefix}trainable.llm to lora (QLoRA), or load the LLM in full precision")
    return None


def check_config(cfg: TrainConfig) -> None:
    """Reject values the loop cannot honour, naming the key."""
    for part, modes in TRAINABLE.items():
        if getattr(cfg.model.trainable, part) not in modes:
            raise ValueError(f"model.trainable.{part} must be one of {modes}, got "
                             f"{getattr(cfg.model.trainable, part)!r}"
                             + meant(getattr(cfg.model.trainable, part), modes))
    if cfg.objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {cfg.objective!r}"
                         f"{meant(cfg.objective, OBJECTIVES)}")
    if cfg.objective == "lm" and all(getattr(cfg.model.trainable, part) == "frozen" for part in TRAINABLE):
        raise ValueError(f"model.trainable: {', '.join(TRAINABLE)} are all frozen: nothing would train (it was found "
                         "once the model was built); make one of them full or lora")
    if cfg.objective == "lm" and (why := frozen_quantised_problem(cfg.model, "model.")):
        raise ValueError(why)
    for m, p in cfg.data.band_dropout.items():
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"data.band_dropout[{m!r}] must lie in [0, 1], got {p!r}")
        if m not in cfg.model.stems:  # was: a typo ('optics') trained without any dropout, unsaid
            raise ValueError(f"data.band_dropout[{m!r}]: the model has no stem for {m!r} (model.stems: "
                             f"{', '.join(cfg.model.stems)}){meant(m, cfg.model.stems)}")
        if float(p) > 0 and len(bands := cfg.model.stems[m].bands) < 2:  # was: never dropped, unsaid
            raise ValueError(f"data.band_dropout[{m!r}]: the {m} stem reads one band ({', '.join(bands)}); no proper "
                             "subset of it can be dropped: leave it out of data.band_dropout")
    for group in cfg.data.modality_weights:  # a records' modality set ("optical", "optical+sar") or "text"
        if (unknown := [m for m in group.split("+") if m not in cfg.model.stems]) and group != "text":
            # was exit 1 once the model was built
            raise ValueError(f"data.modality_weights[{group!r}]: the model has no stem for "
                             f"{', '.join(map(repr, unknown))} (model.stems: {', '.join(cfg.model.stems)})"
                             f"{meant(unknown[0], cfg.model.stems)}")
    check_task_names(cfg.data.task_weights)
    check_links(cfg.model)
    from rsvlm.model.checks import check_prompt_text

    check_prompt_text(cfg.model.prompt)  # preflight's check_model_config has it too; launch.py has this one
    from rsvlm.model.stem import FILL_MODES

    if cfg.data.missing_bands not in FILL_MODES:  # was unknown to training: a band short was a bad sample, always
        raise ValueError(f"data.missing_bands must be one of {', '.join(FILL_MODES)}, got {cfg.data.missing_bands!r}"
                         + meant(cfg.data.missing_bands, FILL_MODES))
    if cfg.data.augment not in AUGMENTS:
        raise ValueError(f"data.augment must be none, flip or dihedral, got {cfg.data.augment!r}"
                         + meant(cfg.data.augment, AUGMENTS))
    if cfg.dist.backend not in BACKENDS:  # was used only once a process group formed: a typo passed one process
        raise ValueError(f"dist.backend must be one of {BACKENDS}, got {cfg.dist.backend!r}"
                         f"{meant(cfg.dist.backend, BACKENDS)}")
    if cfg.data.batching not in BATCHING:
        raise ValueError(f"data.batching must be one of {BATCHING}, got {cfg.data.batching!r}"
                         f"{meant(cfg.data.batching, BATCHING)}")
    if not cfg.data.train:
        raise ValueError("data.train: no training file given")
    if not cfg.out_dir.strip():  # was: "" is the current folder, which got final/, checkpoints/, metrics.jsonl …
        raise ValueError(f"out_dir: no folder given ({cfg.out_dir!r}); give the folder the run writes to")
    for i, src in enumerate(cfg.data.extra):
        if not src.path:
            raise ValueError(f"data.extra[{i}]: no path given")
        if not 0 < src.weight < float("inf"):  # NaN too: it made every draw probability NaN
            raise ValueError(f"data.extra[{i}] ({src.path}): weight must be > 0{finite(src.weight)}, got {src.weight}")
    if cfg.objective == "clip" and cfg.dist.deepspeed:
        raise ValueError("dist.deepspeed: contrastive pretraining (objective clip) runs plain torch.distributed "
                         "under torchrun; leave dist.deepspeed unset")
    for key in ("batch_size", "grad_accum", "max_steps"):
        if getattr(cfg, key) < 1:
            raise ValueError(f"{key} must be >= 1, got {getattr(cfg, key)}")
    check_numbers(cfg)
    for key, least in (("max_length", 1), ("num_workers", 0)):  # one message for both named the other too
        if getattr(cfg.data, key) < least:
            raise ValueError(f"data.{key} must be >= {least}, got {getattr(cfg.data, key)}")
    for key in ("task_weights", "modality_weights"):
        for g, w in getattr(cfg.data, key).items():
            if not 0 <= w < float("inf"):  # inf: every draw probability NaN (inf / inf), found mid-plan
                raise ValueError(f"data.{key}[{g!r}] must be >= 0{finite(w)}, got {w}")
    if not (cfg.data.task_temperature > 0 and cfg.data.modality_temperature > 0):  # NaN too
        raise ValueError("data.task_temperature and data.modality_temperature must be > 0")
    if not 0 <= cfg.data.max_bad_fraction <= 1:
        raise ValueError(f"data.max_bad_fraction must be in [0, 1], got {cfg.data.max_bad_fraction}")
    if cfg.optim.schedule not in ("cosine", "constant"):
        raise ValueError(f"optim.schedule must be cosine or constant, got {cfg.optim.schedule!r}"
                         + meant(cfg.optim.schedule, ("cosine", "constant")))
    if cfg.device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {cfg.device!r}{device_hint(cfg.device)}")
    if cfg.precision not in ("fp32", "bf16", "fp16"):
        named = {"float32": "fp32", "float": "fp32", "no": "fp32", "bfloat16": "bf16", "float16": "fp16",
                 "half": "fp16"}.get(str(cfg.precision).lower())  # predict/chat/eval's --dtype names, accelerate's no
        raise ValueError(f"precision must be fp32, bf16 or fp16, got {cfg.precision!r}"
                         + (f"; did you mean {named}?" if named else meant(cfg.precision, ("fp32", "bf16", "fp16"))))
    if cfg.precision == "fp16" and not cfg.dist.deepspeed:
        raise ValueError("precision fp16 needs a DeepSpeed config (loss scaling); use bf16 otherwise")
    if cfg.log.profile_steps and cfg.max_steps < PROFILE_AFTER + cfg.log.profile_steps:
        raise ValueError(f"log.profile_steps={cfg.log.profile_steps} profiles steps {PROFILE_AFTER + 1}.."
                         f"{PROFILE_AFTER + cfg.log.profile_steps}; "
                         f"max_steps={cfg.max_steps} ends before")
    if cfg.clip.dense_target not in ("share", "presence"):
        raise ValueError(f"clip.dense_target must be 'share' or 'presence', got {cfg.clip.dense_target!r}"
                         + meant(cfg.clip.dense_target, ("share", "presence")))
    if cfg.clip.dense_subgrid < 1:
        raise ValueError(f"clip.dense_subgrid must be >= 1, got {cfg.clip.dense_subgrid}")
    c = cfg.clip  # the text tower's sizes: were tracebacks from torch (or captions cut to nothing) mid-build
    for key, least in (("context_length", 2), ("embed_dim", 1), ("text_width", 1), ("text_layers", 1),
                       ("text_heads", 1), ("dense_classes", 1)):
        if getattr(c, key) < least:
            raise ValueError(f"clip.{key} must be >= {least}, got {getattr(c, key)}"
                             + (" (a caption's tokens and its end token)" if key == "context_length" else ""))
    if c.text_width % c.text_heads:
        raise ValueError(f"clip.text_width={c.text_width} must be a multiple of clip.text_heads={c.text_heads}")


def meant(value, allowed) -> str:
    """"; did you mean X?" for the one of ``allowed`` a refused value is near (precision=bf17, BF16: bf16); ""."""
    from rsvlm.near import near_names

    close = near_names(str(value).strip().lower(), allowed, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def device_hint(value) -> str:
    """The end of a refused ``device``: a GPU's other name (``gpu``) and one GPU by number (``cuda:1``) are cuda,
    not the device a spelling is near (``gpu`` was offered cpu)."""
    word = str(value).strip().lower()
    if one := re.fullmatch(r"(?:cuda|gpu):?(\d+)", word):
        return (f"; did you mean cuda? (a process's GPU is chosen by its launcher's LOCAL_RANK, or on one process by "
                f"CUDA_VISIBLE_DEVICES={one[1]})")
    return "; did you mean cuda?" if word in ("gpu", "gpus", "nvidia") else meant(value, ("auto", "cpu", "cuda"))


class LinkError(ValueError):
    """``check_links``' refusal; ``keys``: the dotted entries whose setting broke the link (``model.encoders.defualt``;
    ``model.stems.optical.encoder`` and the encoder it reads, ``model.encoders.default``), for
    ``rsvlm.train.flags.config_by`` to name the override or file that set them."""

    def __init__(self, message: str, *keys: str):
        super().__init__(message)
        self.keys = keys


def check_links(model: VLMConfig) -> None:
    """ValueError naming a stem or encoder entry that links to nothing, with the entry it is near: a stem whose
    ``encoder`` is no encoder (``defualt``, ``SAR``) or whose key is not its modality (an override's misspelt
    entry, ``model.stems.optcal.mean=…``, makes a new optical stem), both in ``vlm.check_stem_links``' words (the
    model's own check, whose ``StemLinkError`` names the stem and link), and an encoder no stem reads (an
    override's misspelt entry, ``model.encoders.defualt.patch_size=16``, made a new encoder and the run trained
    without it) whose name is near one a stem reads. A ``LinkError``: it cannot name what set the entry (it sees the
    model alone); ``rsvlm train`` does (``flags.config_by``)."""
    from rsvlm.model.vlm import StemLinkError, check_stem_links

    encoders, stems = list(model.encoders), list(model.stems)
    try:
        check_stem_links(model, "model.")
    except StemLinkError as e:  # the stem it names and its broken link: the near name to offer
        if e.field == "modality":  # a key misspelt (optcal): the stem entry it is near
            near = meant(e.stem, [s for s in stems if s != e.stem])
            hint = f" (model.stems: {', '.join(stems)}: a key misspelt makes a new stem{near})" if near else (
                f" (optical is the default: give a new stem its modality too, model.stems.{e.stem}.modality="
                f"{e.stem})" if model.stems[e.stem].modality == "optical" else "")
        else:  # an encoder misspelt (defualt): the encoder it is near
            hint = meant(model.stems[e.stem].encoder, encoders)
        keys = (f"model.stems.{e.stem}.encoder", f"model.encoders.{model.stems[e.stem].encoder}") \
            if e.field == "encoder" else (f"model.stems.{e.stem}",)
        raise LinkError(f"{e}{hint}", *keys) from None
    read = sorted({s.encoder for s in model.stems.values()})
    for name in encoders:  # one unread and unlike any read one (stems left out by an override: sar) may stay
        if name not in read and (near := meant(name, read)):
            raise LinkError(f"model.encoders.{name}: no stem reads it (model.stems.NAME.encoder: {', '.join(read)}), "
                             f"so it would be built and never trained (a key misspelt makes a new encoder){near} "
                             "Point a stem at it with model.stems.NAME.encoder, or leave it out", f"model.encoders.{name}")


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


def check_task_names(task_weights: dict) -> None:
    """ValueError naming a ``data.task_weights`` key that is no task: a task tag (``tokens.TASKS``, without
    its brackets) or ``chat`` (records without one). A typo ('detect') was found once the model was built
    and the data read."""
    from rsvlm.near import near_names
    from rsvlm.tokens import TASKS

    tasks = (*TASKS, "chat")
    for name in task_weights:
        if name not in tasks:
            close = near_names(str(name).strip("[]"), tasks, cutoff=0.5)  # DET: det
            raise ValueError(f"data.task_weights[{name!r}]: not a task; the tasks are {', '.join(tasks)} (chat: "
                             f"records without a task tag){f'; did you mean {close[0]!r}?' if close else ''}")


def finite(value) -> str:
    """" and finite" where ``value`` is infinite (``must be >= 0, got inf`` read as a contradiction); ""."""
    return " and finite" if isinstance(value, float) and math.isinf(value) else ""


def check_numbers(cfg: TrainConfig) -> None:
    """Reject counts, rates and limits out of range, naming the key (before the model is built; a
    ``log.every`` of 0 used to stop the run at step 1 with a ZeroDivisionError, a negative ``ckpt.every``
    saved every step, a ``ckpt.keep`` of 0 kept one, a negative ``optim.max_grad_norm`` or
    ``data.group_factor`` of 0 were read as off / 1 without a word)."""
    o = cfg.optim
    rules = [("seed", cfg.seed, 0 <= cfg.seed < 2**32, "in [0, 2**32)"),
             ("slow_step_s", cfg.slow_step_s, cfg.slow_step_s >= 0, ">= 0"),
             ("log.every", cfg.log.every, cfg.log.every >= 1, ">= 1"),
             ("log.profile_steps", cfg.log.profile_steps, cfg.log.profile_steps >= 0, ">= 0 (0: off)"),
             ("dist.timeout_s", cfg.dist.timeout_s, 1 <= cfg.dist.timeout_s,
              ">= 1 (seconds a process waits for the others at a collective)"),
             ("ckpt.every", cfg.ckpt.every, cfg.ckpt.every >= 0, ">= 0 (0: only at the end)"),
             ("ckpt.keep", cfg.ckpt.keep, cfg.ckpt.keep >= 1, ">= 1"),
             ("data.group_factor", cfg.data.group_factor, cfg.data.group_factor >= 1, ">= 1"),
             ("optim.lr", o.lr, 0 <= o.lr, ">= 0 (0: a run that changes no weight)"),
             ("optim.weight_decay", o.weight_decay, o.weight_decay >= 0, ">= 0"),
             # AdamW divides by sqrt(v) + eps: at 0, a step with a zero gradient (LoRA's A at step 1, its B being
             # zeros) made the weight NaN, and the run stopped at step 2 on a "not finite" loss, pointing at optim.lr
             ("optim.eps", o.eps, 0 < o.eps,
              "> 0 (AdamW divides by sqrt(v) + eps: at 0 a zero gradient makes the weight NaN; 1e-8 is usual)"),
             ("optim.warmup_steps", o.warmup_steps, o.warmup_steps >= 0, ">= 0"),
             ("optim.min_lr_ratio", o.min_lr_ratio, 0 <= o.min_lr_ratio <= 1, "in [0, 1]"),
             ("optim.max_grad_norm", o.max_grad_norm, o.max_grad_norm >= 0, ">= 0 (0: no clipping)"),
             ("optim.betas", o.betas, len(o.betas) == 2 and all(0 <= b < 1 for b in o.betas),
              "two numbers in [0, 1)")]
    # loss weights and widths: NaN passed the old `< 0` checks, and a negative pointer weight was taken
    rules += [(key, v, 0 <= v, ">= 0 (0: off)") for key, v in (
        ("loss.loc_sigma", cfg.loss.loc_sigma), ("loss.pointer_weight", cfg.loss.pointer_weight),
        ("clip.dense_weight", cfg.clip.dense_weight), ("clip.box_weight", cfg.clip.box_weight),
        ("clip.center_weight", cfg.clip.center_weight))]
    for key, value, ok, want in rules:  # inf: optim.weight_decay=inf made every weight NaN at step 1 (NaN: no ok)
        if not ok or finite(value):
            raise ValueError(f"{key} must be {want}{finite(value)}, got {value!r}")


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
