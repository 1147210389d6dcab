"""The language model: any Hugging Face causal LM, by local path or built at random from a config dict.

``build_llm`` loads (or builds) the model and tokenizer, adds rsvlm's special tokens and resizes the
embeddings; ``apply_llm_trainability`` makes it frozen, fully trainable or LoRA-adapted (peft), with
the new token rows (``<loc_N>``, tags) trainable under LoRA through peft's ``trainable_token_indices``.
4-bit (NF4) and 8-bit loading go through bitsandbytes; ``lm_head`` stays unquantised, and in a 4-bit
load on a CPU so does every Linear whose out_features is not a multiple of 32 or in_features not one
of 64 (its CPU kernel cannot take them), with a warning that counts them.

Limits: quantised loading needs a saved model (``name_or_path``), not a config dict; a quantised
LLM cannot be trained "full". No ``trust_remote_code``: only architectures transformers ships.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from rsvlm.model.llm_files import (
    HFConfigError,
    check_config_keys,
    check_model_type,
    check_saved_shapes,
    home_expanded,
    lacking_note,
    local_folder,
    mismatch_note,
    names_unreadable,
    read_tokenizer,
)
from rsvlm.model.quiet import bars_after, bitsandbytes_quietly, load_report_held, logger_quiet, peft_quietly
from rsvlm.progress import counted
from rsvlm.tokens import SpecialTokenIds, add_special_tokens, base_vocab_end

TRAINABILITY = ("frozen", "lora", "full")
LOC_INITS = ("random", "sincos")  # LLMConfig.loc_init


@dataclass
class LLMConfig:
    name_or_path: str | None = None  # local HF model dir (or hub name when online, outside tests)
    config: dict[str, Any] | None = None  # {"model_type": "llama", ...}: random weights, for tests
    tokenizer: str | None = None  # tokenizer dir; None → name_or_path, or a byte-level one with `config`
    pad_vocab_multiple: int = 1  # embedding rows rounded up to a multiple (64: GPU matmuls keep fast kernels)
    chat_template: str | None = None  # key of templates.TEMPLATES; None → the tokenizer's own, else "rsvlm"
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    # with LoRA, also train the added tokens' embedding (and untied head) rows; turn off only for a stage
    # after they have been trained (off, a fresh base's <loc_N> rows stay as initialised)
    lora_token_rows: bool = True
    target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    load_in_4bit: bool = False
    load_in_8bit: bool = False
    seed: int = 0  # for random init from `config`
    loc_init: str = "random"  # one of LOC_INITS; "sincos": <loc_N> rows of a config-built LLM start as sin-cos of N
    # the base tokenizer's length before rsvlm first added its tokens (recorded by create_model; None where the
    # tokenizer had them already, or in a checkpoint saved before stop 75): rows of the ids added from it on start
    # from the base's rows below it (``init_added_rows``), at the first build and at every adapter-only load alike
    base_vocab: int | None = None


class BaseVocabError(ValueError):
    """``llm.base_vocab`` out of the tokenizer's range, raised by ``build_llm``, which knows no file: its callers
    (``checkpoint.load_pretrained``, ``rsvlm train``) catch it by type and name the file or override that set it."""


def byte_tokenizer(size: int = 0):
    """A byte-level BPE tokenizer with no merges (256 byte tokens + <unk> <s> </s> <pad>).

    Needs no files, so tests and config-built models run offline; it is slow at language (one
    token per byte) and meant for tiny test models only. ``size`` pads the vocabulary with entries
    no text produces, so a benchmark's embeddings and LM head get a real LLM's row count.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    specials = ["<unk>", "<s>", "</s>", "<pad>"]
    vocab = {t: i for i, t in enumerate(specials + alphabet)}
    vocab.update({f"<unused_{i}>": i for i in range(len(vocab), size)})
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>",
                                   eos_token="</s>", pad_token="<pad>")


def _compute_dtype(dtype: torch.dtype | None = None) -> torch.dtype:
    """A 4-bit layer's matmul dtype: ``dtype``, that of the parts left unquantised (``--dtype``; its output
    is cast to its input's dtype anyway); without one, bf16 on GPUs that have it, else fp32."""
    if dtype is not None:  # was always bf16 on such a GPU: --dtype float16/float32 changed only the rest
        return dtype
    return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32


def _quant_config(cfg: LLMConfig, skip: list[str], dtype: torch.dtype | None = None):
    from transformers import BitsAndBytesConfig

    if cfg.load_in_4bit and cfg.load_in_8bit:
        raise ValueError("llm.load_in_4bit and llm.load_in_8bit are exclusive")
    if cfg.load_in_4bit:
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                  bnb_4bit_compute_dtype=_compute_dtype(dtype), llm_int8_skip_modules=skip)
    return BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=skip)


def check_bitsandbytes(cfg: LLMConfig) -> None:
    """A 4/8-bit load without bitsandbytes (a plain install: it comes with the ``train`` extra), one older than
    transformers takes, or one that fails to import, is a ValueError saying so; was transformers' ImportError, a
    traceback."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.version import Version
    from transformers.utils import import_utils

    if import_utils.is_bitsandbytes_available():
        return
    need = str(getattr(import_utils, "BITSANDBYTES_MIN_VERSION", "0"))
    try:
        have = version("bitsandbytes")
    except PackageNotFoundError:
        have = None
    bits = 4 if cfg.load_in_4bit else 8
    why = ("bitsandbytes is not installed" if have is None else f"bitsandbytes {have} is installed" if
           Version(have) < Version(need) else f"bitsandbytes {have} fails to import (python -c 'import bitsandbytes')")
    raise ValueError(f"llm.load_in_{bits}bit (--load-{bits}bit): quantising needs bitsandbytes >= {need}, and {why}: "
                     f"pip install -U 'bitsandbytes>={need}', or load without --load-{bits}bit")


def unquantisable(path: str, cpu: bool = True, model: nn.Module | None = None) -> tuple[list[str], str | None]:
    """(modules left out of a 4-bit load, a warning or None): lm_head, and on a CPU every Linear
    bitsandbytes' 4-bit CPU kernel cannot take (built on meta, no weights): it packs weights in
    blocks of 32 output rows and 64 input columns, and its first no-grad forward fails otherwise
    ("N must be divisible by block_n", "shape '[96, 1]' is invalid"). 8-bit takes any size.
    ``model``: that LLM already built on meta, else built here."""
    from transformers import AutoConfig, AutoModelForCausalLM

    if model is None:
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(path))
    linear = {n: m for n, m in model.named_modules() if isinstance(m, nn.Linear) and n != "lm_head"}
    odd = {n: m for n, m in linear.items() if m.out_features % 32 or m.in_features % 64} if cpu else {}
    if not odd:
        return ["lm_head"], None
    kinds = sorted({f"{n.rsplit('.', 1)[-1]} ({m.in_features}->{m.out_features})" for n, m in odd.items()})
    note = (f"{len(odd)} of {len(linear)} linear layers stay unquantised"
            f"{' (nothing is quantised)' if len(odd) == len(linear) else ''}: on a CPU bitsandbytes' 4-bit "
            f"kernel needs out_features a multiple of 32 and in_features a multiple of 64, and "
            f"{', '.join(kinds[:6])}{' …' if len(kinds) > 6 else ''} are not")
    return ["lm_head", *odd], note


def llm_tokenizer(cfg: LLMConfig):
    """The tokenizer of ``cfg`` as loaded, before rsvlm's tokens are added: ``tokenizer`` or ``name_or_path``
    (a leading ``~`` expanded), else the byte tokenizer; a file it cannot read, or a tokenizer with no vocabulary,
    is a ValueError naming it (``read_tokenizer``)."""
    tok_path = home_expanded(cfg.tokenizer or cfg.name_or_path)
    if not tok_path:
        return byte_tokenizer()
    return read_tokenizer(tok_path, "llm.tokenizer")


def build_llm(cfg: LLMConfig, device: str | torch.device | None = None, dtype: torch.dtype | None = None,
              bar_delay_s: float = 2.0, shapes: nn.Module | None = None, scans: dict | None = None
              ) -> tuple[nn.Module, Any, SpecialTokenIds]:
    """(causal LM, tokenizer with rsvlm tokens, their ids); embeddings resized to the tokenizer.
    A load from disk shows transformers' progress bar only once it has taken ``bar_delay_s``.
    ``shapes``: this LLM already built on meta (``checks.meta_llm``), used (and changed) by a meta
    build and a 4-bit load's plan instead of building it again. ``scans``: ``llm_files.scanned``'s, per build."""
    from transformers import AutoConfig, AutoModelForCausalLM

    if cfg.loc_init not in LOC_INITS:  # before the load: it was found only once the model was built
        raise ValueError(f"llm.loc_init must be {' or '.join(map(repr, LOC_INITS))}, got {cfg.loc_init!r}")
    if cfg.pad_vocab_multiple < 1:
        raise ValueError(f"llm.pad_vocab_multiple must be >= 1, got {cfg.pad_vocab_multiple}")
    quant = cfg.load_in_4bit or cfg.load_in_8bit
    meta = device is not None and torch.device(device).type == "meta"
    from rsvlm.model.checks import check_llm_files  # checks imports this module

    # '~/models/x' passed the checks (a local folder) and transformers refused it: "Repo id must use alphanumeric chars"
    cfg = replace(cfg, name_or_path=home_expanded(cfg.name_or_path), tokenizer=home_expanded(cfg.tokenizer))

    check_llm_files(cfg, weights=not (meta and not quant))
    reuse = meta and shapes is not None
    if cfg.name_or_path and reuse and not quant:
        llm = shapes.to(dtype or torch.float32)
    elif cfg.name_or_path and meta and not quant:  # shapes only: the folder's config, no weights read
        with names_unreadable("llm.name_or_path", cfg.name_or_path), torch.device("meta"):
            llm = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(cfg.name_or_path),
                                                   dtype=dtype or torch.float32)
    elif cfg.name_or_path:
        folder = local_folder(cfg.name_or_path, "llm.name_or_path")
        # a config.json typo: named from the safetensors headers, before any weight is read (an adapter: refused above)
        if folder is not None:
            if shapes is None:
                with names_unreadable("llm.name_or_path", cfg.name_or_path), torch.device("meta"):
                    shapes = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(cfg.name_or_path))
            with names_unreadable("llm.name_or_path", cfg.name_or_path):
                check_saved_shapes(cfg.name_or_path, shapes)
        kwargs: dict[str, Any] = {"dtype": dtype or torch.float32}
        quiet = contextlib.nullcontext()
        if quant:
            check_bitsandbytes(cfg)
            kwargs["device_map"] = str(device or "cpu")
            skip, note = (unquantisable(cfg.name_or_path, torch.device(kwargs["device_map"]).type == "cpu", shapes)
                          if cfg.load_in_4bit else (["lm_head"], None))
            kwargs["quantization_config"] = _quant_config(cfg, skip, dtype)
            if note:
                warnings.warn(f"llm.load_in_4bit: {note}", stacklevel=2)
                quiet = logger_quiet("transformers.integrations.bitsandbytes")  # "using eetq but no linear modules"
        # transformers' load report (a table) is held: shown unless rsvlm's own error below says what is wrong
        with (bars_after(bar_delay_s), names_unreadable("llm.name_or_path", cfg.name_or_path),
              bitsandbytes_quietly(), quiet, load_report_held() as report):
            llm, info = AutoModelForCausalLM.from_pretrained(cfg.name_or_path, output_loading_info=True,
                                                             ignore_mismatched_sizes=True, **kwargs)
        if getattr(llm, "_hf_peft_config_loaded", False):  # a hub adapter not cached, online: transformers took it
            raise ValueError(f"llm.name_or_path: {cfg.name_or_path} is a peft adapter (adapter_config.json), not a "
                             "model: merge it into its base first (peft's merge_and_unload) and give that folder")
        if info.get("mismatched_keys"):  # was transformers' RuntimeError traceback after its load report
            raise ValueError(mismatch_note(cfg.name_or_path, llm, info["mismatched_keys"]))
        if info["missing_keys"]:  # was: transformers' load report, then a model with parts at random
            raise ValueError(lacking_note(cfg.name_or_path, llm, sorted(info["missing_keys"])))
        if extra := sorted(info.get("unexpected_keys") or ()):  # was that table alone, naming no folder or cause
            report.clear()  # the table's rows are these alone (missing, misshapen: refused above); said below instead
            warnings.warn(f"llm.name_or_path {cfg.name_or_path}: {counted(len(extra), 'tensor')} of its weights that the "
                          f"{type(llm).__name__} its config.json builds has no place for, ignored (first: "
                          f"{', '.join(extra[:3])}{' …' if len(extra) > 3 else ''}): edited, or another model's "
                          "weights?", stacklevel=2)
        report.release()  # anything else in it, should transformers report more
    elif cfg.config:
        if quant:
            raise ValueError("4/8-bit loading needs llm.name_or_path (a saved model), not llm.config")
        conf = dict(cfg.config)
        if "model_type" not in conf:
            raise HFConfigError("llm.config needs a model_type (e.g. 'llama', 'qwen2')", "llm.config")
        model_type = conf.pop("model_type")
        check_model_type(model_type)
        check_config_keys(model_type, conf, scans=scans)
        hf_conf = AutoConfig.for_model(model_type, **conf)
        if reuse:  # meta: no weights, so no seed
            llm = shapes.to(dtype or torch.float32)
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(cfg.seed)
                llm = AutoModelForCausalLM.from_config(hf_conf, dtype=dtype or torch.float32)
    else:
        raise ValueError("llm needs name_or_path or config")
    tok_path = cfg.tokenizer or cfg.name_or_path
    tokenizer = llm_tokenizer(cfg)
    if cfg.name_or_path:  # a tokenizer of another model: its ids past the table would get fresh rows silently
        own = base_vocab_end(tokenizer.get_vocab())
        rows_now = llm.get_input_embeddings().num_embeddings
        if own > rows_now:
            raise ValueError(f"llm.tokenizer {tok_path}: its ids run to {own - 1} but the LLM {cfg.name_or_path} "
                             f"has {rows_now} embedding rows; is it the tokenizer of another model?")
    ids = add_special_tokens(tokenizer)
    base = cfg.base_vocab if cfg.base_vocab is not None else ids.base
    if cfg.base_vocab is not None and not 0 < cfg.base_vocab <= len(tokenizer):
        raise BaseVocabError(f"llm.base_vocab {cfg.base_vocab}: the base's own vocabulary, between 1 and the tokenizer's "
                         f"{len(tokenizer)} entries")
    rows = -(-len(tokenizer) // cfg.pad_vocab_multiple) * cfg.pad_vocab_multiple  # rows past len(tokenizer): no token
    if llm.get_input_embeddings().num_embeddings != rows:
        # pretrained: new rows at the mean of the old ones, so an untrained <loc_N> never outscores
        # the base vocabulary (a converted LLaVA generates exactly as before); random: plain init
        # transformers' note on mean resizing ("To disable this, use mean_resizing=False", twice) is rsvlm's choice;
        # on meta there are no values to average (a saved base's meta build was "Tensor.item() ... meta tensors")
        # (with the base's size known, init_added_rows draws them below: the covariance once, not twice)
        with torch.random.fork_rng(devices=[]), logger_quiet("transformers.modeling_utils"):
            torch.manual_seed(cfg.seed + 1)
            llm.resize_token_embeddings(rows, mean_resizing=bool(cfg.name_or_path) and not meta and base is None)
    if cfg.name_or_path and not meta and base is not None:  # rsvlm's ids on a base's spare rows kept those rows
        init_added_rows(llm, range(base, rows), base, cfg.seed)
    if cfg.loc_init == "sincos" and not cfg.name_or_path:  # only fresh weights; loaded ones are kept
        init_loc_rows(llm, ids.loc_start)
    if device is not None and not quant:
        llm.to(device)
    return llm, tokenizer, ids


def context_length(llm: nn.Module) -> int | None:
    """Tokens the LLM's positions cover: ``max_position_embeddings``, or the original length times a
    RoPE scaling factor where that is more (YaRN, linear, dynamic); None where the config has neither."""
    conf = llm.config.get_text_config()
    n = getattr(conf, "max_position_embeddings", None)
    rope = getattr(conf, "rope_scaling", None) or getattr(conf, "rope_parameters", None) or {}
    scaled = isinstance(rope, dict) and rope.get("rope_type", rope.get("type", "default")) != "default"
    if n and scaled and rope.get("factor"):
        n = max(n, int((rope.get("original_max_position_embeddings") or n) * rope["factor"]))
    return int(n) if n else None


def sincos_code(pos: torch.Tensor, dim: int, n: int) -> torch.Tensor:
    """(P,) positions in [0, n) → (P, dim) sin-cos code (Transformer style), scaled for a range of n."""
    freq = torch.exp(-torch.arange(0, dim, 2, dtype=torch.float32) / dim * torch.log(torch.tensor(4.0 * n)))  # (dim/2,)
    ang = pos.float()[:, None] * freq * (torch.pi / 2)  # (P,dim/2): a quarter turn per unit at the fastest, 1/16 over n at the slowest
    return torch.cat([ang.sin(), ang.cos()], dim=1)[:, :dim]  # (P,dim)


def sincos_rows(n: int, dim: int) -> torch.Tensor:
    """(n, dim) sin-cos code of the positions 0…n-1."""
    return sincos_code(torch.arange(n), dim, n)


@torch.no_grad()
def init_loc_rows(llm: nn.Module, loc_start: int) -> None:
    """Set the 1000 ``<loc_N>`` rows of the input (and untied output) embeddings to a sin-cos code
    of N at the table's scale, so neighbouring bins start close and far bins apart."""
    from rsvlm.tokens import NUM_BINS

    tables = [llm.get_input_embeddings().weight]
    out = llm.get_output_embeddings()
    if out is not None and out.weight.data_ptr() != tables[0].data_ptr():
        tables.append(out.weight)
    for w in tables:  # (V,D)
        code = sincos_rows(NUM_BINS, w.shape[1])  # (1000,D), entries in [-1,1]
        w[loc_start:loc_start + NUM_BINS] = code * w.std() / code.std()


@torch.no_grad()
def init_added_rows(llm: nn.Module, rows: range, base: int, seed: int = 0) -> None:
    """Rows ``rows`` (the ids rsvlm added, and padding rows past them) of the input embeddings and an untied head,
    drawn as transformers' ``resize_token_embeddings(mean_resizing=True)`` draws a resize's new rows: from a normal
    with the mean and 1e-9 times the covariance of the base's own rows ``[0, base)`` (the mean alone where that is
    not positive definite), seeded by ``seed`` (a head's bias: its mean). Rows below ``base`` (a converted LLaVA's
    trained ``<image>``) are kept; the base's spare rows (Qwen2.5's 271 past its tokenizer) are neither averaged in
    nor left as they were. It replaces mean resizing, at its cost (rows x width² multiply-adds a table: an untied
    151,936 x 896 pair took 15-26 s on one shared CPU core, where transformers' took 22-34 s)."""
    tables = [llm.get_input_embeddings().weight]
    out = llm.get_output_embeddings()
    if out is not None and out.weight.data_ptr() != tables[0].data_ptr():
        tables.append(out.weight)
    idx = torch.arange(rows.start, rows.stop)
    gen = torch.Generator().manual_seed(seed + 2)
    for w in tables:  # (V,D)
        old = w[:base]  # in parts: a float32 copy of the whole table at once is 2.2 GB for a 7B
        mean = sum(part.float().sum(0) for part in old.split(16384)) / base  # (D,)
        cov = torch.zeros(w.shape[1], w.shape[1], device=w.device)
        for part in old.split(16384):
            centred = part.float() - mean
            cov += centred.T @ centred
        chol, info = torch.linalg.cholesky_ex(1e-9 * cov / base)
        noise = torch.randn(len(idx), w.shape[1], generator=gen).to(w.device)  # the CPU's: the same on every device
        new = mean + noise @ chol.T if int(info) == 0 else mean.expand(len(idx), -1)
        w[idx.to(w.device)] = new.to(w.dtype)
    if out is not None and getattr(out, "bias", None) is not None:
        out.bias[idx.to(out.bias.device)] = out.bias[:base].float().mean().to(out.bias.dtype)


def _attention_owned(model: nn.Module) -> set[str]:
    """Names of the Linear children of ``nn.MultiheadAttention`` modules (open_clip's ``attn.out_proj``):
    the attention reads their ``weight`` itself and never calls them, so a LoRA on one is never used."""
    return {f"{n}.{c}" if n else c for n, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)
            for c, child in m.named_children() if isinstance(child, nn.Linear)}


def target_matches(names, target: str) -> list[str]:
    """The module names a LoRA target (a name, peft's rule for a list) matches."""
    return [n for n in names if n == target or n.endswith("." + target)]


def check_lora_targets(model: nn.Module, targets: list[str], key: str) -> None:
    """ValueError naming ``key`` when a LoRA target matches no module of ``model`` (peft skips such
    a target without a word while another one matches, and names no config key when none does), or
    matches a Linear that ``nn.MultiheadAttention`` never calls (its LoRA would stay unused)."""
    names = [n for n, _ in model.named_modules()]
    owned = _attention_owned(model)
    hits = {t: target_matches(names, t) for t in targets}
    if dead := [t for t in targets if set(hits[t]) & owned]:
        raise ValueError(f"{key}: {dead} match {sorted(set(hits[dead[0]]) & owned)[0]}, a layer of "
                         "torch's nn.MultiheadAttention, which reads its weight directly and never calls it: "
                         "a LoRA there would never be used (it learns nothing)")
    missing = [t for t in targets if not hits[t]]
    if missing:
        layers = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if n not in owned
                         and (isinstance(m, nn.Linear) or type(m).__name__ == "Conv1D")})
        raise ValueError(f"{key}: {missing} match no module of this {type(model).__name__}; "
                         f"its linear layers are {layers}")


def _token_row_modules(llm: nn.Module) -> list[str]:
    """Full names of the modules ``lora_token_rows`` trains rows of: the input embeddings, and the
    output head where it is not tied to them."""
    full = {m: n for n, m in llm.named_modules()}
    out = [full[llm.get_input_embeddings()]]
    head = llm.get_output_embeddings()
    if head is not None and head in full and not getattr(llm.config.get_text_config(), "tie_word_embeddings", False):
        out.append(full[head])
    return out


def check_token_rows(llm: nn.Module, cfg: LLMConfig, prefix: str = "llm") -> None:
    """ValueError naming ``prefix.target_modules`` and ``prefix.lora_token_rows`` where a LoRA target is a
    module whose new-token rows ``lora_token_rows`` trains (the input embeddings, an untied head): peft
    cannot put both on one module (its TypeError named neither key). A tied head may take a LoRA."""
    if not cfg.lora_token_rows:
        return
    for name in _token_row_modules(llm):
        if hit := [t for t in cfg.target_modules if target_matches([name], t)]:
            raise ValueError(
                f"{prefix}.target_modules {hit} adapts {name}, whose new-token rows (<loc_N>, tags) "
                f"{prefix}.lora_token_rows (true) trains too, and peft cannot do both on one module: leave "
                f"{hit[0]} out of {prefix}.target_modules, or set {prefix}.lora_token_rows=false (the new rows "
                "of the embeddings and head not adapted then stay as initialised)")


def untie_adapted_embeddings(llm: nn.Module) -> bool:
    """Before a peft ``llm``'s adapters are merged: where its config ties the output head to the input
    embeddings and a LoRA adapts either, the head gets its own copy of the shared weight and the
    config says untied, so each LoRA is merged into its own module (merged into the shared tensor,
    one changed the other too). Whether it untied; the merged model then stores the head. A LoRA whose
    every change there is zero (untrained: lora_B at its zero init) changes neither, so the head stays tied
    (it was untied all the same, the merged llm/ a vocabulary x width matrix larger for nothing)."""
    from peft.tuners.lora import LoraLayer

    base = llm.get_base_model()
    text = base.config.get_text_config()
    emb, head = base.get_input_embeddings(), base.get_output_embeddings()
    if head is None or not getattr(text, "tie_word_embeddings", False):
        return False
    loras = [m for part in (emb, head) for m in part.modules() if isinstance(m, LoraLayer)]
    if not any(_lora_changes(m) for m in loras):
        return False
    shared = {p.data_ptr() for p in emb.parameters()}
    for m in head.modules():
        for name, p in list(m.named_parameters(recurse=False)):
            if p.data_ptr() in shared:
                setattr(m, name, nn.Parameter(p.detach().clone(), requires_grad=p.requires_grad))
    for conf in {id(c): c for c in (text, base.config)}.values():
        conf.tie_word_embeddings = False
    if hasattr(base, "get_expanded_tied_weights_keys"):  # transformers 5 saves by this map, made at init
        base.all_tied_weights_keys = base.get_expanded_tied_weights_keys(all_submodels=True)
    return True


def _lora_changes(layer) -> bool:
    """Whether a peft LoRA layer's merge changes its base weight: some adapter's delta is not all zero."""
    names = set(getattr(layer, "lora_A", {})) | set(getattr(layer, "lora_embedding_A", {}))
    with torch.no_grad():
        return any(bool(layer.get_delta_weight(name).any()) for name in names)


def merge_adapters(llm: nn.Module) -> nn.Module:
    """A peft ``llm`` with its LoRA and trainable-token adapters merged into plain modules: peft's
    ``merge_and_unload`` after ``untie_adapted_embeddings``, and a trainable-token wrapper under a LoRA
    layer (a tied head's new-token rows) merged first: peft left it in place, saved under its own
    names, and merged after the LoRA its rows would drop the LoRA's part."""
    from peft.tuners.lora import LoraLayer
    from peft.utils.other import AuxiliaryTrainingWrapper

    untie_adapted_embeddings(llm)
    for m in llm.modules():
        if isinstance(m, LoraLayer) and isinstance(m.base_layer, AuxiliaryTrainingWrapper):
            m.base_layer = m.base_layer.unload_and_optionally_merge_module(merge=True, safe_merge=False,
                                                                           adapter_names=None)
    with warnings.catch_warnings():  # a head left tied: its LoRA's delta is zero, merged it changes nothing,
        # and peft's 'can lead to complications ... untie the embeddings' note (with its code) is not the user's
        warnings.filterwarnings("ignore", message=r"Model with `tie_word_embeddings=True`", category=UserWarning)
        return llm.merge_and_unload()


def apply_llm_trainability(llm: nn.Module, cfg: LLMConfig, mode: str, ids: SpecialTokenIds) -> nn.Module:
    """Freeze, unfreeze, or wrap with LoRA (returns the peft model in that case)."""
    if mode not in TRAINABILITY:
        raise ValueError(f"llm trainability must be one of {TRAINABILITY}, got {mode!r}")
    quant = cfg.load_in_4bit or cfg.load_in_8bit
    if mode == "full":
        if quant:
            raise ValueError("a 4/8-bit LLM cannot be trained 'full'; use 'lora' (QLoRA) or 'frozen'")
        llm.requires_grad_(True)
        return llm
    llm.requires_grad_(False)
    if mode == "frozen":
        return llm
    with bitsandbytes_quietly():
        from peft import LoraConfig, get_peft_model

    token_targets = ({n.rsplit(".", 1)[-1]: list(ids.added) for n in _token_row_modules(llm)}
                     if cfg.lora_token_rows else None)
    if cfg.lora_r < 1:  # peft's "`r` should be a positive integer" named no config key
        raise ValueError(f"llm.lora_r must be >= 1, got {cfg.lora_r}")
    check_lora_targets(llm, list(cfg.target_modules), "llm.target_modules")
    check_token_rows(llm, cfg)
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=list(cfg.target_modules), task_type="CAUSAL_LM",
                      trainable_token_indices=token_targets)
    with peft_quietly():
        return get_peft_model(llm, lora)
