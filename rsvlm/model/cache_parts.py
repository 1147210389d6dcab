"""What of a whole rsvlm checkpoint the Hugging Face cache's snapshot of one lacks (``cache_lacks``), for
``ckpt_files.cached_checkpoint`` (which reads such a snapshot as ``--model NAME``) and ``hub_name_note``."""

from __future__ import annotations

from pathlib import Path

from rsvlm.model.llm_files import weight_files


def cache_lacks(snap: Path) -> str | None:
    """The first part of a whole checkpoint that the cache's snapshot ``snap`` (holding its config.yaml) lacks, as a
    download cut short leaves it (the llm/ weights, the largest, are the likeliest cut): vision.safetensors, the
    LLM weights and tokenizer its config.yaml names inside it (llm/, tokenizer/), an adapter/'s files; None where
    none is missing (such a snapshot was read as whole, then refused: 'point llm.name_or_path in
    …/snapshots/…/config.yaml at the base model's folder', a file of the cache to edit)."""
    if not (snap / "vision.safetensors").is_file():
        return "vision.safetensors"
    from rsvlm.config import load_yaml

    try:
        llm = load_yaml(snap / "config.yaml").get("llm")
    except (OSError, ValueError, AttributeError):  # not readable: the load names what is wrong with it
        return None
    llm = llm if isinstance(llm, dict) else {}

    def inside(key: str) -> str | None:  # a folder's name is read in the checkpoint (llm, tokenizer); a hub name
        v = llm.get(key)                 # (org/name) or another path is a base's own, elsewhere
        return v if isinstance(v, str) and v.strip() not in ("", ".", "..", "~") and len(Path(v).parts) == 1 else None

    if (own := inside("name_or_path")) is not None:
        if not (snap / own).is_dir():
            return f"{own}/"
        try:
            needed = ["config.json", *(weight_files(snap / own) or ["model.safetensors"])]
        except ValueError:  # a cut index: the load names it
            return None
        if missing := next((f for f in needed if not (snap / own / f).is_file()), None):
            return f"{own}/{missing}"
    if (tok := inside("tokenizer")) is not None and not (snap / tok).exists():
        return f"{tok}/"
    return next((f"adapter/{f}" for f in ("adapter_config.json", "adapter_model.safetensors")
                 if (snap / "adapter").is_dir() and not (snap / "adapter" / f).is_file()), None)
