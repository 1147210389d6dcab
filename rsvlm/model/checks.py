"""``check_model_config(cfg)``: a model section's refusals, found without building the model.

Each ValueError names the key (``model.`` by default, as in a training config) and what it may be.
It reads only the config: the builders' registries (``ENCODERS``, ``PROJECTORS``, ``TEMPLATES``) and
lists of allowed values (``POS_CODES``, ``POS_EMBEDS``, ``LOC_INITS``, ``INTERPOLATIONS``), open_clip's
architecture table and transformers' config classes, no weights and no files, so
``rsvlm.train.run.preflight`` refuses such a run (exit 2) before its ``out_dir`` is written; the
builders (``create_model``) found them only after.

``check_model_files(cfg)`` looks for the local files the section names (an encoder's ``pretrained``,
the LLM's folder, its weights and shards, the tokenizer's files; safetensors headers only),
FileNotFoundError or ValueError naming the key; offline, for a hub name in the cache.

``image_tokens(cfg)``: one image's visual tokens per modality, as the built model counts them;
``check_lora_names(cfg)``: LoRA targets, on the parts built on the meta device (no weights; ``meta_llm``,
``meta_towers``: those parts, built once for every check that reads them).

Cannot: check the width of an LLM loaded from ``name_or_path`` (it needs the folder's config), nor
whether the files named are of this architecture, nor a hub name's files online (nor its LoRA
targets); those are still found while it is built.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from pathlib import Path

import torch

from rsvlm.model.llm import (
    LOC_INITS,
    LLMConfig,
    check_lora_targets,
    check_token_rows,
)
from rsvlm.model.llm_checks import (  # noqa: F401 (moved there; imported from here by factory, llm, run, scripts)
    TOKENIZER_FILES,
    cached_folder,
    check_llm_files,
    check_not_adapter,
)
from rsvlm.model.llm_files import HFConfigError, check_config_keys, check_model_type, names_unreadable
from rsvlm.model.projector import POS_CODES, PROJECTORS, ProjectorConfig, pooled_tokens
from rsvlm.model.stem import INTERPOLATIONS, check_stem
from rsvlm.model.templates import TEMPLATES
from rsvlm.model.vision import (
    ENCODERS,
    POS_EMBEDS,
    VisionConfig,
    build_encoder,
    check_arch_keys,
    check_hf_keys,
    check_pretrained,
)
from rsvlm.model.vlm import TRAINABLE, VLMConfig, check_stem_links
from rsvlm.near import near_names
from rsvlm.tokens import IMAGE_TOKEN


def check_model_config(cfg: VLMConfig, prefix: str = "model.", lm: bool = True, scans: dict | None = None) -> None:
    """ValueError naming the first key of ``cfg`` its builders would refuse, or that would fail at the
    first step (a patch size that does not divide the image, a stem's resize mode); ``prefix``: where
    the section sits (``""`` for a model YAML of its own); ``lm``: check the LLM, projector and loc
    pointer too (a contrastive run builds encoders and stems only); ``scans``: ``llm_files.scanned``'s, per build."""
    for part, modes in TRAINABLE.items():  # trainable.llm: half was refused once the LLM had loaded, naming no key
        if (lm or part in ("encoder", "stem")) and getattr(cfg.trainable, part) not in modes:
            raise ValueError(f"{prefix}trainable.{part} must be one of {modes}, got {getattr(cfg.trainable, part)!r}")
    grids = {}  # encoder name → token grid side
    for name, enc in cfg.encoders.items():
        grids[name] = check_encoder(enc, f"{prefix}encoders.{name}", cfg.trainable.encoder)
    if not cfg.stems:
        raise ValueError(f"{prefix}stems: no stem; give one per modality (e.g. optical: {{bands: [R, G, B], …}})")
    check_stem_links(cfg, prefix)
    for name, stem in cfg.stems.items():
        key = f"{prefix}stems.{name}"
        if stem.interpolation not in INTERPOLATIONS:  # check_stem refuses it too, naming no key
            raise ValueError(f"{key}.interpolation must be one of {INTERPOLATIONS}, got {stem.interpolation!r}")
        try:
            check_stem(stem)
        except ValueError as e:
            raise ValueError(f"{key}: {e}") from None
    if lm:
        check_lm_parts(cfg, prefix, {n: grids[n] for n in {s.encoder for s in cfg.stems.values()}}, scans)
    if cfg.prompt.max_history is not None and cfg.prompt.max_history < 0:
        raise ValueError(f"{prefix}prompt.max_history must be >= 0 (None: as many as the context holds), "
                         f"got {cfg.prompt.max_history}")
    check_prompt_text(cfg.prompt, prefix)  # was only training's: chat, predict and eval failed each sample
    try:  # written with {s} / {pl} (inference.py); another field was a KeyError at predict time
        cfg.prompt.det_class_question.format(s="ship", pl="ships")
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f"{prefix}prompt.det_class_question {cfg.prompt.det_class_question!r}: only {{s}} (singular) "
                         f"and {{pl}} (plural) may be filled in ({type(e).__name__}: {e})") from None


def check_prompt_text(prompt, prefix: str = "model.") -> None:
    """ValueError naming the ``prompt`` key (``system``, ``answer_lead``, ``det_class_question``, a
    ``det_classes`` entry) whose text holds the image placeholder: each sample then had one more image token
    than images ("prompt has 2 <image> placeholders but 1 image was given", naming no key: exit 1 once a
    training run had read its data; a failure per sample in chat, predict and eval)."""
    texts = {"system": prompt.system, "answer_lead": prompt.answer_lead, "det_class_question": prompt.det_class_question,
             **{f"det_classes[{i}]": c for i, c in enumerate(prompt.det_classes)}}
    for key, text in texts.items():
        if isinstance(text, str) and IMAGE_TOKEN in text:
            raise ValueError(f"{prefix}prompt.{key}: {text!r} holds {IMAGE_TOKEN}, the image placeholder, which only a "
                             "record's own turns may hold (one per image of the record); write it otherwise")


def image_tokens(cfg: VLMConfig, prefix: str = "model.") -> dict[str, int]:
    """Visual tokens of one image of each stem's modality, counted as the built model counts them
    (``RSVLM.n_visual_tokens``: its encoder's token grid, pooled by the projector); ``check_model_config``
    first (ValueError naming the key otherwise)."""
    used = {s.encoder for s in cfg.stems.values()}
    grids = {n: check_encoder(cfg.encoders[n], f"{prefix}encoders.{n}", cfg.trainable.encoder) for n in used}
    return {m: pooled_tokens((grids[s.encoder], grids[s.encoder]), cfg.projector.pool) for m, s in cfg.stems.items()}


def check_model_files(cfg: VLMConfig, prefix: str = "model.", lm: bool = True) -> None:
    """FileNotFoundError naming the first key whose local file or folder is not there or lacks what its
    builder reads (``check_pretrained``, ``check_llm_files``); ``lm``: the LLM's too."""
    for name, enc in cfg.encoders.items():
        check_pretrained(enc, f"{prefix}encoders.{name}")
    if not lm:
        return
    check_llm_files(cfg.llm, f"{prefix}llm", weights=True)
    tok = cfg.llm.tokenizer or cfg.llm.name_or_path
    if cfg.prompt.answer_lead is not None and cfg.llm.chat_template is None and tok and _own_template(Path(tok)):
        raise ValueError(f"{prefix}prompt.answer_lead needs a registry chat template ({prefix}llm.chat_template, e.g. "
                         f"rsvlm); the tokenizer in {tok} has its own, which writes its answers itself")


def _own_template(folder: Path) -> bool:
    """Whether the tokenizer folder holds a chat template of its own (``chat_template.jinja``, a
    ``chat_templates/`` folder, or one in ``tokenizer_config.json``), which ``Processor`` uses where
    ``llm.chat_template`` is null."""
    import json

    from transformers.utils import CHAT_TEMPLATE_DIR, CHAT_TEMPLATE_FILE

    folder = folder.expanduser()
    if (folder / CHAT_TEMPLATE_FILE).is_file() or (folder / CHAT_TEMPLATE_DIR).is_dir():
        return True
    try:
        return bool(json.loads((folder / "tokenizer_config.json").read_text()).get("chat_template"))
    except (OSError, ValueError, AttributeError):  # none, or not a JSON object: the build says so
        return False


def meta_llm(cfg: LLMConfig, key: str = "llm", scans: dict | None = None):
    """The LLM built on the meta device (shapes only, no weights read) from ``config`` or the folder's
    config.json (a hub name's in the Hugging Face cache); None for a hub name not cached or a folder without
    config.json (the build names it). One build serves the LoRA checks and ``build_llm`` (``shapes``): a meta
    or 4-bit build made it a second time."""
    from transformers import AutoConfig, AutoModelForCausalLM

    from rsvlm.model.ckpt_files import base_folder

    if cfg.name_or_path:
        # a cached hub base was None: a LoRA target typo on it was found only once the LLM had loaded
        folder = base_folder(cfg.name_or_path)
        if folder is None or not (folder / "config.json").is_file():  # the build names it
            return None
        with names_unreadable(f"{key}.name_or_path", cfg.name_or_path, ValueError):  # a config.json
            hf = AutoConfig.from_pretrained(folder)                                  # of another kind
    else:
        hf = _hf_config(cfg, key, scans)
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(hf)


def meta_towers(cfg: VLMConfig) -> dict[str, torch.nn.Module]:
    """Each of ``cfg.encoders`` built on the meta device (shapes only, no weights read: ``pretrained`` unset)
    where ``trainable.encoder`` is lora; {} otherwise. One build serves ``check_lora_names`` (``towers``), the
    training preflight's rank note and its ``init_from`` check (``create_model``'s ``towers``)."""
    if cfg.trainable.encoder != "lora":
        return {}
    with torch.device("meta"):
        return {name: build_encoder(replace(vc, pretrained=None)) for name, vc in cfg.encoders.items()}


def check_lora_names(cfg: VLMConfig, prefix: str = "model.", lm: bool = True, llm=None, towers=None,
                     scans: dict | None = None):
    """ValueError naming ``llm.target_modules`` or ``encoders.NAME.lora_target_modules`` where an entry
    matches no module or one whose LoRA would go unused (``llm.check_lora_targets``), or a module whose
    new-token rows ``llm.lora_token_rows`` trains (``llm.check_token_rows``), on the part built on the
    meta device: shapes only, no weights read, nothing allocated. It was found once the model was
    loaded (minutes for a 7B one). An LLM by hub name, or a folder without config.json, is left to the
    build. ``check_model_config`` first (``create_model`` and the training preflight call it after).
    ``llm``: the meta LLM (``meta_llm``), ``towers``: the meta encoders (``meta_towers``) where the caller has
    them (built here otherwise); returns the LLM it checked (or None)."""
    if cfg.trainable.encoder == "lora":
        towers = meta_towers(cfg) if towers is None else towers
        for name, vc in cfg.encoders.items():
            check_lora_targets(towers[name], list(vc.lora_target_modules),
                               f"{prefix}encoders.{name}.lora_target_modules")
    if not (lm and cfg.trainable.llm == "lora"):
        return llm
    if llm is None:
        llm = meta_llm(cfg.llm, f"{prefix}llm", scans)
    if llm is not None:
        check_lora_targets(llm, list(cfg.llm.target_modules), f"{prefix}llm.target_modules")
        check_token_rows(llm, cfg.llm, f"{prefix}llm")
    return llm


def check_lm_parts(cfg: VLMConfig, prefix: str, grids: dict[str, int], scans: dict | None = None) -> None:
    """The LLM, the projector (``grids``: token grid side of each encoder a stem uses) and the loc pointer."""
    d_llm = check_llm(cfg.llm, f"{prefix}llm", cfg.trainable.llm, scans)
    check_projector(cfg.projector, f"{prefix}projector", grids, d_llm)
    p = cfg.loc_pointer
    if p.enabled and not (p.dim >= 1 and p.sigma_cells > 0 and 0 < p.eps <= 1):
        raise ValueError(f"{prefix}loc_pointer: dim must be >= 1, sigma_cells > 0 and eps in (0, 1], got dim={p.dim}, "
                         f"sigma_cells={p.sigma_cells}, eps={p.eps}")


def _resolved(cfg: VisionConfig, key: str) -> dict:
    """The tower's sizes as the encoder builds them: width, heads, layers, patch_size, image_size."""
    if cfg.type == "hf_clip":
        hf = dict(cfg.hf_config or {})
        return {"width": hf.get("hidden_size", cfg.width), "heads": hf.get("num_attention_heads", cfg.heads),
                "layers": hf.get("num_hidden_layers", cfg.layers), "patch_size": hf.get("patch_size", cfg.patch_size),
                "image_size": hf.get("image_size", 224 if cfg.image_size is None else cfg.image_size)}
    if not cfg.arch:
        return {"width": cfg.width, "heads": cfg.heads, "layers": cfg.layers, "patch_size": cfg.patch_size,
                "image_size": 32 if cfg.image_size is None else cfg.image_size}
    from open_clip import get_model_config, list_models

    model_cfg = get_model_config(cfg.arch)
    if model_cfg is None:
        close = near_names(cfg.arch, list_models(), n=3, cutoff=0.6)  # vit-b-16: ViT-B-16 alone
        raise ValueError(f"{key}.arch: unknown open_clip architecture {cfg.arch!r}"
                         + (f"; did you mean {close}?" if close else " (open_clip.list_models() names them)"))
    v = model_cfg["vision_cfg"]
    if isinstance(v.get("layers"), (list, tuple)) or v.get("timm_model_name"):
        raise ValueError(f"{key}.arch: open_clip architecture {cfg.arch!r} is not a ViT; only ViTs are supported")
    check_arch_keys(cfg, model_cfg, key)
    size = v["image_size"] if cfg.image_size is None else cfg.image_size  # 0 is no default: refused below
    return {"width": v["width"], "heads": None, "layers": v["layers"], "patch_size": v["patch_size"],
            "image_size": size if isinstance(size, int) else size[0]}


def check_encoder(cfg: VisionConfig, key: str, trainable: str) -> int:
    """The encoder's token grid side; ValueError naming ``key``'s field its build (or its first forward) refuses."""
    if cfg.type not in ENCODERS:
        raise ValueError(f"{key}.type: unknown encoder type {cfg.type!r}; known: {sorted(ENCODERS)}")
    if cfg.type == "hf_clip" and (cfg.patch_skip or cfg.pretrained):
        raise ValueError(f"{key}: hf_clip encoders take weights from a converted checkpoint; patch_skip and "
                         "pretrained are open_clip-only")
    if cfg.type == "hf_clip":
        with warnings.catch_warnings():  # its warnings about unknown keys come once, from the build
            warnings.simplefilter("ignore")
            check_config_keys("clip_vision_model", dict(cfg.hf_config or {}), f"{key}.hf_config")
        check_hf_keys(cfg, key)
    if cfg.pos_embed not in POS_EMBEDS:
        raise ValueError(f"{key}.pos_embed must be one of {POS_EMBEDS}, got {cfg.pos_embed!r}")
    s = _resolved(cfg, key)
    for field in ("width", "layers", "patch_size", "image_size", *(("heads",) if s["heads"] is not None else ())):
        if not s[field] >= 1:
            raise ValueError(f"{key}.{field} must be >= 1, got {s[field]}")
    if s["heads"] is not None and s["width"] % s["heads"]:
        raise ValueError(f"{key}: width {s['width']} is not divisible by heads {s['heads']}")
    if not cfg.arch and cfg.type == "open_clip" and not cfg.mlp_ratio > 0:
        raise ValueError(f"{key}.mlp_ratio must be > 0, got {cfg.mlp_ratio}")
    hf_units = (cfg.hf_config or {}).get("intermediate_size") if cfg.type == "hf_clip" else None
    if hf_units is not None and not hf_units >= 1:
        raise ValueError(f"{key}.hf_config.intermediate_size must be >= 1, got {hf_units}")
    if not cfg.arch and hf_units is None and int(s["width"] * cfg.mlp_ratio) < 1:  # the builders' int(width·ratio)
        raise ValueError(f"{key}.mlp_ratio {cfg.mlp_ratio} gives width {s['width']} an MLP of "
                         f"{int(s['width'] * cfg.mlp_ratio)} units; it needs >= {1 / s['width']:.3g}")
    if s["image_size"] % s["patch_size"]:  # was: built, then every image refused at the first step
        raise ValueError(f"{key}: image_size {s['image_size']} is not a multiple of patch_size {s['patch_size']}; "
                         f"e.g. image_size={s['image_size'] // s['patch_size'] * s['patch_size'] or s['patch_size']}")
    n = s["layers"]
    if not -(n + 1) <= cfg.feature_layer <= n:  # open_clip took it modulo n+1 (-5 of 2 layers: after 1 block)
        raise ValueError(f"{key}.feature_layer must be in [{-(n + 1)}, {n}] for {n} layers (0: the patch embeddings, "
                         f"-1: the last block), got {cfg.feature_layer}")
    if trainable == "lora" and cfg.lora_r < 1:
        raise ValueError(f"{key}.lora_r must be >= 1, got {cfg.lora_r} (trainable.encoder is lora)")
    if trainable == "lora" and not cfg.lora_alpha > 0:  # 0 scales the adapters' output and gradients to 0
        raise ValueError(f"{key}.lora_alpha must be > 0, got {cfg.lora_alpha} (trainable.encoder is lora)")
    return s["image_size"] // s["patch_size"]


def check_projector(cfg: ProjectorConfig, key: str, grids: dict[str, int], d_llm: int | None) -> None:
    """ValueError naming ``key``'s field the projector refuses; ``grids``: token grid side of each encoder a
    stem uses; ``d_llm``: the LLM's width where the config gives it."""
    if cfg.type not in PROJECTORS:
        raise ValueError(f"{key}.type: unknown projector type {cfg.type!r}; known: {sorted(PROJECTORS)}")
    if cfg.pool < 1:
        raise ValueError(f"{key}.pool must be >= 1, got {cfg.pool}")
    if cfg.pos_code not in POS_CODES:
        raise ValueError(f"{key}.pos_code must be one of {POS_CODES}, got {cfg.pos_code!r}")
    if not (0 <= cfg.pos_code_scale < math.inf):
        raise ValueError(f"{key}.pos_code_scale must be >= 0, got {cfg.pos_code_scale}")
    if cfg.pos_code == "loc2d" and d_llm is not None and d_llm % 4:
        raise ValueError(f"{key}.pos_code loc2d needs an LLM width divisible by 4, got {d_llm}")
    for name, g in sorted(grids.items()):
        if g % cfg.pool:
            raise ValueError(f"{key}.pool {cfg.pool} does not divide the {g}x{g} token grid of encoder {name!r}")


def check_llm(cfg: LLMConfig, key: str, trainable: str, scans: dict | None = None) -> int | None:
    """The LLM's width where ``config`` builds it (None for ``name_or_path``: it needs the folder's config);
    ValueError naming ``key``'s field ``build_llm`` or ``apply_llm_trainability`` refuses."""
    quant = cfg.load_in_4bit or cfg.load_in_8bit
    if cfg.load_in_4bit and cfg.load_in_8bit:
        raise ValueError(f"{key}.load_in_4bit and {key}.load_in_8bit are exclusive")
    if quant and trainable == "full":
        raise ValueError(f"{key}: a 4/8-bit LLM cannot be trained 'full'; set trainable.llm to lora (QLoRA)")
    if cfg.chat_template is not None and cfg.chat_template not in TEMPLATES:
        close = near_names(str(cfg.chat_template), TEMPLATES, cutoff=0.6)
        raise ValueError(f"{key}.chat_template: unknown chat template {cfg.chat_template!r}; known: {sorted(TEMPLATES)} "
                         f"(null: the tokenizer's own){f'; did you mean {close[0]!r}?' if close else ''}")
    if cfg.pad_vocab_multiple < 1:
        raise ValueError(f"{key}.pad_vocab_multiple must be >= 1, got {cfg.pad_vocab_multiple}")
    if cfg.loc_init not in LOC_INITS:
        raise ValueError(f"{key}.loc_init must be one of {LOC_INITS}, got {cfg.loc_init!r}")
    if trainable == "lora":
        if cfg.lora_r < 1:  # peft's "`r` should be a positive integer" named no key
            raise ValueError(f"{key}.lora_r must be >= 1, got {cfg.lora_r} (trainable.llm is lora)")
        if not cfg.lora_alpha > 0:  # 0 scales the adapters' output and gradients to 0: they learn nothing
            raise ValueError(f"{key}.lora_alpha must be > 0, got {cfg.lora_alpha} (trainable.llm is lora)")
        if not 0 <= cfg.lora_dropout < 1:  # 1 would zero every LoRA input: the adapters learn nothing
            raise ValueError(f"{key}.lora_dropout must be in [0, 1), got {cfg.lora_dropout}")
    if cfg.name_or_path:
        return None
    if not cfg.config:
        raise ValueError(f"{key} needs name_or_path (a saved model) or config (random weights)")
    if quant:
        raise ValueError(f"{key}: 4/8-bit loading needs {key}.name_or_path (a saved model), not {key}.config")
    return int(_hf_config(cfg, key, scans).get_text_config().hidden_size)


def _hf_config(cfg: LLMConfig, key: str, scans: dict | None = None):
    """transformers' config that ``config`` builds, through its own config class and its checks (a head
    count that does not divide the width was a traceback from the build); ValueError naming ``key``."""
    from transformers import AutoConfig

    conf = dict(cfg.config)
    model_type = conf.pop("model_type", None)
    if model_type is None:
        raise HFConfigError(f"{key}.config needs a model_type (e.g. 'llama', 'qwen2')", f"{key}.config")
    check_model_type(model_type, f"{key}.config")
    with warnings.catch_warnings():  # its warnings about unknown keys come once, from the build
        warnings.simplefilter("ignore")
        check_config_keys(model_type, conf, f"{key}.config", scans)
    try:
        hf = AutoConfig.for_model(model_type, **conf)
    except Exception as e:  # transformers' validators raise their own error types
        cause = e.__cause__ or e
        msg = str(cause)
        raise HFConfigError(f"{key}.config: {msg.strip().splitlines()[-1].strip() if msg.strip() else type(e).__name__}",
                            f"{key}.config") from None
    return hf
