"""An LLM's Hugging Face folder before transformers reads it: where it is (a local folder or a hub name),
its files that cannot be read (one error naming the config key), config keys transformers does not
define, and whether its config.json builds tensors of the shapes its safetensors hold (from the headers
alone, so a config typo is named before any weight is read, and before transformers' load report); and its
tokenizer read with the same errors, one with no vocabulary refused (``read_tokenizer``)."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any

from torch import nn

from rsvlm.near import near_names
from rsvlm.progress import counted


class HFConfigError(ValueError):
    """A transformers config given as a dict (``llm.config``, an hf_clip tower's ``hf_config``) refused: a key that
    is no string, a typo, no model_type or an unknown one, a value transformers refuses. ``key``: the dotted key the
    message names first, so a caller that knows the file can name it (``rsvlm.train.flags.llm_config_by``)."""

    def __init__(self, message: str, key: str = ""):
        super().__init__(message)
        self.key = key


def check_local(path: str, key: str) -> str:
    """``path`` as given; FileNotFoundError naming the config key when it is plainly a local folder
    (absolute, ``./``, ``~``, two or more ``/``, or ``dir/name`` where ``dir`` is a folder here)
    that is not there. A hub name is ``name`` or ``org/name``; transformers' own error for a
    missing folder calls it a malformed repo id, and an ``org/name`` that is really a missing
    ``runs/model`` would be looked up on the hub. Cannot: tell a hub org from a local folder of
    the same name (the folder wins)."""
    local = (path.startswith(("/", "./", "../", "~")) or path.count("/") >= 2
             or (path.count("/") == 1 and Path(path.split("/")[0]).is_dir()))
    if local and not Path(path).expanduser().exists():
        raise FileNotFoundError(f"{key}: {path} not found (a local folder; a hub name is 'name' or 'org/name')")
    return path


def home_expanded(path: str | None) -> str | None:
    """``path`` with a leading ``~`` expanded (transformers reads '~/models/x' as a malformed hub repo id)."""
    return str(Path(path).expanduser()) if path and path.startswith("~") else path


def local_folder(path: str, key: str) -> Path | None:
    """``path`` as a local folder, or None for a hub name (``check_local``); FileNotFoundError naming
    ``key`` where it is a local path that is not there or is a file."""
    folder = Path(check_local(path, key)).expanduser()
    if not folder.exists():
        return None
    if not folder.is_dir():
        raise FileNotFoundError(f"{key}: {path} is a file; give the folder it is in (a Hugging Face model folder)")
    return folder


@contextlib.contextmanager
def names_unreadable(key: str, path: str, *also: type[Exception]):
    """A file under ``path`` that cannot be read (a cut safetensors or JSON file, transformers'
    OSError about it, a config.json field of the wrong type (``"hidden_size": "64"``: huggingface_hub's
    validation error, a traceback), and ``also``) as one ValueError naming ``key`` and ``path`` (and its JSON file
    that does not parse: a JSON error names a line only), not a traceback. A missing file stays a FileNotFoundError."""
    from huggingface_hub.errors import StrictDataclassError
    from safetensors import SafetensorError

    try:
        yield
    except FileNotFoundError:
        raise
    except StrictDataclassError as e:  # its message runs over two lines
        raise ValueError(f"{key} {path}: its config.json is not valid ({' '.join(str(e).split())})") from e
    except (SafetensorError, OSError, *also) as e:
        cut = bad_json(path)  # a JSON error names a line, not its file (a cut tokenizer.json)
        where = f" in {cut.name}" if cut is not None and cut.name not in str(e) else ""
        raise ValueError(f"{key} {path}: cannot be read ({type(e).__name__}{where}: {e})") from e


def read_tokenizer(path: str, key: str):
    """``AutoTokenizer.from_pretrained(path)``, refusing with a ValueError naming ``key`` and ``path`` a file it cannot
    read (``names_unreadable``; a cut tokenizer.json: "Expecting value: line 11") and a tokenizer with no vocabulary
    (a folder that lost its tokenizer.json: transformers built its special tokens alone, and every prompt was no
    tokens: an empty answer, exit 0)."""
    from transformers import AutoTokenizer

    with names_unreadable(key, path, ValueError):
        tok = AutoTokenizer.from_pretrained(path)
    if not tok("ship", add_special_tokens=False)["input_ids"]:
        raise ValueError(f"{key} {path}: a tokenizer with no vocabulary ('ship' is no tokens): its tokenizer.json "
                         "(or tokenizer.model, vocab.json) is missing; copy the folder again")
    own = own_tokenizer_code(path)
    ckpt = Path(path).expanduser().parent
    if own and (ckpt / "config.yaml").is_file() and (ckpt / "vision.safetensors").is_file():  # an rsvlm checkpoint's
        # tokenizer/, saved before stop 74 with its base's auto_map: trained as read here, so nothing to check
        warnings.warn(f"{Path(path) / 'tokenizer_config.json'}: its auto_map names its base's tokenizer code ({own}), "
                      "which rsvlm never runs, nor ran at training: the tokenizer loads as it was trained, as transformers' "
                      f"{type(tok).__name__}. To stop this note for good, delete the \"auto_map\" entry from that file "
                      "(checkpoints saved by rsvlm since stop 74 have none)", stacklevel=3)
    elif own:  # transformers built one from tokenizer.json without a word
        warnings.warn(f"{key} {path}: its tokenizer_config.json asks for code of its own ({own}), which rsvlm never "
                      f"runs (no trust_remote_code): loaded as transformers' {type(tok).__name__}; check that it "
                      "tokenises text as the model's own tokenizer does", stacklevel=3)
    return tok


def quantised_save_problem(out: Path, lora: bool) -> str:
    """Why a model whose LLM was loaded 4/8-bit is not saved whole to ``out``, and what to save instead."""
    if lora:
        return (f"{out}: a 4/8-bit LLM is saved adapter_only, its base (llm.name_or_path) quantised again on load: "
                f"model.save_pretrained({str(out)!r}, adapter_only=True)")
    return (f"{out}: a 4/8-bit LLM without LoRA is not saved (a checkpoint holds an LLM whole or as a LoRA adapter, "
            "and this one's weights are llm.name_or_path's, quantised at load): where nothing was trained, keep the "
            "checkpoint it was loaded from; to keep a trained projector or stems, train with trainable.llm: lora "
            "or without load_in_4bit/load_in_8bit")


def save_tokenizer(tok, folder: Path) -> None:
    """``tok.save_pretrained(folder)`` without a base's ``auto_map`` (``own_tokenizer_code``): the folder holds none
    of that code and the tokenizer is transformers' own class, so a checkpoint's load does not repeat the warning
    its base's load gave."""
    import json

    tok.save_pretrained(folder)
    conf_file = Path(folder) / "tokenizer_config.json"
    conf = json.loads(conf_file.read_text())
    if conf.pop("auto_map", None) is not None:
        conf_file.write_text(json.dumps(conf, indent=2, ensure_ascii=False) + "\n")


def own_tokenizer_code(path: str) -> str | None:
    """The class a local tokenizer folder's ``tokenizer_config.json`` ``auto_map`` names for ``AutoTokenizer``
    (code shipped with the model), else None; a hub name's cached files are not looked at."""
    import json

    try:
        conf = json.loads((Path(path).expanduser() / "tokenizer_config.json").read_text())
    except (OSError, ValueError):
        return None
    own = conf.get("auto_map", {}).get("AutoTokenizer") if isinstance(conf.get("auto_map"), dict) else None
    names = [n for n in (own if isinstance(own, list) else [own]) if isinstance(n, str)]
    return " / ".join(names) or None


def bad_json(path: str) -> Path | None:
    """The first ``*.json`` file of the folder ``path`` that does not parse (cut short by a copy), else None."""
    import json

    folder = Path(path).expanduser()
    if not folder.is_dir():
        return None
    for file in sorted(folder.glob("*.json")):
        try:
            json.loads(file.read_bytes())
        except (ValueError, OSError):  # JSONDecodeError, UnicodeDecodeError: both ValueErrors
            return file
    return None


# keys transformers 4's PretrainedConfig wrote into every config.json (generation and base settings; 5 dropped many):
# a model's own keys, not typos (a full nested vision_config holds them, openai/clip-vit-large-patch14-336's among
# them, whose tie_encoder_decoder was taken for a typo of is_encoder_decoder, and a sep_token_id for pad_token_id)
V4_CONFIG_KEYS = frozenset((
    "add_cross_attention", "bad_words_ids", "begin_suppress_tokens", "bos_token_id", "chunk_size_feed_forward",
    "cross_attention_hidden_size", "decoder_start_token_id", "diversity_penalty", "do_sample", "early_stopping",
    "encoder_no_repeat_ngram_size", "eos_token_id", "exponential_decay_length_penalty", "finetuning_task",
    "forced_bos_token_id", "forced_eos_token_id", "gradient_checkpointing", "is_decoder", "is_encoder_decoder",
    "length_penalty", "max_length", "min_length", "no_repeat_ngram_size", "num_beam_groups", "num_beams",
    "num_return_sequences", "output_attentions", "output_hidden_states", "output_past", "output_scores",
    "pad_token_id", "prefix", "problem_type", "pruned_heads", "remove_invalid_values", "repetition_penalty",
    "return_dict", "return_dict_in_generate", "sep_token_id", "suppress_tokens", "task_specific_params",
    "temperature", "tf_legacy_loss", "tie_encoder_decoder", "tie_word_embeddings", "tokenizer_class", "top_k",
    "top_p", "torchscript", "typical_p", "use_bfloat16", "xla_device"))


def unknown_config_keys(model_type: str, conf: dict[str, Any], scans: dict | None = None) -> list[tuple[str, list[str]]]:
    """(key, the defined keys it is close to) for each key of ``conf`` that transformers' config class for
    ``model_type`` does not define (transformers 4's ``V4_CONFIG_KEYS`` aside); a key another transformers config
    class defines (``other_models_field``), given beside a key it is close to, is close to none (it is no typo)."""
    return [(key, [] if foreign(close, others, conf) else close)
            for key, close, others in _unknown_keys(model_type, conf, scans=scans)]


def foreign(close: list[str], others: list[str], conf: dict[str, Any]) -> bool:
    """Whether an unknown key close to the defined keys ``close``, a field of the model types ``others``' configs, is
    another model's field (``moe_intermediate_size`` beside ``intermediate_size``, as a config.json copied whole holds
    them) rather than a typo: given alone it may stand for the key it is close to (``hidden_sizes``, a ResNet's
    field, for ``hidden_size``; ``num_layers``, T5's), which would build at its default size."""
    return bool(others) and any(c in conf for c in close)


def _unknown_keys(model_type: str, conf: dict[str, Any], scan: bool = True, scans: dict | None = None
                  ) -> list[tuple[Any, list[str], list[str]]]:
    """(key, the defined keys it is close to, the other model types whose config defines it) per unknown key; the
    other models are looked for only for a key close to a defined one (a typo's suspect), so a build pays nothing
    (nor where not ``scan``: none are). ``scans``: key → those models, found earlier in this build (``scanned``)."""
    import inspect

    from transformers import CONFIG_MAPPING, PretrainedConfig

    cls = CONFIG_MAPPING[model_type]
    known = (set(inspect.signature(cls.__init__).parameters) | set(inspect.signature(PretrainedConfig.__init__).parameters)
             | set(cls().to_dict()) | set(getattr(cls, "attribute_map", {}))
             | {"rope_theta", "rope_scaling", "attn_implementation", "torch_dtype", "num_labels"}  # legacy / kwargs
             | V4_CONFIG_KEYS)
    out = []
    # slips=False: a close key is refused, a far one warned of; a free-form extra one slip from a short key stays so
    for key in sorted(set(conf) - known, key=str):
        close = near_names(key, sorted(known), n=3, cutoff=0.8, slips=False)
        out.append((key, close, scanned(key, scans) if scan and close and isinstance(key, str) else []))
    return out


def scanned(key: str, scans: dict | None) -> list[str]:
    """``other_models_field(key)``, looked up in ``scans`` (key → its result; the caller's, one dict per build:
    ``create_model`` checks a config three times) and kept there; found anew where ``scans`` is None."""
    if scans is None:
        return other_models_field(key)
    if key not in scans:
        scans[key] = other_models_field(key)
    return scans[key]


def other_models_field(key: str) -> list[str]:
    """The model types (folders of ``transformers/models``) whose configuration module defines ``key`` as a field:
    a class attribute (``    key: int = …``), a class's ``__init__`` argument or ``self.key = …``. The modules'
    source text is searched (no model is imported: transformers 5.23, ~530 modules, 4 MB, 60 ms warm, 1.3 s from a
    cold disk) and those holding such a line are parsed (``defines_field``: 0.1-0.3 s more, 0.32 s for
    ``image_size``'s 115),
    so a local variable, a call's keyword or a docstring's ``Args:`` line is no field (the text alone took 195 names
    no config defines for fields, in 959 places).
    Cannot: see a key only a nested dict reads (``rope_parameters``' ``original_max_position_embeddings``, a field of
    phi3's config alone)."""
    import re

    import transformers

    line = re.compile(rf"^[ \t]+(?:self\.)?{re.escape(key)}[ \t]*[:=]", re.M)
    found = []
    for path in sorted((Path(transformers.__file__).parent / "models").glob("*/configuration_*.py")):
        with contextlib.suppress(OSError, UnicodeDecodeError, SyntaxError, ValueError):
            if key in (text := path.read_text(encoding="utf-8")) and line.search(text) and defines_field(text, key):
                found.append(path.parent.name)
    return sorted(set(found))


def defines_field(source: str, key: str) -> bool:
    """Whether Python ``source`` defines ``key`` as a field: a class body's (annotated) assignment, an argument of a
    class's ``__init__``, an assignment to ``self.key``, or ``kwargs.pop("key", …)`` (a legacy key read)."""
    import ast

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == key and isinstance(node.ctx, ast.Store) and (
                isinstance(node.value, ast.Name) and node.value.id == "self"):
            return True
        if (isinstance(node, ast.Call) and isinstance(f := node.func, ast.Attribute) and f.attr in ("pop", "get")
                and isinstance(f.value, ast.Name) and f.value.id == "kwargs" and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value == key):  # a legacy key read
            return True
        for st in node.body if isinstance(node, ast.ClassDef) else []:
            targets = [st.target] if isinstance(st, ast.AnnAssign) else st.targets if isinstance(st, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == key for t in targets):
                return True
            if isinstance(st, ast.FunctionDef) and st.name == "__init__" and key in {
                    a.arg for a in st.args.posonlyargs + st.args.args + st.args.kwonlyargs}:
                return True
    return False


def check_model_type(model_type, where: str = "llm.config") -> None:
    """ValueError naming ``where``'s model_type where ``model_type`` is no transformers model type, with up to 3 it
    is near (``lama``: llama; ``LLAMA``: llama alone); transformers' own error lists all ~400 types, naming no key."""
    from transformers import CONFIG_MAPPING

    if model_type not in CONFIG_MAPPING:
        close = near_names(str(model_type), list(CONFIG_MAPPING.keys()), n=3, cutoff=0.6)
        raise HFConfigError(f"{where}.model_type {model_type!r} is not a transformers model type"
                            f"{f'; did you mean {close}?' if close else ''}", f"{where}.model_type")


def check_config_keys(model_type: str, conf: dict[str, Any], where: str = "llm.config", scans: dict | None = None
                      ) -> None:
    """A key of ``llm.config`` (or another transformers config given as a dict at ``where``, e.g. an
    hf_clip tower's ``hf_config``) that transformers' config class does not define is stored and never
    read, so a typo ('hidden_sise') would build a model of the default size without a word: refused
    when it is close to a defined key, warned about otherwise (configs also take free-form extras), and where
    another transformers model's config defines it and it is given beside a key it is close to (``foreign``:
    ``moe_intermediate_size`` beside ``intermediate_size``), with those models named. A key that is
    no string (YAML ``{1: 2}``): ValueError naming it (was transformers' "keywords must be strings").
    ``scans``: the other models' fields found earlier in this build, added to (``scanned``)."""
    from transformers import CONFIG_MAPPING

    if odd := [k for k in conf if not isinstance(k, str)]:
        raise HFConfigError(f"{where} has the key {odd[0]!r} ({type(odd[0]).__name__}): its keys are names of "
                            "transformers config fields, strings (hidden_size, …); remove it, or quote it if it is meant "
                            "as a name", where)
    cls = CONFIG_MAPPING[model_type]
    for key, close, others in _unknown_keys(model_type, conf, scans=scans):
        models = f"{', '.join(others[:3])}{' …' if len(others) > 3 else ''}"
        if close and not foreign(close, others, conf):  # alone, another model's field may stand for a key here
            raise HFConfigError(f"{where}.{key} is not a {cls.__name__} field; did you mean {close}?" + (
                f" ({models}'s config in transformers has a {key}, but no {' or '.join(close)} is given beside it: "
                "taken for a typo)" if others else ""), f"{where}.{key}")
        said = f" (a field of {models}'s config in transformers, not of this one)" if others else ""
        warnings.warn(f"{where}.{key} is not a {cls.__name__} field{said}; it is stored but no model code reads it",
                      stacklevel=3)


def mismatch_note(path: str, llm: nn.Module, mismatched, key: str = "llm.name_or_path") -> str:
    """Why the weights in ``path`` (given as ``key``) do not fit the model its config.json builds (``llm``): the
    first tensor that does not of ``mismatched`` ((name, saved shape, built shape), transformers'
    ``mismatched_keys``), and the keys of its (text) config that its config class does not define that are
    close to one it does (a typo leaves that one at its default; another model's field too: ``to_dict`` holds every
    key, so ``foreign`` cannot tell, and the shapes already say something is off)."""
    name, saved, built = sorted(mismatched, key=lambda m: m[0])[0]
    text = llm.config.get_text_config()
    unknown = _unknown_keys(text.model_type, text.to_dict(), scan=False)
    typos = [f"{k!r} (did you mean {close[0]!r}?)" for k, close, _ in unknown if close]
    return (f"{f'{key} ' if key else ''}{path}: its weights do not fit the {type(llm).__name__} its config.json builds: "
            f"{counted(len(mismatched), 'tensor')} of another shape (first: {name} saved {tuple(saved)}, built {tuple(built)})"
            + (f"; config.json has {', '.join(typos)}" if typos else "; is config.json the one saved with them?"))


def weight_files(folder: Path) -> list[str]:
    """The safetensors files of a Hugging Face model folder that transformers reads: ``model.safetensors``, or the
    shards ``model.safetensors.index.json`` lists ([] where it has neither; any other ``*.safetensors`` there,
    such as Mistral's ``consolidated.safetensors``, is never read). A cut index: ValueError naming it."""
    from transformers.utils import SAFE_WEIGHTS_INDEX_NAME, SAFE_WEIGHTS_NAME

    if (folder / SAFE_WEIGHTS_NAME).is_file():
        return [SAFE_WEIGHTS_NAME]
    if (folder / SAFE_WEIGHTS_INDEX_NAME).is_file():
        from rsvlm.model.convert_llava import index_shards  # a cut index: named, not a JSONDecodeError

        return index_shards(folder / SAFE_WEIGHTS_INDEX_NAME)
    return []


def saved_shapes(folder: Path) -> dict[str, tuple[int, ...]]:
    """Tensor name → shape in a Hugging Face model folder's safetensors weights (``weight_files``), from their
    headers alone; {} where it has none. A cut or foreign file, the index included: ValueError naming it
    (``weights.open_safetensors``)."""
    from rsvlm.model.weights import open_safetensors

    out: dict[str, tuple[int, ...]] = {}
    for name in weight_files(folder):
        with open_safetensors(folder / name) as f:
            out.update({k: tuple(f.get_slice(k).get_shape()) for k in f.keys()})
    return out


def check_saved_shapes(path: str, built: nn.Module) -> None:
    """ValueError (``mismatch_note``) where a tensor of the local folder ``path``'s safetensors has another shape
    than the one of that name in ``built``, the model its config.json builds (on meta: no weights): before
    transformers reads any weight, which built the misshapen model at random and printed its load report (a table
    of every such tensor) ahead of rsvlm's error. Names transformers would rename are not compared (its own
    ``mismatched_keys`` still catches those); a hub name is left to that too, and so is a folder saved quantised
    (its config.json's ``quantization_config``: bitsandbytes packs a 4-bit weight into another shape)."""
    folder = Path(path).expanduser()
    if not folder.is_dir() or getattr(built.config, "quantization_config", None):
        return
    saved = saved_shapes(folder)
    odd = [(k, saved[k], tuple(t.shape)) for k, t in built.state_dict().items() if k in saved and saved[k] != tuple(t.shape)]
    if odd:
        raise ValueError(mismatch_note(path, built, odd))
    if extra := _extra_layers(saved, built):  # num_hidden_layers edited down: was transformers' table, then loaded
        raise ValueError(f"llm.name_or_path {path}: its weights hold {counted(len(extra), 'layer')} the {type(built).__name__} its "
                         f"config.json builds has not ({', '.join(extra[:3])}{' …' if len(extra) > 3 else ''}), which "
                         "would be dropped; is config.json the one saved with them (num_hidden_layers)?")


def _extra_layers(saved: dict, built: nn.Module) -> list[str]:
    """Layers (``model.layers.N``) the saved tensors hold past those ``built`` has, under a prefix it has; the
    tensors its class ignores on load (``_keys_to_ignore_on_load_unexpected``: DeepSeek-V3's MTP layer) left out."""
    import re

    layer = re.compile(r"^(.*\.layers\.)(\d+)\.")
    ignore = [re.compile(p) for p in getattr(built, "_keys_to_ignore_on_load_unexpected", None) or []]
    built_layers = [m for k in built.state_dict() if (m := layer.match(k))]  # its names walked once
    have, prefixes = {m.group(0) for m in built_layers}, {m.group(1) for m in built_layers}
    extra = {m.group(0)[:-1] for k in saved if (m := layer.match(k)) and m.group(1) in prefixes
             and m.group(0) not in have and not any(p.search(k) for p in ignore)}
    return sorted(extra, key=lambda n: (n.rsplit(".", 1)[0], int(n.rsplit(".", 1)[1])))


def lacking_note(path: str, llm: nn.Module, lacks: list[str]) -> str:
    """Why LLM folder ``path``'s weights lacking ``lacks`` (transformers' missing keys, sorted) are refused:
    a base model without its LM head (``…Model`` saved, not ``…ForCausalLM``: its config.json's architectures,
    or only the head lacking), else the weight file that should hold the first, cut or edited (a checkpoint's
    llm/ was told to give a causal LM)."""
    import json

    from transformers.utils import SAFE_WEIGHTS_INDEX_NAME, SAFE_WEIGHTS_NAME

    folder = Path(path).expanduser()
    where = folder / SAFE_WEIGHTS_NAME
    if not where.is_file() and (folder / SAFE_WEIGHTS_INDEX_NAME).is_file():
        where = folder / SAFE_WEIGHTS_INDEX_NAME
        try:  # the shard the index puts it in, where it lists it
            shard = json.loads(where.read_text()).get("weight_map", {}).get(lacks[0])
        except (OSError, ValueError, AttributeError):
            shard = None
        where = folder / shard if isinstance(shard, str) else where
    held = llm.config.architectures or []  # none in a hand-written config.json: the lack alone tells
    out = llm.get_output_embeddings()  # its name: lm_head, embed_out, …
    head = {f"{n}.{w}" for n, m in llm.named_modules() if m is out and out is not None for w, _ in m.named_parameters()}
    what = f"a {', '.join(held)}" if held else "no LM head"
    why = (f"it holds {what}: give a causal LM with its LM head (…ForCausalLM)"
           if set(lacks) <= head or held and type(llm).__name__ not in held else
           f"{where} lacks them: cut or edited after it was saved, or another model's weights")
    return (f"llm.name_or_path {path}: its weights lack {counted(len(lacks), 'tensor')} of the {type(llm).__name__} its "
            f"config.json builds (first: {', '.join(lacks[:3])}), which would start at random; {why}")


def adapter_note(folder: Path, key: str, name: str | None = None) -> str:
    """Why the peft adapter in ``folder`` (its ``adapter_config.json``; ``name``: as the user named it, a hub name
    whose cached folder it is) cannot be ``key``, the LLM to build, and what to give instead. An rsvlm
    checkpoint's ``adapter/`` indexes token rows its base has not (an IndexError once built); trained token rows
    or whole modules (``trainable_token_indices``, ``modules_to_save``) crashed the resize to rsvlm's tokens
    ('TrainableTokensWrapper' object has no attribute 'num_embeddings'); a model built over any adapter saves
    the adapter alone as its LLM, so the checkpoint it writes cannot be loaded again. A folder holding a model too
    (``model_files``) is told so (``_model_and_adapter_note``)."""
    import json

    ckpt = folder.parent
    if folder.name == "adapter" and (ckpt / "config.yaml").is_file():
        return (f"{key}: {folder} is the LoRA adapter of the rsvlm checkpoint {ckpt}, not a model: merge that "
                f"checkpoint first (rsvlm merge-lora --model {ckpt} --out DIR) and give DIR/llm (its tokenizer is "
                "DIR/tokenizer; init_from=DIR starts the vision side from it)")
    shown = f"{name} (the Hugging Face cache's {folder})" if name and Path(name).expanduser() != folder else folder
    if held := model_files(folder):  # a model with an adapter_config.json beside it: was told to merge into its base
        return _model_and_adapter_note(folder, key, held, shown)
    try:
        conf = json.loads((folder / "adapter_config.json").read_text())
    except (OSError, ValueError):
        conf = {}
    conf = conf if isinstance(conf, dict) else {}
    extras = [f"{k}: {conf[k]}" for k in ("trainable_token_indices", "modules_to_save") if conf.get(k)]
    base = conf.get("base_model_name_or_path") or "BASE"
    why = (f"it also trains {' and '.join(extras)}, which rsvlm cannot resize to its tokens" if extras else
           "a model built on it saves the adapter alone as its LLM, so its checkpoints could not be loaded again")
    return (f"{key}: {shown} is a peft adapter (adapter_config.json) on {base}, not a model: {why}; merge it into "
            f"its base first (peft: AutoPeftModelForCausalLM.from_pretrained('{name or folder}').merge_and_unload()"
            ".save_pretrained(DIR), and the base's tokenizer into DIR) and give DIR")


def model_files(folder: Path) -> list[str]:
    """The model files in ``folder`` beside a peft adapter's: ``config.json`` and its weights, where both are there
    (an adapter that ships its base's config.json alone is no model), else []."""
    from transformers.utils import (
        SAFE_WEIGHTS_INDEX_NAME,
        SAFE_WEIGHTS_NAME,
        WEIGHTS_INDEX_NAME,
        WEIGHTS_NAME,
    )

    weights = [f for f in (SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME, WEIGHTS_NAME, WEIGHTS_INDEX_NAME)
               if (folder / f).is_file()]
    return ["config.json", *weights] if weights and (folder / "config.json").is_file() else []


def _model_and_adapter_note(folder: Path, key: str, held: list[str], shown: Path | str) -> str:
    """Why ``folder``, a model (``held``: its files) with a peft adapter's ``adapter_config.json`` beside it, cannot
    be ``key``: transformers reads adapter_config.json first and, without the adapter's weights, cannot load the
    folder (a merge's leftover, told 'merge it into its base first' before); with them it puts the adapter on the
    model, which rsvlm refuses as any adapter. ``shown``: the folder as named (a hub name and its cached folder)."""
    fix = (f"move {folder / 'adapter_config.json'} out of it" if shown == folder else  # not in the hub cache's
           "copy its files but adapter_config.json into a folder and give that")
    weights = [f for f in ("adapter_model.safetensors", "adapter_model.bin") if (folder / f).is_file()]
    said = f"{key}: {shown} holds a model ({', '.join(held)}) and a peft adapter's adapter_config.json"
    if not weights:
        return (f"{said} without the adapter's weights (left there by a merge?): transformers reads adapter_config.json "
                f"first and looks for adapter_model.safetensors, so the folder cannot be loaded as it is; if the folder "
                f"is the model, {fix}")
    return (f"{said} and {', '.join(weights)}: transformers would put that adapter on the model, and a model built on "
            f"an adapter saves the adapter alone as its LLM; to use the model alone, {fix}; to use "
            "the adapter, merge it into this model with peft (merge_and_unload) and give the merged folder")
