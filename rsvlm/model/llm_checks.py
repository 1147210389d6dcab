"""The LLM's local files, looked for before it is built: ``check_llm_files`` (its folder's config.json, weights,
shards and tokenizer files; a peft adapter or an rsvlm checkpoint given as an LLM named, with what to give
instead), ``check_not_adapter`` and ``cached_folder`` (a hub name in the Hugging Face cache, offline).
Headers and JSON only, no weights. Moved from ``checks`` (which re-exports them) to keep it under 500 lines.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from rsvlm.model.llm import LLMConfig
from rsvlm.model.llm_files import adapter_note, local_folder

# what transformers' AutoTokenizer reads in a folder: tokenizer.json / tokenizer_config.json / tokenizer.model,
# vocab.json / vocab.txt, sentencepiece and tiktoken files
TOKENIZER_FILES = ("tokenizer*", "vocab*", "*.model", "*.spm", "*.tiktoken")


def cached_folder(name: str, key: str) -> Path | None:
    """The Hugging Face cache's folder of the hub name ``name`` where it holds its ``config.json`` or (a peft
    adapter) ``adapter_config.json``, else None; FileNotFoundError naming ``key`` where neither is cached and the
    hub is off (``HF_HUB_OFFLINE``): transformers' OSError came once the model was built. A cached adapter was
    called 'not in the cache' (only config.json was looked for). ValueError naming ``key`` where ``name`` is no
    repo id either ('my model'): huggingface_hub's own error named no key, online too since the cache is looked up."""
    import huggingface_hub as hub
    from huggingface_hub.errors import HFValidationError
    from transformers.utils import CONFIG_NAME

    for file in (CONFIG_NAME, "adapter_config.json"):
        try:
            found = hub.try_to_load_from_cache(name, file)
        except HFValidationError as e:
            raise ValueError(f"{key}: {name} is no local folder and no hub name ({e})") from None
        if isinstance(found, str):
            return Path(found).parent
    if hub.is_offline_mode():
        raise FileNotFoundError(f"{key}: {name} is a hub name (no such local folder) whose files are not in the Hugging "
                                f"Face cache, and HF_HUB_OFFLINE is set: download it first (hf download {name}) or "
                                "give a local folder")
    return None


def check_not_adapter(name: str, key: str = "llm.name_or_path") -> None:
    """ValueError (``llm_files.adapter_note``) where ``name``, a local folder or a hub name in the Hugging Face
    cache, is a peft adapter (``adapter_config.json``); nothing for a name on neither (left to the caller)."""
    local = Path(name).expanduser()
    try:
        folder = local if local.is_dir() else cached_folder(name, key)
    except (FileNotFoundError, ValueError):  # not cached offline; no repo id (huggingface_hub's HFValidationError)
        return
    if folder is not None and (folder / "adapter_config.json").is_file():
        raise ValueError(adapter_note(folder, key, name))


def check_llm_files(cfg: LLMConfig, prefix: str = "llm", weights: bool = True) -> None:
    """FileNotFoundError naming ``prefix.name_or_path`` or ``prefix.tokenizer`` where a local folder
    (``llm_files.check_local``'s sense) is not there, or lacks what transformers reads: ``config.json`` and
    (``weights``) a weights file, tokenizer files; with
    ``weights``, ValueError where a safetensors file is cut short and FileNotFoundError where a shard its
    index lists is missing (``convert_llava.check_shards``). An rsvlm checkpoint given for them is named,
    with its ``llm/`` and ``tokenizer/`` (one that saved no ``llm/`` is told to merge first), and a peft
    adapter (a local folder or a cached hub name) is refused, ``llm_files.adapter_note`` saying why and what to
    merge (one behaviour for build_llm, create_model, training and memory_plan). A hub name offline must be in
    the cache (``cached_folder``); online it is left to transformers. Was: exit 1 once the run had started, with transformers'
    "Unrecognized model" or a page on converting slow tokenizers."""
    from transformers.utils import (
        CONFIG_NAME,
        SAFE_WEIGHTS_INDEX_NAME,
        SAFE_WEIGHTS_NAME,
        WEIGHTS_INDEX_NAME,
        WEIGHTS_NAME,
    )

    key = f"{prefix}.name_or_path"
    folder = local_folder(cfg.name_or_path, key) if cfg.name_or_path else None
    cached = cached_folder(cfg.name_or_path, key) if cfg.name_or_path and folder is None else None
    if (adapter := folder or cached) is not None and (adapter / "adapter_config.json").is_file():
        raise ValueError(adapter_note(adapter, key, cfg.name_or_path))  # was: a traceback once built, a lost checkpoint
    if folder is not None:
        files = (SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME, WEIGHTS_NAME, WEIGHTS_INDEX_NAME)
        lacks = [] if (folder / CONFIG_NAME).is_file() else [CONFIG_NAME]
        if weights and not any((folder / f).is_file() for f in files):
            lacks.append(" or ".join(files))
        if lacks:
            hint = _checkpoint_hint(folder)
            raise FileNotFoundError(f"{key}: {folder} holds no Hugging Face model: no {' and no '.join(lacks)}{hint}")
        _check_causal_lm(folder / CONFIG_NAME, key)
        if weights:  # shards an index lists that are not there, safetensors files cut short (headers only)
            from rsvlm.model.convert_llava import check_shards

            try:
                check_shards(folder, SAFE_WEIGHTS_INDEX_NAME)
            except FileNotFoundError as e:
                raise FileNotFoundError(f"{key}: {e}") from None
            except ValueError as e:
                raise ValueError(f"{key}: {e}") from None
    tok, key = (cfg.tokenizer, f"{prefix}.tokenizer") if cfg.tokenizer else (cfg.name_or_path, key)
    folder = local_folder(tok, key) if tok else None
    if folder is not None:
        check_tokenizer_folder(folder, key, None if cfg.tokenizer else f"{prefix}.tokenizer")


def check_tokenizer_folder(folder: Path, key: str, give: str | None = None) -> None:
    """FileNotFoundError naming ``key`` where the local ``folder`` holds no tokenizer file (``TOKENIZER_FILES``):
    an rsvlm checkpoint's is named (its ``tokenizer/``), and so is a checkpoint's ``llm/``'s (its sibling
    ``tokenizer/``; a checkpoint's own ``tokenizer/``, emptied, is said to be, not named as its own hint);
    ``give``, the key to set where ``folder`` is an LLM's with no tokenizer of its own, is suggested. The one
    check of ``check_llm_files`` and ``rsvlm.tokenizer.load_tokenizer`` (was written in both, hints differing).
    Transformers said "Couldn't instantiate the backend tokenizer … install sentencepiece or tiktoken"."""
    if any(f.is_file() for p in TOKENIZER_FILES for f in folder.glob(p)):
        return
    hint, sibling = "", folder.parent / "tokenizer"
    if (folder / "tokenizer").is_dir():
        hint = f"; {folder} is an rsvlm checkpoint, whose tokenizer is {folder / 'tokenizer'}"
    elif sibling.is_dir() and sibling.resolve() == folder.resolve():  # was named as its own hint
        if (folder.parent / "config.yaml").is_file():  # a checkpoint's own tokenizer/, emptied
            hint = f"; the checkpoint {folder.parent} lost its tokenizer files: copy them back from a whole copy of it"
    elif sibling.is_dir():  # a checkpoint's llm/, with no tokenizer of its own
        hint = f"; give {give} (its checkpoint's is {sibling})" if give else f"; its checkpoint's tokenizer is {sibling}"
    elif give:  # the LLM's folder, with no tokenizer of its own
        hint = f"; give {give}"
    raise FileNotFoundError(f"{key}: {folder} holds no tokenizer (tokenizer.json, tokenizer.model, vocab.json, "
                            f"…){hint}")


def _checkpoint_hint(folder: Path) -> str:
    """Where ``folder``, given as an LLM, is an rsvlm checkpoint: its LLM's folder, or how to get one (its
    LoRA adapter merged, ``rsvlm merge-lora``); "" where it is none. An adapter-only checkpoint was told only
    that it 'holds no Hugging Face model'."""
    if (folder / "llm" / "config.json").is_file():
        return f"; {folder} is an rsvlm checkpoint, whose LLM is {folder / 'llm'}"
    if not (folder / "config.yaml").is_file():
        return ""
    if (folder / "adapter" / "adapter_config.json").is_file():
        return (f"; {folder} is an rsvlm checkpoint whose LLM is a LoRA adapter on its base: merge it first "
                f"(rsvlm merge-lora --model {folder} --out DIR) and give DIR/llm")
    return f"; {folder} is an rsvlm checkpoint, but one without llm/config.json or adapter/ (cut short?)"


def _check_causal_lm(config_json: Path, key: str) -> None:
    """ValueError naming ``key`` where ``config_json`` names no model type transformers has a causal LM
    for (a LLaVA or GeoChat folder, a CLIP); transformers' own error took several lines, naming neither
    the key nor ``rsvlm convert-llava``. An unreadable file, or one without a model_type, is left to the
    build, which names it. One whose ``auto_map`` names code of its own is told that rsvlm never runs it
    (a warning where transformers ships its model_type: that class is loaded instead)."""
    import json

    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    try:
        conf = json.loads(config_json.read_text())
    except (OSError, ValueError):
        return
    model_type = conf.get("model_type") if isinstance(conf, dict) else None
    code = conf.get("auto_map") if isinstance(conf, dict) and isinstance(conf.get("auto_map"), dict) else {}
    names = [n for v in code.values() for n in (v if isinstance(v, list) else [v]) if isinstance(n, str)]
    own = code.get("AutoModelForCausalLM") or next(iter(names), None)  # (a tokenizer's is a [slow, fast] pair)
    if model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and code.get("AutoModelForCausalLM"):  # was: without a word
        warnings.warn(f"{key}: {config_json} names a model of its own code ({own}), which rsvlm never runs (no "
                      f"trust_remote_code): loaded as transformers' {MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[model_type]}",
                      stacklevel=3)
    if model_type is None or model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:  # none: transformers says so
        return
    llava = "mm_vision_tower" in conf or "mm_projector_type" in conf or str(model_type).startswith("llava")
    hint = (f"; a LLaVA-style checkpoint (LLaVA-1.5, GeoChat) converts first: rsvlm convert-llava --src "
            f"{config_json.parent} --out DIR" if llava else
            f"; its auto_map names code of its own ({own}), which rsvlm never runs (no trust_remote_code): give a "
            "model of an architecture transformers ships" if own else "; give a causal LM's folder (…ForCausalLM)")
    if not llava and (newer := _newer_transformers(conf, model_type)):  # no transformers loads a LLaVA folder
        hint = f"{hint}{newer}" if own else newer  # its own code: a later transformers may ship the model
    raise ValueError(f"{key}: {config_json} has model_type {model_type!r}, of which transformers has no causal LM{hint}")


def _newer_transformers(conf: dict, model_type) -> str | None:
    """A hint where transformers does not know ``model_type`` at all and ``conf`` (a config.json) was written by a
    newer transformers than the one installed: an architecture added since (was: 'give a causal LM's folder')."""
    import transformers
    from packaging.version import InvalidVersion, Version
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    wrote = conf.get("transformers_version")
    try:
        newer = model_type not in CONFIG_MAPPING_NAMES and Version(str(wrote)) > Version(transformers.__version__)
    except InvalidVersion:
        return None
    return (f"; it was written by transformers {wrote}, newer than this one ({transformers.__version__}), which does "
            "not know that architecture: upgrade transformers (pip install -U transformers)") if newer else None
