"""The checks of a training config (``TrainConfig``): each value the loop cannot honour refused before the model
is built, naming its key. ``rsvlm.train.config`` keeps these names importable from it."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from rsvlm.model.vlm import TRAINABLE, VLMConfig

if TYPE_CHECKING:
    from rsvlm.train.config import TrainConfig


def frozen_quantised_problem(model: VLMConfig, prefix: str) -> str | None:
    """Why ``model`` cannot be trained: a frozen 4/8-bit LLM is never saved (its LLM cannot be written whole; it was
    found at the final save, after a whole run trained its stems and projector); None otherwise."""
    if (model.llm.load_in_4bit or model.llm.load_in_8bit) and model.trainable.llm == "frozen":
        return (f"{prefix}trainable.llm: frozen, with a 4/8-bit LLM: such a model is never saved (its LLM cannot be "
                f"written whole): set {prefix}trainable.llm to lora (QLoRA), or load the LLM in full precision")
    return None


def check_config(cfg: TrainConfig) -> None:
    """Reject values the loop cannot honour, naming the key."""
    from rsvlm.train.config import AUGMENTS, BACKENDS, BATCHING, OBJECTIVES, PROFILE_AFTER

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
