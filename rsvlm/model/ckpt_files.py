"""What an rsvlm checkpoint folder holds, checked before anything is built: why a folder is no checkpoint
(``no_checkpoint``), a part missing or pickled (``check_files``), an adapter trained on another base
(``adapter_mismatch``), its config of another rank than its weights (``adapter_rank_mismatch``), cut
(``adapter_lacks``, ``lacks_tensor``) or holding tensors peft ignores
(``adapter_extras``) or a config.yaml rank other than its own (``adapter_notes``), weights stored as integers or NaN, a tied head held apart (``check_llm_values``,
``check_adapter_values``, once the LLM is built), the embedding rows its llm/ was saved with (``vocab_rows``), and
the Hugging Face cache's folder of a base named by its hub name (``hub_snapshot``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from rsvlm.model.cache_parts import cache_lacks
from rsvlm.model.llm_files import weight_files
from rsvlm.model.weights import (
    MERGED,
    PEFT_KEY,
    all_finite,
    integers_note,
    merged_adapters,
    nan_note,
    open_safetensors,
)
from rsvlm.progress import counted


def no_checkpoint(root: Path) -> str:
    """Why ``root`` (without a config.yaml) is no checkpoint, and what it looks like instead: missing, a file (its
    config.yaml, a weights file) rather than the folder, a part of one
    (its adapter/, llm/ or tokenizer/), a training run's out_dir or step folder, a bare peft adapter, a
    Hugging Face model."""
    if not root.exists():  # load_pretrained said "(no config.yaml)", as of a folder of other files
        return f"{root}: not an rsvlm checkpoint (no such folder{hub_name_note(str(root))})"
    if root.is_file():  # its config.yaml, a weights file: the folder was meant
        hint = f": give its folder, {root.parent}" if (root.parent / "config.yaml").is_file() else ""
        return f"{root}: not an rsvlm checkpoint (a file; a checkpoint is a folder{hint})"
    msg = f"{root}: not an rsvlm checkpoint (no config.yaml)"
    if (root / "final" / "config.yaml").is_file():  # `--model runs/x`: a run's model is its final/
        return f"{msg}; it is a training run's out_dir, whose model is {root / 'final'}"
    if (root / "trainable.safetensors").is_file() or (root / "trainer_state_rank0.json").is_file():
        return f"{msg}; it is a training step folder: write it as a model with scripts/export_step.py first"
    if (root.parent / "config.yaml").is_file() and root.name in ("adapter", "llm", "tokenizer"):
        return f"{msg}; it is the {root.name}/ of the checkpoint {root.parent}: load that folder"
    if (root / "adapter_config.json").is_file():
        return (f"{msg}; it is a bare peft LoRA adapter: an rsvlm checkpoint keeps its adapter in adapter/ "
                "beside config.yaml, vision.safetensors and tokenizer/")
    if (root / "config.json").is_file():
        kind = _model_type(root / "config.json")
        if lm := language_model_note(kind):  # was told to convert-llava, which refuses it
            return f"{msg}; it is a Hugging Face {lm}"
        if kind in _VISION_TYPES:  # was told to convert-llava, which takes a CLIP only, as a LLaVA's --vision-tower
            use = ("it is the --vision-tower of rsvlm convert-llava for an original-layout LLaVA-1.5 / GeoChat"
                   if kind.startswith("clip") else "rsvlm reads none (convert-llava's --vision-tower is a CLIP one)")
            return f"{msg}; it is a Hugging Face vision tower ({kind}) with no language side: {use} (docs/models.md)"
        if kind == "llava" and (why := _other_llava(root / "config.json")):  # was sent to convert-llava, which refuses it
            return f"{msg}; it is a LLaVA that rsvlm does not convert ({why}; only LLaVA-1.5 and GeoChat convert)"
        if kind in ("internvl", "internvl_chat"):  # was "a Hugging Face model folder: … converts with convert-llava"
            return f"{msg}; it is an InternVL model ({kind}), which rsvlm does not convert (only LLaVA-1.5 and GeoChat do)"
        return (f"{msg}; it is a Hugging Face model folder: a LLaVA-1.5 / GeoChat one converts with "
                "rsvlm convert-llava (docs/models.md)")
    if weights := sorted(p.name for ext in _WEIGHT_EXTS for p in root.glob(ext)):  # an open_clip download
        more = f" and {len(weights) - 3} more" if len(weights) > 3 else ""
        return (f"{msg}; it holds weights ({', '.join(weights[:3])}{more}) and no config: an open_clip / CLIP vision "
                f"state dict is given as encoders.NAME.pretrained (a file: {root / weights[0]}) of a model config, "
                "to train a model on (docs/models.md)")
    return msg


# a dinov2 / siglip2 / InternViT folder was sent to convert-llava as "a Hugging Face model folder", a LLaVA's
_VISION_TYPES = ("clip", "clip_vision_model", "siglip", "siglip_vision_model", "siglip2", "siglip2_vision_model",
                 "dinov2", "dinov2_with_registers", "intern_vit_6b", "internvl_vision", "aimv2", "aimv2_vision_model")
_WEIGHT_EXTS = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.ckpt")


def _other_llava(config_json: Path) -> str | None:
    """Why the LLaVA of ``config_json`` is no LLaVA-1.5 convert-llava converts (``not_llava15``), else None."""
    from rsvlm.model.convert_llava import not_llava15

    try:
        conf = json.loads(config_json.read_text())
    except (OSError, ValueError):
        return None
    return not_llava15(conf) if isinstance(conf, dict) else None


def hub_name_note(name: str) -> str:
    """Where a missing ``--model`` reads as a hub name (``org/name``): that nothing is downloaded, how to fetch it,
    and its Hugging Face cache folder where the cache holds one (a config.yaml or config.json of it): that folder to
    give where it holds a whole checkpoint (to a reader that does not look in the cache), else what it is instead or
    that the rest is to fetch; else ""."""
    repo, rev = _at_revision(name)
    if not _hub_name(repo):
        return ""
    cached, fetch = hub_snapshot(name, ("config.yaml", "config.json"), at=True), f"hf download {repo}" + (
        f" --revision {rev}" if rev else "")  # org/name@v1 said "(no such folder)" alone
    where = f"; the Hugging Face cache holds {name} at {cached}: give that folder" if cached else (
        f"; were it a Hugging Face hub name: fetch it on a connected machine ({fetch} --local-dir DIR) and give DIR")
    if cached and not (cached / "config.yaml").is_file():  # an LLM, a LLaVA: "give that folder" was one more refusal
        where = f"; the Hugging Face cache holds {name} at {cached}{no_checkpoint(cached).partition('(no config.yaml)')[2]}"
    elif cached and (lacks := cache_lacks(cached)):  # part of one (a cut download): refused if given
        where = (f"; the Hugging Face cache holds {name} at {cached} but not whole (no {lacks}): fetch it "
                 f"whole on a connected machine ({fetch}) and give {name} again")
    return f"; rsvlm reads a checkpoint from a local folder and downloads none, HF_HUB_OFFLINE or not{where}"


def language_model_note(model_type) -> str | None:
    """What a Hugging Face folder of ``model_type`` is where transformers has a causal LM for it (a language
    model, no vision side) and how to use it instead, else None."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if not isinstance(model_type, str) or model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return None
    return (f"language model ({model_type}) with no vision side: give it as llm.name_or_path of a model config and "
            "train one (docs/models.md)")


def _model_type(config_json: Path) -> str | None:
    """The model_type a config.json names; "llava" for a LLaVA-like one (a model_type naming LLaVA or GeoChat,
    mm_ keys: the original layout); None where it cannot be read or names none."""
    try:
        conf = json.loads(config_json.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(conf, dict):
        return None
    kind = str(conf.get("model_type") or "")
    return "llava" if "llava" in kind or "geochat" in kind or any(str(k).startswith("mm_") for k in conf) else kind or None


def pickled_said(folder: Path) -> str:
    """The pickled weight files in ``folder``, named for a message ("" when none)."""
    found = sorted(p.name for ext in ("*.bin", "*.pt", "*.pth", "*.ckpt") for p in folder.glob(ext))
    return f"; it holds {', '.join(found[:3])}, pickled weights, which rsvlm does not load (re-save them with " \
           "safetensors.torch.save_file)" if found else ""


def safetensors_llm(folder: Path) -> bool:
    """Whether LLM folder ``folder`` holds its weights under a safetensors name transformers reads
    (model.safetensors, or its index), without which it reads pytorch_model.bin (a pickle)."""
    return any((folder / n).is_file() for n in ("model.safetensors", "model.safetensors.index.json"))


def check_files(root: Path, llm_cfg) -> None:
    """FileNotFoundError naming the part of checkpoint ``root`` that is missing or is not safetensors,
    before anything is built: vision.safetensors, the LLM folder's weights (a local one, or a hub name's in the
    Hugging Face cache), the tokenizer folder (a missing one was looked up on the hub), the adapter's weights;
    ValueError where the adapter's config gives another rank than its weights (``adapter_rank_mismatch``), or where it is
    the adapter a merge folded into these weights (``MERGED``). Another LLM named than the checkpoint's own ``llm/``
    is ``own_llm``'s, checked before this."""
    if not (root / "vision.safetensors").is_file():
        raise FileNotFoundError(f"{root}: no vision.safetensors (stems, encoders, projector)"
                                f"{pickled_said(root) or ': cut short by an interrupted save or copy? copy it again'}")
    llm_dir = Path(llm_cfg.name_or_path)
    llm_dir = llm_dir if llm_dir.is_dir() else hub_snapshot(llm_cfg.name_or_path) or llm_dir
    if llm_dir.is_dir():  # without HF's safetensors names transformers reads pytorch_model.bin (a pickle)
        if not safetensors_llm(llm_dir):
            other = sorted(p.name for p in llm_dir.glob("*.safetensors"))
            named = (f" under a name transformers reads (model.safetensors, model.safetensors.index.json; "
                     f"{other[0]} is neither)") if other else ""
            raise FileNotFoundError(f"{llm_dir}: no *.safetensors LLM weights{named}{pickled_said(llm_dir)}")
        if not (llm_dir / "config.json").is_file():  # transformers: 'Unrecognized model in …'
            raise FileNotFoundError(f"{llm_dir}: no config.json (the LLM's Hugging Face config, beside its weights)")
        # shards its index lists that are missing, and cut files: build_llm's check_llm_files names them
    tok = llm_cfg.tokenizer
    if tok and not Path(tok).exists():  # a relative one: looked for in root, then here (resolve_in)
        where = "" if Path(tok).is_absolute() else f": neither {root / tok} nor {Path.cwd() / tok}"
        raise FileNotFoundError(f"{root}: tokenizer {tok!r} not found{where} (a checkpoint keeps it in "
                                f"tokenizer/; point llm.tokenizer in {root / 'config.yaml'} at a tokenizer folder)")
    adapter = root / "adapter"
    if adapter.is_dir():
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            if not (adapter / name).is_file():
                raise FileNotFoundError(f"{adapter}: no {name} (a peft LoRA adapter){pickled_said(adapter)}")
        if why := adapter_rank_mismatch(adapter):  # was peft's 'size mismatch for …' traceback, a line per tensor
            raise ValueError(why)
        if (root / MERGED).is_file() and adapter_sha256(root) in merged_adapters(root):  # applied on top, again
            raise ValueError(f"{adapter}: merged into {root}'s weights already ({root / MERGED} records it); loaded "
                             f"or merged again it would count twice: remove {adapter} (a copy of the adapter put "
                             "back beside them), or load the unmerged checkpoint it was saved with")


def adapter_sha256(root: Path) -> str | None:
    """The SHA-256 of checkpoint ``root``'s adapter weights (adapter/adapter_model.safetensors); None for none."""
    import hashlib

    path = root / "adapter" / "adapter_model.safetensors"
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# where a LoRA tensor keeps its rank: A (r, in[, k, k]), B (out, r[, 1, 1]); embeddings' A (r, rows), B (dim, r)
_RANK_AXIS = {"lora_A": 0, "lora_B": 1, "lora_embedding_A": 0, "lora_embedding_B": 1}


def adapter_rank_mismatch(adapter: Path) -> str | None:
    """Why the adapter folder's adapter_config.json is not the one saved with its adapter_model.safetensors: a
    LoRA tensor of a rank neither its ``r`` nor a ``rank_pattern`` value gives (an edited config, or another
    adapter's copied over), or a config that is no JSON object or whose ``r`` is no rank; None where they agree
    or either cannot be read (the load names that)."""
    try:
        conf = json.loads((adapter / "adapter_config.json").read_text())
        header = open_safetensors(adapter / "adapter_model.safetensors")
    except (OSError, ValueError):
        return None
    with header as h:  # closed on every return (the early ones left it to the garbage collector)
        return _rank_mismatch(adapter, conf, h)


def _rank_mismatch(adapter: Path, conf, h) -> str | None:
    """``adapter_rank_mismatch``'s checks of the parsed adapter_config.json ``conf`` against the open header ``h``."""
    if not isinstance(conf, dict):  # was 'cannot be read (TypeError: list indices must be integers …)'
        return (f"{adapter / 'adapter_config.json'}: not a JSON object (peft's adapter config): edited or cut? put "
                "back the adapter_config.json saved with these weights")
    # r: "4" was "cannot be read (TypeError: '<=' not supported between instances of 'str' and 'int')"
    if "r" in conf and (isinstance(conf["r"], bool) or not isinstance(conf["r"], int) or conf["r"] < 1):
        return (f"{adapter / 'adapter_config.json'}: r is {conf['r']!r}, not a rank (a whole number of 1 or more; "
                "its weights' lora_A rows): edited? put back the adapter_config.json saved with these weights")
    if not isinstance(conf.get("r"), int):
        return None
    ranks = {conf["r"], *(v for v in (conf.get("rank_pattern") or {}).values() if isinstance(v, int))}
    for key in sorted(h.keys()):
        if (axis := _RANK_AXIS.get(m.group(1)) if (m := PEFT_KEY.search(key + ".")) else None) is None:
            continue
        if len(shape := h.get_slice(key).get_shape()) > axis and (got := shape[axis]) not in ranks:
            return (f"{adapter / 'adapter_config.json'}: says r={conf['r']}, but {key} in adapter_model.safetensors "
                    f"is {list(shape)}, of rank {got}: the two files are of different adapters (one edited or copied "
                    f"over); put back the adapter_config.json saved with these weights (r: {got})")
    return None


def adapter_mismatch(llm, adapter: Path) -> str | None:
    """Why the peft adapter in folder ``adapter`` was not trained on the LLM ``llm`` (no peft wrapper
    yet), from its safetensors header: a layer it adapts that ``llm`` lacks, or one of another size;
    None where every layer it adapts is there in its size, or the file cannot be read (the load
    names it). Cannot see a base with more layers (peft's missing adapter keys) or of other
    weights in the same shapes."""
    try:
        header = open_safetensors(adapter / "adapter_model.safetensors")
    except ValueError:
        return None
    with header as h:
        for key in sorted(h.keys()):
            name = key.removeprefix("base_model.model.")
            if not (m := PEFT_KEY.search(name + ".")):
                continue
            path, part = name[: m.start()].rstrip(".").removesuffix(".token_adapter"), m.group(1)
            try:
                module = llm.get_submodule(path)
            except AttributeError:
                return f"it adapts {path}, which the base does not have"
            shape = tuple(h.get_slice(key).get_shape())
            if hasattr(module, "in_features") and part in ("lora_A", "lora_B"):  # A (r,in), B (out,r)
                want, got = ((module.in_features, shape[-1]) if part == "lora_A" else (module.out_features, shape[0]))
            elif hasattr(module, "embedding_dim") and part in ("lora_embedding_A", "lora_embedding_B"):
                want, got = ((module.num_embeddings, shape[-1]) if part == "lora_embedding_A"
                             else (module.embedding_dim, shape[0]))
            elif part == "trainable_tokens_delta" and getattr(module, "weight", None) is not None:  # (n,D)
                want, got = module.weight.shape[-1], shape[-1]
            else:
                continue
            if want != got:
                return f"{key} is {list(shape)}, for a layer of size {got} where the base's {path} has {want}"
    return None


def adapter_lacks(adapter: Path, lacks: list[str], other: str) -> str:
    """Why peft found the adapter in folder ``adapter`` lacking ``lacks`` (its names, with the adapter's
    name ``default``): where the file holds other tensors of the first one's layer, the file was cut or
    edited, naming the tensor as the file would (was: "trained on another base", ``other``); else a base
    with more layers than the one the adapter was trained on."""
    file = adapter / "adapter_model.safetensors"
    key = lacks[0].replace(".default.", ".").removesuffix(".default")
    m = PEFT_KEY.search(key + ".")
    layer = key[: m.start()] if m else None
    try:
        with open_safetensors(file) as h:
            beside = sorted(k for k in h.keys() if layer and k.startswith(layer) and k != key)
    except ValueError:
        beside = []
    if beside:
        return (f"{file}: lacks {counted(len(lacks), 'tensor')} of layers it adapts (first: {key}, whose layer's "
                f"{beside[0].removeprefix(layer)} is there): cut or edited after it was saved")
    return f"{other}: the base has {counted(len(lacks), 'adapted weight')} the adapter lacks (first: {lacks[0]})"


def adapter_extras(llm, adapter: Path) -> list[str]:
    """The tensors of the adapter file in folder ``adapter`` that the peft-wrapped ``llm`` loaded from it has
    no place for (peft ignores them): an edited file, or one of another adapter kind. A tensor peft loads is
    one of ``llm``'s under its name, with the adapter's (``default``) after a LoRA / token part: whole
    embeddings an older save kept (``save_embedding_layers``) are loaded, and not counted."""
    have = set(llm.state_dict())
    with open_safetensors(adapter / "adapter_model.safetensors") as h:
        return sorted(k for k in h.keys()
                      if k not in have and PEFT_KEY.sub(lambda m: f"{m.group(1)}.default.", k + ".")[:-1] not in have)


def adapter_notes(llm, adapter: Path, llm_cfg, config_yaml: Path) -> list[str]:
    """What to say once the adapter in folder ``adapter`` is loaded into ``llm``: tensors it has no place for
    (``adapter_extras``; peft ignored them), and a rank or alpha of ``llm_cfg`` (``config_yaml``'s llm section,
    overrides included) other than the adapter_config.json's, which peft builds the adapter from (was: merged
    and loaded with the adapter's without a word, as if llm.lora_r counted)."""
    notes = []
    if extra := adapter_extras(llm, adapter):
        notes.append(f"{adapter / 'adapter_model.safetensors'}: {counted(len(extra), 'tensor')} this LLM's adapter has no "
                     f"place for, ignored (first: {', '.join(extra[:3])})")
    try:
        conf = json.loads((adapter / "adapter_config.json").read_text())
    except (OSError, ValueError):  # read by peft just now: cannot happen but for a race
        conf = None
    if isinstance(conf, dict) and conf.get("peft_type", "LORA") == "LORA":
        pairs = [("lora_r", llm_cfg.lora_r, "r"), ("lora_alpha", llm_cfg.lora_alpha, "lora_alpha")]
        if odd := [(k, ours, conf[theirs], theirs) for k, ours, theirs in pairs
                   if isinstance(conf.get(theirs), (int, float)) and conf[theirs] != ours]:
            said = ", ".join(f"llm.{k}={ours}" for k, ours, _, _ in odd)
            used = ", ".join(f"{theirs}={v}" for _, _, v, theirs in odd)
            notes.append(f"{config_yaml} (or an override) gives {said}, but {adapter / 'adapter_config.json'} says "
                         f"{used}: loaded with the adapter's {used} (peft builds a saved adapter from its own config, "
                         "whose rank its weights have; llm.lora_r and llm.lora_alpha only shape a new adapter): "
                         "write the adapter's values into config.yaml to silence this")
    return notes


# the most floating values of a checkpoint's own llm/ scanned for NaN/inf at each load: 0.25 s on one CPU thread
SCAN_VALUES = 100_000_000
# safetensors' integer dtype names: a first letter "B" took BF16, every bf16 checkpoint's, for BOOL (25b3c124)
_INTEGER_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64"}


def check_llm_values(folder: Path, llm) -> None:
    """ValueError where the checkpoint's own ``llm/`` (``folder``, loaded as ``llm``) stores a floating weight as
    integers (headers only; transformers cast it without a word), as vision.safetensors and the adapter are refused,
    or where its config.json ties a head its weights hold apart (``_check_untied_head``), or, for an LLM of at most
    ``SCAN_VALUES`` floating values, one holding NaN or inf (a diverged full fine-tune's: was loaded, every answer
    garbage); a larger one is not scanned: a pass over every weight of a 7B model at each load (docs/models.md)."""
    own = {k: t for k, t in llm.state_dict().items() if t.is_floating_point()}
    for name in weight_files(folder):
        with open_safetensors(folder / name) as h:
            ints = [k for k in h.keys() if k in own and h.get_slice(k).get_dtype() in _INTEGER_DTYPES]
            if ints:
                raise ValueError(integers_note(folder / name, ints, h.get_slice(ints[0]).get_dtype().lower()))
    first = {}  # one name a tensor: a tied head is the embeddings' (was counted, and scanned, twice)
    for k, t in own.items():
        first.setdefault((t.data_ptr(), t.numel()), k)
    scan = {k: own[k] for k in first.values()}
    if sum(t.numel() for t in scan.values()) <= SCAN_VALUES and (bad := [k for k, t in scan.items() if not all_finite(t)]):
        raise ValueError(overflow_note(folder, bad[0], own[bad[0]].dtype) or nan_note(folder, bad))
    _check_untied_head(folder, llm)


def overflow_note(folder: Path, name: str, dtype) -> str | None:
    """Why the weight ``name``, loaded in ``dtype`` and no longer finite, is finite as ``folder`` stores it (in a
    wider type: float32 values past float16's 65504 became inf), or None (stored so: a diverged run's)."""
    for file in weight_files(folder):
        with open_safetensors(folder / file) as h:
            if name not in h.keys():
                continue
            stored = h.get_tensor(name)
            if stored.dtype == dtype or not stored.is_floating_point() or not all_finite(stored):
                return None
            top = float(stored.abs().max())
            return (f"{folder}: {name} holds values up to {top:.4g} as stored ({str(stored.dtype).removeprefix('torch.')}),"
                    f" past what {str(dtype).removeprefix('torch.')} holds ({torch.finfo(dtype).max:.4g}): they became inf "
                    f"when loaded in it; load it in bfloat16 or float32 (--dtype bfloat16, load_pretrained(dtype=...))")
    return None


def _check_untied_head(folder: Path, llm) -> None:
    """ValueError where ``llm`` ties its LM head to its input embeddings (config.json's ``tie_word_embeddings``)
    but ``folder``'s weights hold a head of other values (an edited config.json): transformers keeps the two apart
    at load, with a warning, but an adapter's trainable tokens of the head follow the embeddings' (its trained
    rows dropped: other answers), and any later ``tie_weights`` (a token resize) ties the head to the embeddings."""
    head, emb = llm.get_output_embeddings(), llm.get_input_embeddings()
    if head is None or emb is None or not getattr(llm.config.get_text_config(), "tie_word_embeddings", False):
        return
    names = {m: n for n, m in llm.named_modules() if m is head or m is emb}
    head_key, emb_key = f"{names[head]}.weight", f"{names[emb]}.weight"
    where = {}  # each in whichever shard holds it (was: both in one file, or not checked: a sharded llm/)
    for name in weight_files(folder):
        with open_safetensors(folder / name) as h:
            where.update({k: folder / name for k in set(h.keys()) & {head_key, emb_key}})
    if len(where) < 2:
        return
    with open_safetensors(where[head_key]) as h:
        held = h.get_tensor(head_key)
    with open_safetensors(where[emb_key]) as h:
        if not held.equal(h.get_tensor(emb_key)):
            raise ValueError(f"{where[head_key]}: holds its own {head_key}, but {folder / 'config.json'} ties the head "
                             f"to {emb_key} (tie_word_embeddings), which would drop it: is config.json the one "
                             "saved with these weights? (set tie_word_embeddings: false)")


def lacks_tensor(path: Path, error: KeyError) -> str | None:
    """Why peft's ``error`` (``KeyError: NAME``) loading the adapter file ``path``: the file lacks the tensor NAME
    (edited, or an adapter of another model); None where the file holds it (another KeyError, passed on)."""
    name = error.args[0] if error.args else None
    try:
        with open_safetensors(path) as h:
            if not isinstance(name, str) or name in h.keys():
                return None
    except ValueError:  # unreadable: names_unreadable says so
        return None
    return (f"{path}: lacks the tensor {name}, which its adapter_config.json's layers need: edited after it was "
            "saved, or an adapter of another model?")


_LOADED = re.compile(r"(lora_[A-Za-z_]+|trainable_tokens_delta)\.default(\.|$)")  # an adapter's tensor, peft-loaded


def check_adapter_values(path: Path, llm) -> None:
    """ValueError where the adapter file ``path`` holds a LoRA or token tensor stored as integers (its header), or
    where one of them that peft loaded into ``llm`` holds NaN/inf (a diverged run's): peft cast the one and loaded
    the other without a word, every answer then garbage, as the vision weights' check refuses them. The file is
    not read a second time (it was, whole, after peft's own read: a rank-64 LoRA of a 7B model is 0.3 GiB)."""
    with open_safetensors(path) as h:
        dtypes = {k: h.get_slice(k).get_dtype() for k in h.keys() if PEFT_KEY.search(k + ".")}
    if ints := [k for k, d in dtypes.items() if d in _INTEGER_DTYPES]:
        raise ValueError(integers_note(path, ints, dtypes[ints[0]].lower()))
    # loaded as NAME.lora_A.default.weight / NAME.trainable_tokens_delta.default: named as the file names them
    bad = [_LOADED.sub(r"\1\2", n) for n, t in llm.named_parameters()
           if _LOADED.search(n) and t.is_floating_point() and not all_finite(t)]
    if bad:
        raise ValueError(nan_note(path, bad))


def vocab_rows(llm_dir: Path) -> int | None:
    """The embedding rows an HF model folder's config.json gives its LLM (None where it gives none)."""
    from huggingface_hub.errors import StrictDataclassError
    from transformers import AutoConfig

    try:
        return int(AutoConfig.from_pretrained(llm_dir).get_text_config().vocab_size)
    except (OSError, ValueError, TypeError, AttributeError, StrictDataclassError):  # build_llm names an unreadable folder
        return None


def hub_snapshot(name: str, files: tuple[str, ...] = ("config.json",), at: bool = False) -> Path | None:
    """The Hugging Face cache's folder of the hub model ``name`` ('org/name') where it holds the first of ``files``
    there (its config.json): the snapshot its refs/main names, or with ``at`` the one a revision after ``@`` names
    (``org/name@v1``, a branch, tag or commit, as ``hf download --revision`` takes); None for another name or one not
    cached. An adapter-only checkpoint of a LoRA trained on a cached hub base names it so (a local base is named by
    its absolute path)."""
    repo, rev = _at_revision(name) if at else (name, None)
    if not _hub_name(repo):
        return None
    import huggingface_hub as hub

    found = next((f for file in files if isinstance(f := hub.try_to_load_from_cache(repo, file, revision=rev), str)),
                 None)
    return Path(found).parent if found else None


def _at_revision(name: str) -> tuple[str, str | None]:
    """``name`` and the revision after its ``@`` ('acme/x@v1': 'acme/x', 'v1'), where it has one; else (name, None)."""
    repo, at, rev = name.partition("@")
    return (repo, rev) if at and re.fullmatch(r"[\w.-]+(/[\w.-]+)*", rev) else (name, None)


def cached_checkpoint(name: str) -> Path | None:
    """The Hugging Face cache's snapshot of hub name ``name`` (``org/name``, its refs/main's, or ``org/name@REV``'s)
    where it holds a whole rsvlm checkpoint (config.yaml, vision.safetensors and the llm/, tokenizer/ and adapter/
    files its config.yaml names: ``cache_parts.cache_lacks``): where ``--model NAME`` is read, with no local folder
    of that name; else None. A trailing slash (a shell's completion of ``org/name/``) is read past."""
    found = hub_snapshot(name.rstrip("/"), ("config.yaml",), at=True)
    return found if found is not None and cache_lacks(found) is None else None


def _hub_name(name: str) -> bool:
    """Whether ``name`` reads as a hub model's name: 'org/name' (not ./x) that huggingface_hub takes as a repo id."""
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", name) or name.startswith(("./", "../")):
        return False
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(name)
    except ValueError:  # huggingface_hub's HFValidationError: no repo id after all (runs/a..b, out/.x)
        return False
    return True


def base_folder(name: str) -> Path | None:
    """LLM base ``name``'s folder: the local path (``~`` expanded) where it is there, else a cached hub name's
    (``hub_snapshot``); None for neither."""
    local = Path(name).expanduser()
    return local if local.exists() else hub_snapshot(name)
