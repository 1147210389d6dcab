"""``init_from``: the folder whose ``vision.safetensors`` starts an LM stage's stems, encoders and projectors,
checked before anything is built (``run.preflight``), loaded into the built model (``init_vision``), and what to
give instead where it holds another kind of output (a run's ``out_dir``, a step folder of either loop, contrastive
pretraining's encoder)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from rsvlm.progress import counted
from rsvlm.train import checkpoint as ckpt

ENCODER_FILE = "encoder.safetensors"  # what contrastive pretraining's final/ (and export_step of its steps) holds


def init_from_hint(folder: Path) -> str:
    """What ``folder``, which holds no ``vision.safetensors``, is and what to give instead, as the end of an
    error message ("" where it is nothing rsvlm wrote)."""
    pretrained = "model.encoders.default.pretrained"
    if not folder.exists():  # init_from=None, read as YAML's text 'None' (was: "no such folder" alone)
        empty = folder.name.lower() in ("none", "null", "nil", "''", '""') and len(folder.parts) == 1
        return "; no such folder" + ("; to leave init_from unset, write init_from=null (or ~)" if empty else "")
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
    if (folder / "trainable.safetensors").is_file() or (folder / "deepspeed").is_dir():  # plain engine, DeepSpeed
        return (f": it is a step folder of the LM loop; python scripts/export_step.py {folder} --out DIR writes it as "
                "a model folder (as final/ would be at that step), then init_from=DIR")
    if (latest := ckpt.latest_checkpoint(folder)) is not None or (latest := ckpt.latest_checkpoint(
            folder / "checkpoints")) is not None:
        return (f": it holds step folders (the latest is {latest}), not a model; give the run's final/, or write a "
                f"step as one with python scripts/export_step.py {latest} --out DIR")
    return ""


def resizable(key: str, saved: tuple, own: tuple) -> bool:
    """Whether ``saved`` is a ViT position table (class row + square grid) that ``init_vision`` resizes to ``own``
    (bicubic, as open_clip and GeoChat do) rather than refuses."""
    from math import isqrt

    from rsvlm.model.vision import POS_KEYS

    if saved == own or not key.endswith(POS_KEYS):
        return False
    return len(own) == 2 and len(saved) == 2 and saved[1] == own[1] and isqrt(own[0] - 1) ** 2 + 1 == own[0]


def onto_lora(saved, own) -> dict[str, str]:
    """Source name → this model's name for each of ``saved``'s tensors whose layer this model's encoder LoRA wraps
    (``c_fc.weight`` is ``c_fc.base_layer.weight`` under it); ``saved``, ``own``: collections of names."""
    return {k: alt for k in saved if k not in own
            and (alt := re.sub(r"\.(weight|bias)$", r".base_layer.\1", k)) in own}


ENTRIES = ("encoders", "stems", "projectors")  # the vision side's mappings: a stage may leave an entry out


def entry(key: str) -> str | None:
    """The mapping entry a vision tensor belongs to (``encoders.sar`` for ``encoders.sar.visual.conv1.weight``)."""
    parts = key.split(".")
    return ".".join(parts[:2]) if parts[0] in ENTRIES and len(parts) > 2 else None


def left_out(saved, own) -> list[str]:
    """The source's entries (``encoders.sar``, ``stems.msi``, ``projectors.sar``) of which this model has no tensor:
    a stage that restates ``model.stems`` or ``model.encoders`` without them leaves them out (not loaded);
    ``saved``, ``own``: collections of tensor names."""
    mine = {entry(k) for k in own}
    return sorted({e for k in saved if (e := entry(k)) and e not in mine})


def onto_model(saved: dict, own) -> tuple[dict, list[str]]:
    """``saved`` (source tensor name → tensor or shape) under this model's names (``onto_lora``), without the
    entries this model leaves out, and those entries (``left_out``); ``own``: this model's tensor names."""
    names, dropped = onto_lora(saved, own), left_out(saved, own)
    return {names.get(k, k): v for k, v in saved.items() if entry(k) not in dropped}, dropped


def left_out_note(path: Path, dropped: list[str]) -> str:
    """What a stage leaving ``dropped`` entries of its source ``path`` out is told (once, as it loads)."""
    return (f"[rsvlm.train] init_from: {', '.join(dropped)} of {path} left out: this stage's model section has no "
            "such entry (model.stems and model.encoders name what it keeps)")


def vision_mismatch(path: Path, saved: dict[str, tuple], own: dict[str, tuple]) -> str | None:
    """What keeps ``path``'s tensors (``saved``: name → shape) from starting the vision side ``own`` (this model's
    non-LLM tensors, name → shape), as ``init_vision`` refuses it; None where they fit. A location
    pointer may be missing (it starts fresh), a position table of another grid is resized, and a layer this
    stage's encoder LoRA wraps takes the source's weights as its base layer's, and a source's entry this stage has
    none of (a stage without the source's sar encoder) is left out (``onto_model``); a source's encoder LoRA carries
    on into the same LoRA, and is refused, saying to merge it, into a stage without one."""
    saved = onto_model(saved, own)[0]
    fresh = not any(k.startswith("loc_pointer.") for k in saved)  # a pointer added in this stage
    missing = sorted(k for k in own if k not in saved and "lora_" not in k  # this stage's LoRA starts fresh
                     and not (fresh and k.startswith("loc_pointer.")))
    extra = sorted(k for k in saved if k not in own)
    if any("lora_" in k for k in extra):  # a trainable.encoder=lora stage's output, into a stage without that LoRA
        return (f"init_from {path}: its encoder holds LoRA layers ({len([k for k in extra if 'lora_' in k])} "
                f"tensors, e.g. {next(k for k in extra if 'lora_' in k)}) and this stage's has none; fold them in "
                f"with rsvlm merge-lora --model {path.parent} --out DIR and give init_from=DIR, or set "
                "model.trainable.encoder=lora with the same LoRA settings to carry them on")
    had = {entry(k) for k in saved}
    if added := sorted({e for k in missing if (e := entry(k)) and e not in had and not e.startswith("projectors.")}):
        one, listed = len(added) == 1, ", ".join(f"model.{e}" for e in added)  # a projector goes with its encoder
        return (f"init_from {path}: this stage's model section has {listed}, which the source lacks "
                f"({'it' if one else 'they'} would start untrained); leave {'it' if one else 'them'} out (a mapping "
                "given whole, model.stems={…} or model.encoders={…}, replaces the recipe's), or start from a source "
                f"that has {'it' if one else 'them'}")
    if missing or extra:
        return f"init_from {path}: missing {missing[:8]}, unexpected {extra[:8]}"
    shapes = [f"{k} {tuple(v)} (this model {tuple(own[k])})" for k, v in saved.items()
              if tuple(v) != tuple(own[k]) and not resizable(k, tuple(v), tuple(own[k]))]
    if shapes:
        return (f"init_from {path}: {counted(len(shapes), 'tensor')} of another shape, e.g. {'; '.join(shapes[:3])}; "
                "the model section must describe the same architecture as the source")
    return None


def hub_cached(name: str) -> bool:
    """Whether hub name ``name``'s ``config.json`` is in the Hugging Face cache, so that its model can be built on
    the meta device without the network (the LLM's width sets the projectors' shapes)."""
    import huggingface_hub as hub

    try:
        return isinstance(hub.try_to_load_from_cache(name, "config.json"), str)
    except ValueError:  # not a valid repo id
        return False


def check_init_from(cfg, shapes=None, towers=None, scans: dict | None = None) -> None:
    """FileNotFoundError, before anything is built or written, where ``init_from`` holds no vision.safetensors,
    saying what it is instead (``init_from_hint``); ValueError where that file's header cannot be read or does
    not cover the file (cut short: a traceback once the model was built), or where its tensors do not fit the
    model section's vision side (``vision_mismatch``, on the model built on the meta device: headers only, no
    weights read; it was found once the model and its LLM were loaded). An LLM given by hub name is built so
    when its config is in the Hugging Face cache (``hub_cached``; always the case offline, where preflight
    requires it): a 7B hub LLM under a checkpoint of another width was exit 1 once that LLM had loaded.
    ``shapes``: the LLM preflight's LoRA checks built on the meta device (``checks.check_lora_names``), copied
    for this build (which changes it) rather than built again: a 7B one took 1.1 s to build, 0.08 s to copy;
    ``towers``: the encoders it built there (``checks.meta_towers``), whose LoRA targets this build checks on
    them rather than building them a third time; ``scans``: preflight's ``llm_files.scanned`` lookups, shared."""
    if not cfg.init_from:
        return
    path = Path(cfg.init_from) / "vision.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"init_from: no {path}{init_from_hint(Path(cfg.init_from))}")
    from rsvlm.model.vision import check_safetensors
    from rsvlm.model.weights import open_safetensors

    check_safetensors(path, "init_from")
    with open_safetensors(path) as h:
        saved = {k: tuple(h.get_slice(k).get_shape()) for k in h.keys()}
    llm = cfg.model.llm
    if llm.name_or_path and not Path(llm.name_or_path).expanduser().is_dir() and not hub_cached(llm.name_or_path):
        return  # a hub name whose config is not cached: fetched (and the shapes checked) while the model is built
    import copy
    from dataclasses import replace

    from rsvlm.model import create_model

    # unquantised: a quantised LLM loads its weights even on the meta device; no encoder pretrained: its file was
    # read whole there (over 1 GB for a ViT-L/14), for shapes it does not change (preflight checked its header)
    unquantised = replace(cfg.model, llm=replace(llm, load_in_4bit=False, load_in_8bit=False),
                          encoders={n: replace(vc, pretrained=None) for n, vc in cfg.model.encoders.items()})
    try:  # the copy: the meta build resizes and wraps it, and the training build takes preflight's as it was
        model, _ = create_model(unquantised, device="meta", shapes=copy.deepcopy(shapes), towers=towers, scans=scans)
    except Exception:  # noqa: BLE001 — a model the meta device cannot build: left to the build, which says why
        return
    own = {k: tuple(v.shape) for k, v in model.state_dict().items() if not k.startswith("llm.")}
    if (why := vision_mismatch(path, saved, own)) is not None:
        raise ValueError(why)


def carry_merged(cfg, out: Path) -> None:
    """Write ``out``'s ``merged_lora.json`` where the run's LLM base (``model.llm.name_or_path``) is a merged
    model's (``rsvlm merge-lora``: its ``llm/``, or its folder), as ``init_from`` a merged model's vision side goes
    with: the adapters that record names are in the weights this run's model is on, so an ``adapter/`` of one of them
    put back is refused, and a merge of ``out`` records them with its own, as for the merged model. A run on another
    LLM base carries none (those adapters are not in its weights): its ``train_config.yaml`` names ``init_from``."""
    from rsvlm.model.weights import merged_adapters, record_merged

    record_merged(out, set().union(*map(merged_adapters, merged_roots(cfg.model.llm.name_or_path))))


def merged_roots(name: str | None) -> set[Path]:
    """The checkpoint folders (a ``config.yaml``) whose LLM the local folder ``name`` is: the one whose config.yaml
    names it as its own LLM (a merged model's ``llm/``), or the folder itself, as written (``merged/llm/``, relative,
    ``~``) and as its links resolve (a link to a merged ``llm/``). A Hugging Face folder that merely sits beside a
    ``merged_lora.json`` is none (was read as one: any base's parent folder was); a hub name or a missing path gives
    none."""
    import os

    if not name or not (given := Path(name).expanduser()).is_dir():
        return set()
    roots = set()
    for folder in {Path(os.path.abspath(given)), given.resolve()}:  # merged/llm/.. is merged, as the path reads
        if (folder / "config.yaml").is_file():  # the merged folder itself
            roots.add(folder)
        elif (own := own_llm(folder.parent)) is not None and own.resolve() == folder.resolve():  # its llm/
            roots.add(folder.parent)
    return roots


def own_llm(root: Path) -> Path | None:
    """The LLM folder checkpoint ``root``'s config.yaml names (``llm.name_or_path``, a relative one in ``root``:
    ``llm`` where the weights are its own, as a merged model's); None where it names none or cannot be read."""
    from rsvlm.config import load_yaml

    try:  # load_yaml: bounded (a downloaded checkpoint's config.yaml may be an alias bomb), a mapping or ConfigError
        llm = load_yaml(root / "config.yaml").get("llm")
    except (OSError, ValueError):  # none, cut, or no mapping
        return None
    name = llm.get("name_or_path") if isinstance(llm, dict) else None
    return root / name if isinstance(name, str) and name else None


def init_vision(model, ckpt_dir: Path, rank: int = 0) -> None:
    """Start stems, encoders and projectors from a previous stage's checkpoint (the LLM comes through
    ``model.llm.name_or_path``). Every vision key must be present, except a location pointer's, which
    starts fresh when the source has none; a source's stem, encoder or projector entry this model has none of (a
    stage restating ``model.stems`` without ``sar``) is left out, saying so; a layer this stage's encoder LoRA
    wraps takes a plain source's weights as its base layer's (its LoRA A/B start as LoRA starts), a source's LoRA
    carries on into the same LoRA and is refused into a stage without one (``rsvlm merge-lora`` it first).
    A ViT position table of another grid is made to fit (``vision.fit_positions``, as ``load_pretrained`` does):
    a learned one resized bicubically (as open_clip and GeoChat do), fixed sin-cos ones recomputed (they were
    resized too, into frozen positions that were no grid's); any other shape difference is refused, naming
    the tensor (``init_from.vision_mismatch``, which preflight asks too). What is left out or resized is said by
    ``rank`` 0 alone (under a launcher every rank loads alike: it was said once per rank)."""
    from rsvlm.model.vision import fit_positions, read_state_dict

    path = ckpt_dir / "vision.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"init_from: no {path}{init_from_hint(ckpt_dir)}")
    state = read_state_dict(path)  # a file cut short: a ValueError naming it (a SafetensorError traceback)
    own = {k: tuple(v.shape) for k, v in model.state_dict().items() if not k.startswith("llm.")}
    # trainable.encoder=lora: the source's c_fc.weight is this c_fc.base_layer.weight; model.stems/encoders
    # restated without some of the source's: those are left out
    state, dropped = onto_model(state, own)
    if dropped and rank == 0:
        print(left_out_note(path, dropped), file=sys.stderr)
    saved = {k: tuple(v.shape) for k, v in state.items()}
    if (why := vision_mismatch(path, saved, own)) is not None:
        raise ValueError(why)
    fit_positions(model.encoders, state, path)
    for k in (k for k, v in state.items() if tuple(v.shape) != saved[k] and rank == 0):
        fixed = getattr(model.encoders[k.split(".")[1]], "fixed_positions", False)
        print(f"[rsvlm.train] init_from: {k} resized from {saved[k][0]} to {state[k].shape[0]} positions "
              f"({'the fixed sin-cos ones of this grid' if fixed else 'bicubic'})", file=sys.stderr)
    model.load_state_dict(state, strict=False)


def check_lora_base(cfg) -> None:
    """FileNotFoundError where a LoRA run (``model.trainable.llm: lora``, saved adapter-only) is on a local or
    cached base of pickled weights alone (``pytorch_model.bin``, no ``model.safetensors`` nor its index): it
    trained, and every later load of its final/ (chat, eval, merge-lora: ``ckpt_files.check_files``) refused it
    with these words; now refused before the first step. A full or frozen LLM is saved whole, in safetensors,
    so its base's format does not matter. A hub name not in the cache is left to the build."""
    # check_files' own test and words for such a folder
    from rsvlm.model.ckpt_files import base_folder, pickled_said, safetensors_llm

    llm = cfg.model.llm
    if cfg.model.trainable.llm != "lora" or not llm.name_or_path or (folder := base_folder(llm.name_or_path)) is None:
        return
    if not folder.is_dir() or safetensors_llm(folder):
        return
    if pickled := pickled_said(folder):
        raise FileNotFoundError(
            f"model.llm.name_or_path: {folder}: no *.safetensors LLM weights{pickled}: a LoRA run saves its adapter "
            "alone on this base, and rsvlm chat, eval and merge-lora refuse its final/ so; re-save the base as said, "
            "or train model.trainable.llm=full")
