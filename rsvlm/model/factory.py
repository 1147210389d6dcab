"""``create_model(cfg) -> (RSVLM, Processor)``: build every component from one VLMConfig (open_clip style)."""

from __future__ import annotations

import contextlib
import dataclasses

import torch
from torch import nn

from rsvlm.model.llm import apply_llm_trainability, build_llm
from rsvlm.model.processor import Processor
from rsvlm.model.vlm import RSVLM, VLMConfig, place_vision_side, set_trainable


def create_model(cfg: VLMConfig, device: str | torch.device | None = None, dtype: torch.dtype | None = None,
                 shapes: nn.Module | None = None,
                 towers: dict[str, nn.Module] | None = None, scans: dict | None = None) -> tuple[RSVLM, Processor]:
    """Random or pretrained (``pretrained`` / ``name_or_path`` paths in cfg) model, trainability applied.

    The vision side is initialised from the global torch RNG (seed it for reproducible weights).
    ``device="meta"`` builds shapes only (sizes, memory plans): nothing is allocated on the way.
    A config its parts would refuse, or that would fail at the first image (a patch larger than the
    image), is one ValueError naming the key first (``checks.check_model_config``); so is an encoder's
    ``pretrained`` file that is not there (FileNotFoundError), and a LoRA target that matches nothing or
    cannot take a LoRA (``checks.check_lora_names``), before the LLM is loaded.
    ``shapes``: this LLM already built on meta (``checks.meta_llm``; the training preflight's), used instead of
    building it again, as ``build_llm`` uses it (and changed where ``device`` is meta).
    ``towers``: the encoders already built on meta (``checks.meta_towers``; the training preflight's), whose LoRA
    targets are checked instead of building them again (``check_init_from`` built them a third time).
    ``scans``: another model's config fields found in transformers' sources (``llm_files.scanned``), by key: one
    dict for the build's checks (a key near a defined one was looked up in ~530 files three times), the caller's
    where given (the training preflight's).
    """
    from rsvlm.model.checks import check_llm_files, check_lora_names, check_model_config, meta_llm
    from rsvlm.model.vision import check_pretrained

    scans = {} if scans is None else scans
    check_model_config(cfg, prefix="", scans=scans)  # was: found at the first forward, naming no key, or a traceback
    for name, enc in cfg.encoders.items():  # before the LLM loads (minutes for a 7B); was 'encoders.NAME'
        check_pretrained(enc, f"encoders.{name}")
    check_llm_files(cfg.llm, weights=False)  # its config.json (of a causal LM) read next
    meta = device is not None and torch.device(device).type == "meta"
    # one LLM on meta (shapes only) for the LoRA checks, a meta build and a 4-bit load's plan: was built twice
    if shapes is None and (cfg.trainable.llm == "lora" or meta or cfg.llm.load_in_4bit):
        shapes = meta_llm(cfg.llm, scans=scans)
    shapes = check_lora_names(cfg, prefix="", llm=shapes, towers=towers, scans=scans)  # on meta: was found once the LLM had loaded
    # elsewhere weights are made on the CPU and moved (same values on every device)
    with torch.device("meta") if meta else contextlib.nullcontext():
        llm, tokenizer, special = build_llm(cfg.llm, device, dtype, shapes=shapes, scans=scans)
        if cfg.llm.name_or_path and cfg.llm.base_vocab is None and special.base is not None:  # rsvlm's tokens first
            # added to this base: its size, so an adapter-only load starts their rows as this build did (init_added_rows)
            cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, base_vocab=special.base))
        llm = apply_llm_trainability(llm, cfg.llm, cfg.trainable.llm, special)
        model = RSVLM(cfg, llm, tokenizer, special)
    place_vision_side(model, device, dtype)
    set_trainable(model)
    return model, model.make_processor()
