"""Checkpoint directories: save and load (merging LoRA: ``rsvlm.model.merge``).

    ckpt/config.yaml          resolved VLMConfig (llm paths relative to ckpt where they point inside)
    ckpt/vision.safetensors   stems, encoders, projectors, a loc pointer if any (everything but the LLM)
    ckpt/llm/                 the LLM in Hugging Face layout (base weights, LoRA not merged)
    ckpt/adapter/             peft LoRA adapter (+ trainable new-token rows) when the LLM has one
    ckpt/adapter/rsvlm_base.json   adapter-only: the base's name and weights' fingerprint (``base_print``)
    ckpt/tokenizer/           tokenizer with rsvlm's special tokens
    ckpt/README.md            model card

``adapter_only=True`` leaves out ``llm/``; the adapter then names the base model by the path in
``cfg.llm.name_or_path`` (made absolute when it is a local folder), which must exist when loading (a hub name: in
the Hugging Face cache). Loading reads safetensors/JSON only (``rsvlm.model.ckpt_files`` checks the files first).
The adapter never holds the whole embeddings and head (peft's ``save_embedding_layers``, on where the vocabulary
grew): only their new-token rows train (``llm.lora_token_rows``), the rest are llm/'s, or the base's resized as at
training (``llm.build_llm``: the same seeded mean init); nor does peft ask the hub about a base named by hub name.
Limits: a 4/8-bit LLM saves adapter-only, and loads in full precision unless ``load_in_4bit`` /
``load_in_8bit`` is given again; encoder LoRA is kept as LoRA weights inside vision.safetensors
(``rsvlm.model.merge.merge_lora`` folds it in).
Reading weight files, and averaging or comparing checkpoints tensor by tensor: ``rsvlm.model.weights``.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import sys
import threading
import warnings
from pathlib import Path

import torch

import rsvlm.model.llm as llm_parts
from rsvlm.config import ConfigError, from_dict, load_yaml, save_config
from rsvlm.loading import load_args
from rsvlm.model.base_print import FINGERPRINT, other_base, record_base
from rsvlm.model.ckpt_files import (
    adapter_lacks,
    adapter_mismatch,
    adapter_notes,
    base_folder,
    check_adapter_values,
    check_files,
    check_llm_values,
    hub_snapshot,
    lacks_tensor,
    no_checkpoint,
    vocab_rows,
)
from rsvlm.model.half import float32_head
from rsvlm.model.llm_files import home_expanded, names_unreadable, quantised_save_problem, save_tokenizer
from rsvlm.model.out_folder import (  # noqa: F401  (importable from here, as merge and scripts do)
    check_new_folder,
    enclosing_checkpoint,
    script_write,
    undone_on_failure,
)
from rsvlm.model.own_llm import (
    blamed,
    differing_tensor,
    no_llm_named,
    overriding,
    own_llm_problem,
    unused_llm_config,
)
from rsvlm.model.processor import Processor
from rsvlm.model.quiet import bars_after, deepspeed_cpu_note_quietly, peft_quietly
from rsvlm.model.vision import fit_positions, follow_hf_twins, shape_mismatches
from rsvlm.model.vlm import RSVLM, VLMConfig, left_on_meta, params_on_meta, place_vision_side
from rsvlm.model.weights import (  # noqa: F401  (importable from here, as scripts and tests do)
    MERGED,
    PEFT_KEY,
    PROVENANCE,
    average_checkpoints,
    compare_weights,
    load_safetensors,
    odd_values,
    open_safetensors,
    pickled_note,
    saved_dtypes,
)
from rsvlm.near import near_names
from rsvlm.progress import counted

_OTHER_MODEL = "the weights and the config are of different models"  # how vision.safetensors' misfits end
# one load at a time: params_on_meta (accelerate) swaps nn.Module.register_parameter process-wide while it builds
_LOADING = threading.RLock()


def _is_peft(llm) -> bool:
    # no PeftModel exists unless peft was imported; importing it just to ask would import
    # bitsandbytes too (peft does), which warns on CPUs without its kernels
    peft = sys.modules.get("peft")
    return peft is not None and isinstance(llm, peft.PeftModel)


def vision_state_dict(model: RSVLM) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if not k.startswith("llm.")}


def base_llm_state_dict(llm) -> dict[str, torch.Tensor]:
    """The LLM's own weights without LoRA / trainable-token adapters (nothing merged)."""
    if not _is_peft(llm):
        return llm.state_dict()
    out = {}
    for k, v in llm.get_base_model().state_dict().items():
        if PEFT_KEY.search(k + "."):
            continue
        out[k.replace(".token_adapter.base_layer.", ".").replace(".base_layer.", ".")] = v
    return out


def _model_card(cfg: VLMConfig, adapter_only: bool) -> str:
    encs = ", ".join(f"{n} ({c.type} {c.arch or f'{c.width}w{c.layers}L p{c.patch_size} {c.image_size or 32}px'})"
                     for n, c in cfg.encoders.items())
    mods = ", ".join(f"{m} ({', '.join(s.bands)} → {s.encoder})" for m, s in cfg.stems.items())
    llm = cfg.llm.name_or_path if adapter_only else "llm/ (in this directory)"
    return (f"# rsvlm checkpoint\n\n- encoders: {encs}\n- modalities: {mods}\n"
            f"- projector: {cfg.projector.type}, pool {cfg.projector.pool}\n- LLM: {llm}"
            f"{' (LoRA adapter only; base loaded from that path)' if adapter_only else ''}\n"
            f"- trainable: {dataclasses.asdict(cfg.trainable)}\n\n"
            "Load with `rsvlm.model.load_pretrained(dir)` or `rsvlm chat --model DIR`.\n")


def save_pretrained(model: RSVLM, out_dir: str | Path, adapter_only: bool = False) -> Path:
    from safetensors.torch import save_file

    out = Path(out_dir)
    cfg = model.cfg
    peft = _is_peft(model.llm)
    if adapter_only and not peft:
        raise ValueError("adapter_only save needs a LoRA LLM (trainable.llm: lora)")
    if adapter_only and not cfg.llm.name_or_path:
        raise ValueError("adapter_only save needs llm.name_or_path (a base on disk); this LLM was built "
                         "from llm.config — save the full checkpoint instead")
    if not adapter_only and (cfg.llm.load_in_4bit or cfg.llm.load_in_8bit):
        raise ValueError(quantised_save_problem(out, peft))
    out.mkdir(parents=True, exist_ok=True)  # after the refusals: one left an empty folder behind
    save_file(vision_state_dict(model), str(out / "vision.safetensors"))
    save_tokenizer(model.tokenizer, out / "tokenizer")
    llm_cfg = dataclasses.replace(cfg.llm, tokenizer="tokenizer", load_in_4bit=False, load_in_8bit=False)
    if not adapter_only:
        base = model.llm.get_base_model() if peft else model.llm
        # "Writing model shards: 100%|...| 1/1" at every checkpoint of a training run
        with bars_after(2.0), deepspeed_cpu_note_quietly():
            base.save_pretrained(out / "llm", state_dict=base_llm_state_dict(model.llm))
        llm_cfg = dataclasses.replace(llm_cfg, name_or_path="llm", config=None)
    elif Path(cfg.llm.name_or_path).expanduser().exists():  # a base given relative to the working directory
        # (or to ~: stored so, load_pretrained found no such base): kept absolute
        llm_cfg = dataclasses.replace(llm_cfg, name_or_path=str(Path(cfg.llm.name_or_path).expanduser().resolve()))
    if adapter_only and (out / "llm").is_dir() and (out / "llm").resolve() != Path(llm_cfg.name_or_path).resolve():
        shutil.rmtree(out / "llm")  # an older full save's LLM: a second model beside the one config.yaml names
    if peft:  # LoRA and the new-token rows' deltas only, never the whole embeddings and head (below)
        model.llm.save_pretrained(out / "adapter", save_embedding_layers=False)
        (out / "adapter" / FINGERPRINT).unlink(missing_ok=True)  # an older adapter-only save's
        if adapter_only:  # which base it trained on: another of the same shapes loaded without a word
            if note := record_base(out / "adapter", llm_cfg.name_or_path, base_folder(cfg.llm.name_or_path)):
                warnings.warn(note, stacklevel=2)
    elif (out / "adapter").is_dir():  # an older save's adapter would be applied on top of these weights
        shutil.rmtree(out / "adapter")
    (out / MERGED).unlink(missing_ok=True)  # an older merged save's: not these weights' (merge_lora records anew)
    save_config(dataclasses.replace(cfg, llm=llm_cfg), out / "config.yaml")
    (out / "README.md").write_text(_model_card(cfg, adapter_only))
    return out


def resolve_in(path: str | None, root: Path) -> str | None:
    """``path`` as a checkpoint ``root``'s config.yaml means it: inside ``root`` where it is relative and there."""
    if path and not Path(path).is_absolute() and (root / path).exists():
        return str(root / path)
    return path


def load_pretrained(ckpt_dir: str | Path, device: str | torch.device | None = None,
                    dtype: torch.dtype | str | None = None, load_in_4bit: bool = False, load_in_8bit: bool = False,
                    overrides: list[str] | None = None, any_base: bool = False) -> tuple[RSVLM, Processor]:
    """Rebuild the model from a checkpoint dir; missing vision keys raise, and so do unexpected ones in a part
    the config builds (an edited projector type); those of a part it does not build (a stem left out) warn.

    ``overrides`` (``key=value``) change the saved config; the result is checked as ``create_model``
    checks a config, and may not add an encoder or stem. An ``image_size`` override resizes the saved
    position table (``fit_positions``; an hf_clip tower's ``hf_config.image_size`` follows, ``follow_hf_twins``). Encoders' ``pretrained`` files are not read (their weights are in
    vision.safetensors).

    An adapter-only checkpoint whose ``adapter/rsvlm_base.json`` records another base than the one named (same
    shapes, other weights: ``base_print``) is refused; ``any_base`` loads it with a warning instead.
    Threads loading at once take turns (``_LOADING``)."""
    dtype, overrides = load_args(dtype, overrides, device, ckpt_dir)  # "bf16" as --dtype takes it; one override a str
    with _LOADING:
        return _load(ckpt_dir, device, dtype, load_in_4bit, load_in_8bit, overrides, any_base)


def _load(ckpt_dir, device, dtype, load_in_4bit, load_in_8bit, overrides, any_base) -> tuple[RSVLM, Processor]:
    from rsvlm.model.vlm import set_trainable
    from rsvlm.overrides import apply_overrides

    root = Path(ckpt_dir)
    if not (root / "config.yaml").is_file():
        raise FileNotFoundError(no_checkpoint(root))
    raw = load_yaml(root / "config.yaml", VLMConfig)  # a quoted number: refused naming file, line, key
    if not raw:  # every key at its default: the message was 'LLM base None not found'
        raise ConfigError(f"{root / 'config.yaml'}: empty, where a checkpoint keeps its model config "
                          "(an interrupted save or copy?)")
    try:  # the file alone first: a data_gen or training config there is not the user's override error
        saved = from_dict(VLMConfig, raw)
    except ConfigError as e:
        if isinstance(raw, dict) and {"encoders", "stems", "llm"} <= set(raw):  # a model config all the same
            raise ConfigError(f"{root / 'config.yaml'}: a model config this rsvlm cannot read ({e}): written by "
                              "another rsvlm version, or edited; remove or correct that key", keys=e.keys) from None
        raise ConfigError(f"{root}: not an rsvlm checkpoint (its config.yaml is no model config: {e})") from None
    cfg = from_dict(VLMConfig, apply_overrides(raw, list(overrides or []), VLMConfig))
    for part in ("encoders", "stems"):  # a typo (encoders.defualt.image_size) built a part with no weights
        if added := sorted(set(getattr(cfg, part)) - set(getattr(saved, part))):
            have = sorted(getattr(saved, part))
            close = near_names(added[0], have, cutoff=0.6)  # Default: default
            raise ConfigError(f"override {part}.{added[0]}: {root} has no {part[:-1]} {added[0]!r} (it has "
                              f"{', '.join(have)}){f'; did you mean {close[0]!r}?' if close else ''}; overrides "
                              "change the checkpoint's parts and add none (there are no weights for them)",
                              keys=(f"{part}.{added[0]}",))
    cfg = _old_hf_sincos(saved, cfg, root)
    # an hf_clip tower's image_size and hf_config.image_size: one overridden, the other follows (was: both needed)
    cfg = dataclasses.replace(cfg, encoders={n: follow_hf_twins(saved.encoders[n], e) for n, e in cfg.encoders.items()})
    llm_cfg = dataclasses.replace(cfg.llm, name_or_path=home_expanded(resolve_in(cfg.llm.name_or_path, root)),
                                  tokenizer=home_expanded(resolve_in(cfg.llm.tokenizer, root)),
                                  load_in_4bit=load_in_4bit or cfg.llm.load_in_4bit,
                                  load_in_8bit=load_in_8bit or cfg.llm.load_in_8bit)
    if not cfg.llm.name_or_path:  # was "LLM base None not found (no llm/ in the checkpoint)", beside its llm/; '' "."
        cut = "; it has no llm section at all: cut short by an interrupted save or copy?" if "llm" not in raw else ""
        # an override's mapping for the whole llm section (llm={config: …}): was blamed on the config.yaml
        raise ConfigError(no_llm_named(root / "config.yaml", saved.llm.name_or_path, list(overrides or []),
                                       root / "llm" if (root / "llm").is_dir() else None, cut))
    snap = None if Path(llm_cfg.name_or_path).exists() else hub_snapshot(llm_cfg.name_or_path)
    if not Path(llm_cfg.name_or_path).exists() and snap is None:  # a cached hub base loads (from its cached folder)
        raise FileNotFoundError(f"{root}: LLM base {cfg.llm.name_or_path!r} not found (no llm/ in the checkpoint); "
                                f"point llm.name_or_path in {root / 'config.yaml'} at the base model's folder")
    # which LLM: its own llm/, or another named (by config.yaml or an override: said which), refused unless any_base
    other_llm = own_llm_problem(root, llm_cfg.name_or_path, snap or Path(llm_cfg.name_or_path),
                                overriding("llm.name_or_path", overrides or []), cfg.llm.base_vocab)
    if other_llm and not other_llm.lora_save:  # a LoRA's full save named back at its base: proved after the build
        _other_llm(other_llm.refusal(), any_base)
    check_files(root, llm_cfg)
    # a full fine-tune loaded 4/8-bit is there to answer: frozen (it was "cannot be trained 'full'")
    mode = "frozen" if (llm_cfg.load_in_4bit or llm_cfg.load_in_8bit) and cfg.trainable.llm == "full" else cfg.trainable.llm
    cfg = dataclasses.replace(cfg, llm=llm_cfg, trainable=dataclasses.replace(cfg.trainable, llm=mode))
    from rsvlm.model.checks import check_model_config

    built_by = f"{root / 'config.yaml'}{' with the overrides given' if overrides else ''}"  # the model's config as read
    scans: dict = {}  # another model's config fields looked up once for both checks (llm_files.scanned)
    try:  # create_model's checks: an override (a pool that does not divide the grid) was a traceback, or loaded
        check_model_config(cfg, prefix="", scans=scans)
    except ValueError as e:
        raise ValueError(f"{built_by}: {e}") from None
    # after the checks: llm.loc_init=bogus was said unused, then refused
    if note := unused_llm_config(overrides or [], llm_cfg.name_or_path):  # was read by no one, unsaid
        warnings.warn(note, stacklevel=3)
    own_llm = Path(llm_cfg.name_or_path).resolve() == (root / "llm").resolve()
    saved_rows = vocab_rows(root / "llm") if own_llm else None
    # snap: a hub base's cached folder (by name the hub is asked anew); any rsvlm llm/ keeps its trained token rows
    build_cfg = dataclasses.replace(llm_cfg, name_or_path=str(snap or llm_cfg.name_or_path), base_vocab=None if (Path(
        llm_cfg.name_or_path).resolve().parent / "vision.safetensors").is_file() else llm_cfg.base_vocab)
    try:
        llm, tokenizer, special = llm_parts.build_llm(build_cfg, device, dtype, scans=scans)
    except llm_parts.BaseVocabError as e:  # 'llm.base_vocab 99999: …' named no file: config.yaml's, or an override's
        raise ValueError(f"{blamed('llm.base_vocab', overrides or [], root / 'config.yaml')}: {e}") from None
    drawn = cfg.llm.base_vocab  # rsvlm's rows, drawn from the base's: a bf16 build may round them one step off
    if other_llm and other_llm.lora_save and (differs := differing_tensor(llm, root / "llm", drawn)):
        _other_llm(other_llm.refusal(differs), any_base)
    if saved_rows is not None and saved_rows < len(tokenizer):  # build_llm added rows: rsvlm's came out fresh
        raise ValueError(f"{root / 'llm'}: {saved_rows} embedding rows, but {llm_cfg.tokenizer} needs {len(tokenizer)}; this "
                         "llm/ was not saved with this tokenizer (a base model copied in?): rsvlm's tokens would start untrained")
    if own_llm:
        check_llm_values(root / "llm", llm)
    if (root / "adapter").is_dir():
        llm.requires_grad_(False)
        other = (f"{root / 'adapter'}: a LoRA adapter trained on another base than {llm_cfg.name_or_path} "
                 f"(point llm.name_or_path in {root / 'config.yaml'} at the base it was trained on)")
        if why := adapter_mismatch(llm, root / "adapter"):  # peft dropped such layers without a word
            raise ValueError(f"{other}: {why}")
        if note := pickled_note(root / "adapter" / "adapter_model.safetensors"):  # was 'header too large'
            raise ValueError(f"{root / 'adapter' / 'adapter_model.safetensors'}: not a safetensors file{note}")
        with open_safetensors(root / "adapter" / "adapter_model.safetensors"):  # a cut one: 'adapter DIR: cannot be
            pass  # read (SafetensorError: … invalid header length)', naming the folder and not the file
        # a cut adapter_config.json or adapter_model.safetensors: a KeyError or SafetensorError traceback
        why = None
        with peft_quietly(), names_unreadable("adapter", str(root / "adapter"), KeyError, TypeError, ValueError):
            from peft import PeftModel

            warnings.filterwarnings("error", message=".*Found missing adapter keys")  # was a warning, and a merge
            try:
                llm, lacks = PeftModel.from_pretrained(llm, root / "adapter", is_trainable=(mode == "lora")), []
            except UserWarning as e:  # layers of the base the adapter has no weights for: a larger base
                lacks = re.findall(r"'([^']+)'", str(e)) or ["?"]
            except KeyError as e:  # peft's bare KeyError: NAME for a tensor the file lacks (a token delta)
                if (why := lacks_tensor(root / "adapter" / "adapter_model.safetensors", e)) is None:
                    raise
        if why:  # was 'cannot be read (KeyError: …)', not saying the file lacks the tensor
            raise ValueError(why)
        if lacks:
            raise ValueError(adapter_lacks(root / "adapter", lacks, other))
        check_adapter_values(root / "adapter" / "adapter_model.safetensors", llm)
        # after the shape checks, which name the difference: a base of the same shapes but other weights
        error, note = (None, None) if own_llm else other_base(root / "adapter", cfg.llm.name_or_path,
                                                              snap or Path(llm_cfg.name_or_path))
        if error and not any_base:
            raise ValueError(error)
        if note := note or error:
            warnings.warn(note, stacklevel=3)
        for note in adapter_notes(llm, root / "adapter", cfg.llm, root / "config.yaml"):  # were without a word
            warnings.warn(note, stacklevel=3)
    else:
        llm = llm_parts.apply_llm_trainability(llm, llm_cfg, mode, special)
    if mode == "full" and _is_peft(llm):  # (a LoRA on a tied head was merged into the input embeddings too)
        llm = llm_parts.merge_adapters(llm)
        llm.requires_grad_(True)
    # the encoders' weights are in vision.safetensors: their training start (encoders.NAME.pretrained) is
    # neither read nor needed (was: FileNotFoundError on a machine without it); model.cfg keeps the name
    bare = {n: dataclasses.replace(e, pretrained=None) for n, e in cfg.encoders.items()}
    with params_on_meta():  # every vision weight is vision.safetensors' (was: made at random first)
        model = RSVLM(dataclasses.replace(cfg, encoders=bare), llm, tokenizer, special)
    model.cfg = cfg
    set_trainable(model)
    place_vision_side(model, None, dtype)  # the dtype alone, on meta: placed once loaded
    state = load_safetensors(root / "vision.safetensors")
    fit_positions(model.encoders, state, root / "vision.safetensors")
    built = model.state_dict()  # its names and shapes: the same after the load below
    n, odd = shape_mismatches(state, built)
    if n:  # torch's RuntimeError named no file and no cause
        raise ValueError(f"{root / 'vision.safetensors'}: {counted(n, 'tensor')} of another shape than {built_by} builds: "
                         f"{odd}; {_OTHER_MODEL}")
    if note := odd_values(root / "vision.safetensors", state, dict(model.named_parameters())):  # was: loaded
        raise ValueError(note)
    # in the dtype built (a bf16 file into float32 weights, as copying cast it), kept rather than copied
    state = {k: v.to(built[k].dtype) if k in built and v.is_floating_point() else v for k, v in state.items()}
    res = model.load_state_dict(state, strict=False, assign=True)
    missing = [k for k in dict.fromkeys(res.missing_keys + left_on_meta(model)) if not k.startswith("llm.")]
    if missing:  # (a meta tensor left would fail at the first image, naming nothing)
        raise ValueError(f"{root / 'vision.safetensors'}: missing keys {missing[:10]}"
                         f"{f' (+{len(missing) - 10} more)' if len(missing) > 10 else ''}, which {built_by} builds; "
                         f"{_OTHER_MODEL}")
    place_vision_side(model, device, dtype)
    parts = _parts({k.rsplit(".", 1)[0] for k in built})
    # a part this config builds, saved with more in it (projector.type mlp2x_gelu edited to linear): it loaded
    # with the first layer alone, a warning its only word; a part the config does not build (a stem left out) warns
    if ours := [k for k in res.unexpected_keys if any(k.startswith(p + ".") for p in parts)]:
        raise ValueError(f"{root / 'vision.safetensors'}: {counted(len(ours), 'tensor')} of parts that {built_by} builds "
                         f"without them ({', '.join(ours[:3])}{' …' if len(ours) > 3 else ''}); {_OTHER_MODEL}")
    if res.unexpected_keys:
        warnings.warn(f"{root / 'vision.safetensors'}: unexpected keys ignored: {res.unexpected_keys[:10]}", stacklevel=3)
    # a half dtype: coordinates are chosen among near-tied logits (rsvlm.model.half); last, as the state
    # dict above would have held a half copy of the head through the load
    float32_head(model.llm)
    return model, model.make_processor()


def _other_llm(why: str, any_base: bool) -> None:
    """Refuse a checkpoint whose own LLM goes unused (``own_llm``), or with ``any_base`` warn of it."""
    if not any_base:
        raise ValueError(why)
    warnings.warn(why, stacklevel=4)


def _parts(modules: set[str]) -> set[str]:
    """The model's parts (``projectors.default``, ``stems.optical``, ``encoders.sar``, ``loc_pointer``) among
    ``modules``' names."""
    return {".".join(m.split(".")[:2]) if m.split(".")[0] in ("encoders", "stems", "projectors") else "loc_pointer"
            for m in modules if m.split(".")[0] in ("encoders", "stems", "projectors", "loc_pointer")}


def _old_hf_sincos(saved: VLMConfig, cfg: VLMConfig, root: Path) -> VLMConfig:
    """``cfg`` with ``pos_embed: learned`` for each hf_clip tower its saved config.yaml gives ``sincos2d``: rsvlm
    once took that setting without a word and built CLIP's learned table, which vision.safetensors holds, so
    such a checkpoint loads as it was trained, with a warning (it was refused). An override to sincos2d
    is still refused by the checks."""
    old = [n for n, e in cfg.encoders.items() if e.type == "hf_clip" and e.pos_embed == "sincos2d"
           and saved.encoders[n].pos_embed == "sincos2d"]
    if not old:
        return cfg
    warnings.warn(f"{root / 'config.yaml'}: {', '.join(f'encoders.{n}.pos_embed' for n in old)} 'sincos2d' on an hf_clip "
                  "tower, which has CLIP's learned positions (older rsvlm ignored the setting and trained the "
                  "learned table vision.safetensors holds): loaded as pos_embed: learned", stacklevel=4)
    fixed = {n: dataclasses.replace(e, pos_embed="learned") if n in old else e for n, e in cfg.encoders.items()}
    return dataclasses.replace(cfg, encoders=fixed)
