"""Merging LoRA into a checkpoint's weights (``rsvlm merge-lora``): the LLM's adapter and the encoders'
LoRA folded in, each tensor stored in its source's dtype, into a new folder a failure leaves as it was."""

from __future__ import annotations

import dataclasses
import shutil
import warnings
from pathlib import Path

from rsvlm.model.checkpoint import (
    check_new_folder,
    enclosing_checkpoint,
    load_pretrained,
    save_pretrained,
    undone_on_failure,
)
from rsvlm.model.ckpt_files import adapter_sha256, base_folder, cached_checkpoint
from rsvlm.model.llm_files import weight_files
from rsvlm.model.vlm import RSVLM
from rsvlm.model.weights import PROVENANCE, merged_adapters, record_merged, saved_dtypes


def merge_lora(src_dir: str | Path, out_dir: str | Path, any_base: bool = False) -> Path:
    """Fold the LLM's adapter and the encoders' LoRA into their weights (each stored in its source's dtype)
    and write them into a new or empty ``out_dir`` outside the source, which a failed or interrupted merge
    leaves as it was (``src_dir`` may be a hub name the Hugging Face cache holds a whole checkpoint of, as chat's
    ``--model``); ``PROVENANCE`` files are copied along (``rsvlm.data.overlap`` follows them). ``any_base``
    merges onto a base of other weights than the adapter's recorded one (``load_pretrained``), with a warning."""
    out, src = Path(out_dir), Path(src_dir)
    # a hub name the Hugging Face cache holds a whole checkpoint of, as --model of chat: was refused, naming that folder
    src = src if src.exists() else cached_checkpoint(str(src)) or src
    check_new_folder(out, "merged checkpoint", "merge")
    # recorded beside the merged weights (with those merged into src before): put back, it is refused (check_files)
    merged = merged_adapters(src) | ({adapter} if (adapter := adapter_sha256(src)) else set())
    if src.resolve() in out.resolve().parents:  # a checkpoint inside a checkpoint: every rglob of it sees two
        raise ValueError(f"{out}: inside the checkpoint {src}; merge into a folder outside it")
    if (outer := enclosing_checkpoint(out)) is not None:  # another one's (runs/x/final/merged): it was written there
        raise ValueError(f"{out}: inside the checkpoint {outer}; merge into a folder outside it")
    # float32, not quantised (a config.yaml saying 4-bit was a RuntimeError): W + B·A exactly, 4-bit on load later
    model, _ = load_pretrained(src, overrides=["trainable.llm=full", "llm.load_in_4bit=false", "llm.load_in_8bit=false"],
                               any_base=any_base)
    encoder = "frozen" if merge_encoder_lora(model) else model.cfg.trainable.encoder
    model.cfg = dataclasses.replace(model.cfg, trainable=dataclasses.replace(model.cfg.trainable, llm="frozen",
                                                                             encoder=encoder))
    # each tensor back to the dtype its source stored (a bf16 checkpoint was written as float32, twice the size)
    # an adapter-only checkpoint's base by hub name: its cached folder (was no files: merged as float32)
    base = base_folder(model.cfg.llm.name_or_path) or Path(model.cfg.llm.name_or_path)
    llm_files = [base / name for name in weight_files(base)]  # those transformers read (no consolidated.safetensors)
    stored = {**{k.replace(".base_layer.", "."): v for k, v in saved_dtypes([src / "vision.safetensors"]).items()},
              **{f"llm.{k}": v for k, v in saved_dtypes(llm_files).items()}}
    tied = k if isinstance(k := getattr(model.llm, "_tied_weights_keys", None), dict) else {}  # {head: embeddings}
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        want = stored.get(name) or stored.get(f"llm.{tied.get(name[4:])}")  # an untied head: as its embeddings
        if want is not None and t.is_floating_point() and want.is_floating_point:
            t.data = t.data.to(want)
    with undone_on_failure(out):
        save_pretrained(model, out)
        for name in PROVENANCE:
            if (provenance := src / name).is_file():
                shutil.copyfile(provenance, out / name)
        record_merged(out, merged)
    if note := _untied_note(llm_files, sorted((out / "llm").glob("*.safetensors")), model.llm):
        warnings.warn(note, stacklevel=2)
    return out


def _untied_note(before: list[Path], after: list[Path], llm) -> str | None:
    """Where the merge untied a head tied to the input embeddings (``llm.untie_adapted_embeddings``), what
    that costs on disk: the merged llm/ stores the head too (was said in docs/models.md alone)."""
    from transformers import AutoConfig

    if not before or getattr(llm.config.get_text_config(), "tie_word_embeddings", False):
        return None
    try:
        if not getattr(AutoConfig.from_pretrained(before[0].parent).get_text_config(), "tie_word_embeddings", False):
            return None
    except (OSError, ValueError):  # a source config.json the load read already; nothing to say then
        return None
    size = [sum(f.stat().st_size for f in files) / 2**20 for files in (before, after)]
    rows, width = llm.get_output_embeddings().weight.shape
    return (f"the LoRA adapts lm_head or embed_tokens, which the LLM ties: the merge unties them, each LoRA "
            f"merged into its own module, and the merged llm/ stores the head apart ({rows} x {width}, "
            f"tie_word_embeddings: false): its weights {size[0]:.1f} MiB -> {size[1]:.1f} MiB")


def merge_encoder_lora(model: RSVLM) -> int:
    """Replace each encoder LoRA layer by its base layer holding W + scale·B·A; how many there were."""
    if model.cfg.trainable.encoder != "lora":
        return 0
    from peft.tuners.lora import LoraLayer

    layers = [(name, m) for name, m in model.encoders.named_modules() if isinstance(m, LoraLayer)]
    for name, module in layers:
        module.merge()
        parent, _, child = name.rpartition(".")
        setattr(model.encoders.get_submodule(parent) if parent else model.encoders, child, module.get_base_layer())
    return len(layers)
