"""Checkpoint directories: save, load, merge LoRA.

    ckpt/config.yaml          resolved VLMConfig (llm paths relative to ckpt where they point inside)
    ckpt/vision.safetensors   stems, encoders, projectors, a loc pointer if any (everything but the LLM)
    ckpt/llm/                 the LLM in Hugging Face layout (base weights, LoRA not merged)
    ckpt/adapter/             peft LoRA adapter (+ trainable new-token rows) when the LLM has one
    ckpt/tokenizer/           tokenizer with rsvlm's special tokens
    ckpt/README.md            model card

``adapter_only=True`` leaves out ``llm/``; the adapter then names the base model by the path in
``cfg.llm.name_or_path`` (made absolute when it is a local folder), which must exist when loading. Loading reads safetensors/JSON only.
Limits: a 4/8-bit LLM saves adapter-only, and loads in full precision unless ``load_in_4bit`` /
``load_in_8bit`` is given again; encoder LoRA is kept as LoRA weights inside vision.safetensors
(``merge_lora`` folds it in).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shutil
import sys
import warnings
from pathlib import Path

import torch

from rsvlm.config import ConfigError, from_dict, load_yaml, save_config
from rsvlm.model.processor import Processor
from rsvlm.model.vision import shape_mismatches
from rsvlm.model.vlm import RSVLM, VLMConfig

_PEFT_KEY = re.compile(r"(lora_[A-Za-z_]+|trainable_tokens_delta)\.")


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
        if _PEFT_KEY.search(k + "."):
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
    out.mkdir(parents=True, exist_ok=True)
    cfg = model.cfg
    peft = _is_peft(model.llm)
    if adapter_only and not peft:
        raise ValueError("adapter_only save needs a LoRA LLM (trainable.llm: lora)")
    if adapter_only and not cfg.llm.name_or_path:
        raise ValueError("adapter_only save needs llm.name_or_path (a base on disk); this LLM was built "
                         "from llm.config — save the full checkpoint instead")
    if not adapter_only and (cfg.llm.load_in_4bit or cfg.llm.load_in_8bit):
        raise ValueError("a 4/8-bit LLM is saved adapter_only (its base is re-quantised on load)")
    save_file(vision_state_dict(model), str(out / "vision.safetensors"))
    model.tokenizer.save_pretrained(out / "tokenizer")
    llm_cfg = dataclasses.replace(cfg.llm, tokenizer="tokenizer", load_in_4bit=False, load_in_8bit=False)
    if not adapter_only:
        base = model.llm.get_base_model() if peft else model.llm
        from rsvlm.model.llm import bars_after, deepspeed_cpu_note_quietly

        # "Writing model shards: 100%|...| 1/1" at every checkpoint of a training run
        with bars_after(2.0), deepspeed_cpu_note_quietly():
            base.save_pretrained(out / "llm", state_dict=base_llm_state_dict(model.llm))
        llm_cfg = dataclasses.replace(llm_cfg, name_or_path="llm", config=None)
    elif Path(cfg.llm.name_or_path).exists():  # a base given relative to the working directory: kept absolute
        llm_cfg = dataclasses.replace(llm_cfg, name_or_path=str(Path(cfg.llm.name_or_path).resolve()))
    if adapter_only and (out / "llm").is_dir() and (out / "llm").resolve() != Path(llm_cfg.name_or_path).resolve():
        shutil.rmtree(out / "llm")  # an older full save's LLM: a second model beside the one config.yaml names
    if peft:
        model.llm.save_pretrained(out / "adapter")
    elif (out / "adapter").is_dir():  # an older save's adapter would be applied on top of these weights
        shutil.rmtree(out / "adapter")
    save_config(dataclasses.replace(cfg, llm=llm_cfg), out / "config.yaml")
    (out / "README.md").write_text(_model_card(cfg, adapter_only))
    return out


def _resolve(path: str | None, root: Path) -> str | None:
    if path and not Path(path).is_absolute() and (root / path).exists():
        return str(root / path)
    return path


def no_checkpoint(root: Path) -> str:
    """Why ``root`` (without a config.yaml) is no checkpoint, and what it looks like instead: a part of one
    (its adapter/, llm/ or tokenizer/), a training run's out_dir or step folder, a bare peft adapter, a
    Hugging Face model."""
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
        return (f"{msg}; it is a Hugging Face model folder: a LLaVA-1.5 / GeoChat one converts with "
                "rsvlm convert-llava (docs/models.md)")
    return msg


def _pickles(folder: Path) -> str:
    """The pickled weight files in ``folder``, named for a message ("" when none)."""
    found = sorted(p.name for ext in ("*.bin", "*.pt", "*.pth", "*.ckpt") for p in folder.glob(ext))
    return f"; it holds {', '.join(found[:3])}, pickled weights, which rsvlm does not load (re-save them with " \
           "safetensors.torch.save_file)" if found else ""


def _check_files(root: Path, llm_cfg) -> None:
    """FileNotFoundError naming the part of checkpoint ``root`` that is missing or is not safetensors,
    before anything is built: vision.safetensors, the local LLM folder's weights, the tokenizer
    folder (a missing one was looked up on the hub), the adapter's weights."""
    if not (root / "vision.safetensors").is_file():
        raise FileNotFoundError(f"{root}: no vision.safetensors (stems, encoders, projector){_pickles(root)}")
    llm_dir = Path(llm_cfg.name_or_path)
    if llm_dir.is_dir():  # without HF's safetensors names transformers reads pytorch_model.bin (a pickle)
        if not any((llm_dir / n).is_file() for n in ("model.safetensors", "model.safetensors.index.json")):
            other = sorted(p.name for p in llm_dir.glob("*.safetensors"))
            named = (f" under a name transformers reads (model.safetensors, model.safetensors.index.json; "
                     f"{other[0]} is neither)") if other else ""
            raise FileNotFoundError(f"{llm_dir}: no *.safetensors LLM weights{named}{_pickles(llm_dir)}")
        if not (llm_dir / "config.json").is_file():  # transformers: 'Unrecognized model in …'
            raise FileNotFoundError(f"{llm_dir}: no config.json (the LLM's Hugging Face config, beside its weights)")
        # shards its index lists that are missing, and cut files: build_llm's check_llm_files names them
    if llm_cfg.tokenizer and not Path(llm_cfg.tokenizer).exists():
        raise FileNotFoundError(f"{root}: tokenizer {llm_cfg.tokenizer!r} not found (a checkpoint keeps it in "
                                f"tokenizer/; point llm.tokenizer in {root / 'config.yaml'} at a tokenizer folder)")
    adapter = root / "adapter"
    if adapter.is_dir():
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            if not (adapter / name).is_file():
                raise FileNotFoundError(f"{adapter}: no {name} (a peft LoRA adapter){_pickles(adapter)}")


def _vocab_rows(llm_dir: Path) -> int | None:
    """The embedding rows an HF model folder's config.json gives its LLM (None where it gives none)."""
    from transformers import AutoConfig

    try:
        return int(AutoConfig.from_pretrained(llm_dir).get_text_config().vocab_size)
    except (OSError, ValueError, TypeError, AttributeError):  # build_llm names an unreadable folder
        return None


def load_pretrained(ckpt_dir: str | Path, device: str | torch.device | None = None,
                    dtype: torch.dtype | None = None, load_in_4bit: bool = False, load_in_8bit: bool = False,
                    overrides: list[str] | None = None) -> tuple[RSVLM, Processor]:
    """Rebuild the model from a checkpoint dir; missing vision keys raise, unexpected ones warn."""
    from rsvlm.config import apply_overrides
    from rsvlm.model.llm import build_llm
    from rsvlm.model.vlm import set_trainable

    root = Path(ckpt_dir)
    if not (root / "config.yaml").is_file():
        raise FileNotFoundError(no_checkpoint(root))
    raw = load_yaml(root / "config.yaml")
    if not raw:  # every key at its default: the message was 'LLM base None not found'
        raise ConfigError(f"{root / 'config.yaml'}: empty, where a checkpoint keeps its model config "
                          "(an interrupted save or copy?)")
    try:  # the file alone first: a data_gen or training config there is not the user's override error
        from_dict(VLMConfig, raw)
    except ConfigError as e:
        raise ConfigError(f"{root}: not an rsvlm checkpoint (its config.yaml is no model config: {e})") from None
    cfg = from_dict(VLMConfig, apply_overrides(raw, list(overrides or []), VLMConfig))
    llm_cfg = dataclasses.replace(cfg.llm, name_or_path=_resolve(cfg.llm.name_or_path, root),
                                  tokenizer=_resolve(cfg.llm.tokenizer, root),
                                  load_in_4bit=load_in_4bit or cfg.llm.load_in_4bit,
                                  load_in_8bit=load_in_8bit or cfg.llm.load_in_8bit)
    if llm_cfg.name_or_path is None or not Path(llm_cfg.name_or_path).exists():
        raise FileNotFoundError(f"{root}: LLM base {cfg.llm.name_or_path!r} not found (no llm/ in the checkpoint); "
                                f"point llm.name_or_path in {root / 'config.yaml'} at the base model's folder")
    _check_files(root, llm_cfg)
    # a full fine-tune loaded 4/8-bit is there to answer: frozen (it was "cannot be trained 'full'")
    mode = "frozen" if (llm_cfg.load_in_4bit or llm_cfg.load_in_8bit) and cfg.trainable.llm == "full" else cfg.trainable.llm
    cfg = dataclasses.replace(cfg, llm=llm_cfg, trainable=dataclasses.replace(cfg.trainable, llm=mode))
    own_llm = Path(llm_cfg.name_or_path).resolve() == (root / "llm").resolve()
    saved_rows = _vocab_rows(root / "llm") if own_llm else None
    llm, tokenizer, special = build_llm(llm_cfg, device, dtype)
    if saved_rows is not None and saved_rows < len(tokenizer):  # build_llm added rows: rsvlm's came out fresh
        raise ValueError(f"{root / 'llm'}: {saved_rows} embedding rows, but {llm_cfg.tokenizer} needs {len(tokenizer)}; this "
                         "llm/ was not saved with this tokenizer (a base model copied in?): rsvlm's tokens would start untrained")
    if (root / "adapter").is_dir():
        from rsvlm.model.llm import _names_unreadable, peft_quietly

        llm.requires_grad_(False)
        # a cut adapter_config.json or adapter_model.safetensors: a KeyError or SafetensorError traceback
        with peft_quietly(), _names_unreadable("adapter", str(root / "adapter"), KeyError, TypeError, ValueError):
            from peft import PeftModel

            llm = PeftModel.from_pretrained(llm, root / "adapter", is_trainable=(mode == "lora"))
    else:
        from rsvlm.model.llm import apply_llm_trainability

        llm = apply_llm_trainability(llm, llm_cfg, mode, special)
    if mode == "full" and _is_peft(llm):
        llm = llm.merge_and_unload()
        llm.requires_grad_(True)
    model = RSVLM(cfg, llm, tokenizer, special)
    set_trainable(model)
    for part in (model.encoders, model.stems, model.projectors):
        part.to(device=device, dtype=dtype)
    state = load_safetensors(root / "vision.safetensors")
    n, odd = shape_mismatches(state, model.state_dict())
    if n:  # torch's RuntimeError named no file and no cause
        raise ValueError(f"{root / 'vision.safetensors'}: {n} tensor(s) of another shape than "
                         f"{root / 'config.yaml'}{' with the overrides given' if overrides else ''} builds: "
                         f"{odd}; the weights and the config are of different models")
    res = model.load_state_dict(state, strict=False)
    missing = [k for k in res.missing_keys if not k.startswith("llm.")]
    if missing:
        raise ValueError(f"{root / 'vision.safetensors'}: missing keys {missing[:10]}"
                         f"{f' (+{len(missing) - 10} more)' if len(missing) > 10 else ''}")
    if res.unexpected_keys:
        warnings.warn(f"{root / 'vision.safetensors'}: unexpected keys ignored: {res.unexpected_keys[:10]}", stacklevel=2)
    return model, model.make_processor()


PROVENANCE = ("train_config.yaml", "training_data.json")  # beside a model: what it was trained on


def merge_lora(src_dir: str | Path, out_dir: str | Path) -> Path:
    """Fold the LLM's adapter and the encoders' LoRA into their weights (each stored in its source's dtype)
    and write them into a new or empty ``out_dir`` outside the source, which a failed or interrupted merge
    leaves as it was; ``PROVENANCE`` files are copied along (``rsvlm.data.overlap`` follows them)."""
    out, src = Path(out_dir), Path(src_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out}: already exists and is not empty; merge into a new folder")
    if src.resolve() in out.resolve().parents:  # a checkpoint inside a checkpoint: every rglob of it sees two
        raise ValueError(f"{out}: inside the checkpoint {src}; merge into a folder outside it")
    # float32, not quantised (a config.yaml saying 4-bit was a RuntimeError): W + B·A exactly, 4-bit on load later
    model, _ = load_pretrained(src, overrides=["trainable.llm=full", "llm.load_in_4bit=false", "llm.load_in_8bit=false"])
    encoder = "frozen" if merge_encoder_lora(model) else model.cfg.trainable.encoder
    model.cfg = dataclasses.replace(model.cfg, trainable=dataclasses.replace(model.cfg.trainable, llm="frozen",
                                                                             encoder=encoder))
    # each tensor back to the dtype its source stored (a bf16 checkpoint was written as float32, twice the size)
    llm_files = sorted(Path(model.cfg.llm.name_or_path).glob("*.safetensors"))
    stored = {**{k.replace(".base_layer.", "."): v for k, v in saved_dtypes([src / "vision.safetensors"]).items()},
              **{f"llm.{k}": v for k, v in saved_dtypes(llm_files).items()}}
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        if (want := stored.get(name)) is not None and t.is_floating_point() and want.is_floating_point:
            t.data = t.data.to(want)
    with undone_on_failure(out):
        save_pretrained(model, out)
        for name in PROVENANCE:
            if (provenance := src / name).is_file():
                shutil.copyfile(provenance, out / name)
    return out


@contextlib.contextmanager
def undone_on_failure(out: Path):
    """Writing a model into a new or empty ``out``: a failure (full disk, Ctrl-C) leaves it as it was."""
    existed = out.exists()
    try:
        yield out
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        if existed:
            out.mkdir()
        raise


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


_SAFETENSORS_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def saved_dtypes(files: list[Path]) -> dict[str, torch.dtype]:
    """The floating dtype each tensor of the safetensors ``files`` is stored in, from the headers only."""
    out = {}
    for f in files:
        with open_safetensors(f) as h:
            out.update({k: _SAFETENSORS_DTYPES[d] for k in h.keys() if (d := h.get_slice(k).get_dtype()) in _SAFETENSORS_DTYPES})
    return out


def average_checkpoints(src_dirs: list[str | Path], out_dir: str | Path,
                        weights: list[float] | None = None) -> Path:
    """Weight-average full checkpoints of one architecture (a model soup): every floating tensor of
    every ``*.safetensors`` file becomes the weighted mean (computed in float32, stored in its own
    dtype); everything else is copied from the first, but for ``PROVENANCE`` (each input's training
    config and data, which differ between fine-tunes): the card names the inputs instead. Only
    meaningful for models fine-tuned from one starting point. Refuses LoRA factors (an adapter/ or
    encoder LoRA: averaging A and B apart is not averaging their product; ``rsvlm merge-lora``
    first), differing configs (naming the settings) or tokenizers, and tensors that differ in name,
    shape or dtype, or (non-floating) in value."""
    from safetensors.torch import save_file
    from tqdm.auto import tqdm

    roots = [Path(d) for d in src_dirs]
    if len(roots) < 2:
        raise ValueError("averaging needs at least two checkpoints")
    w = [1.0 / len(roots)] * len(roots) if weights is None else [float(x) for x in weights]
    if len(w) != len(roots) or any(x < 0 for x in w) or sum(w) <= 0:
        raise ValueError(f"weights {weights}: need one non-negative weight per checkpoint, not all zero")
    w = [x / sum(w) for x in w]
    for r in roots:
        if not (r / "config.yaml").is_file():
            raise FileNotFoundError(f"{r}: not an rsvlm checkpoint (no config.yaml)")
        if (r / "adapter").is_dir():
            raise ValueError(f"{r}: holds an unmerged LoRA adapter; run `rsvlm merge-lora` on it first")

    def files(r: Path) -> dict[str, Path]:  # the model's files: not its card, nor what each was trained on
        return {rel: p for p in sorted(r.rglob("*")) if p.is_file()
                and (rel := str(p.relative_to(r))) not in ("README.md", *PROVENANCE)}

    first = files(roots[0])
    if not any(rel.endswith(".safetensors") for rel in first):
        raise ValueError(f"{roots[0]}: no .safetensors weights to average")
    for r in roots[1:]:
        other = files(r)
        if set(other) != set(first):
            raise ValueError(f"{r}: files differ from {roots[0]}: {sorted(set(other) ^ set(first))[:5]}")
        for rel, p in first.items():
            if not rel.endswith(".safetensors") and p.read_bytes() != other[rel].read_bytes():
                raise ValueError(f"{r / rel} differs from {p}{_config_changes(p, other[rel]) if rel == 'config.yaml' else ''}"
                                 ": only checkpoints of one config and tokenizer can be averaged")
    out = Path(out_dir)
    if out.resolve() in {r.resolve() for r in roots}:
        raise ValueError(f"{out}: the output must not be one of the inputs")
    out.mkdir(parents=True, exist_ok=True)
    for rel, p in first.items():
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not rel.endswith(".safetensors"):
            shutil.copyfile(p, dest)
            continue
        handles = [open_safetensors(r / rel) for r in roots]
        keys = set(handles[0].keys())
        for r, h in zip(roots[1:], handles[1:]):
            if set(h.keys()) != keys:
                raise ValueError(f"{r / rel}: tensor names differ from {p}: {sorted(set(h.keys()) ^ keys)[:5]}")
        if lora := sorted(k for k in keys if _PEFT_KEY.search(k + ".")):  # e.g. encoder LoRA in vision.safetensors
            raise ValueError(f"{p}: holds LoRA factors ({lora[0]}, {len(lora)} in all), and averaging A and B apart "
                             "is not averaging their product; run `rsvlm merge-lora` on each checkpoint first")
        merged = {}
        for k in tqdm(sorted(keys), desc=f"averaging {rel}", unit="tensor", leave=False, disable=None):
            ts = [h.get_tensor(k) for h in handles]
            if any(t.shape != ts[0].shape or t.dtype != ts[0].dtype for t in ts):
                raise ValueError(f"{rel}: tensor {k!r} differs in shape or dtype: " + ", ".join(  # naming whose
                    f"{r / rel} {tuple(t.shape)} {str(t.dtype).removeprefix('torch.')}" for r, t in zip(roots, ts)))
            if ts[0].is_floating_point():
                merged[k] = sum(x * t.float() for x, t in zip(w, ts)).to(ts[0].dtype).contiguous()
            elif all(torch.equal(t, ts[0]) for t in ts):
                merged[k] = ts[0]
            else:
                raise ValueError(f"{rel}: non-floating tensor {k!r} differs between checkpoints")
        save_file(merged, str(dest), metadata=handles[0].metadata())
    card = (roots[0] / "README.md").read_text() if (roots[0] / "README.md").is_file() else ""
    kept = [n for n in PROVENANCE if any((r / n).is_file() for r in roots)]
    (out / "README.md").write_text(card + "\nWeight average of: " + ", ".join(
        f"{r} ({x:.3f})" for r, x in zip(roots, w)) + "\n" + (
        f"\nWhat each was trained on ({', '.join(kept)}) is in its own folder, not copied here.\n" if kept else ""))
    return out


def _config_changes(a: Path, b: Path) -> str:
    """The settings two checkpoints' config.yaml files differ in, for a message (" (key: old → new; …)")."""
    from rsvlm.train.checkpoint import tree_changes

    changes = [str(c) for c in tree_changes(load_yaml(a) or {}, load_yaml(b) or {})]
    return f" ({'; '.join(changes[:3])}{f'; +{len(changes) - 3} more' if len(changes) > 3 else ''})" if changes else ""


def compare_weights(a: str | Path, b: str | Path, progress: bool = False) -> list[dict]:
    """Compare two checkpoints tensor by tensor: two folders (every ``*.safetensors`` under them,
    matched by relative path) or two ``.safetensors`` files. One row per tensor: ``file``, ``name``,
    ``status`` (``same``, ``differs``, ``shape``, ``dtype``, ``only in A`` / ``only in B``) and
    ``max_abs`` (max |a − b| for floating tensors that differ in value or dtype, else 0). Exact:
    no tolerance, because the question it answers is whether two runs trained the same weights.
    Files other than safetensors (configs, tokenizers) are not compared; ``progress`` shows a bar
    over the tensors (a 7B pair reads for minutes). Two folders with no weight file in common (one
    empty, or compared at different levels: ``runs/x`` against ``runs/y/final``) are a ValueError."""
    from tqdm.auto import tqdm

    pa, pb = Path(a), Path(b)
    for p in (pa, pb):
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such checkpoint folder or file")
    if pa.is_file() != pb.is_file():
        raise ValueError(f"{pa} and {pb}: compare two folders or two files, not one of each")

    if pa.is_file():  # two files: compared whatever their names
        fa, fb = {pa.name: pa}, {pa.name: pb}
    else:
        fa, fb = ({str(f.relative_to(p)): f for f in sorted(p.rglob("*.safetensors"))} for p in (pa, pb))
    if not fa and not fb:
        raise ValueError(f"{pa} and {pb}: no .safetensors files in either")
    if not set(fa) & set(fb):
        def some(f):
            return ", ".join(sorted(f)[:3]) + (" …" if len(f) > 3 else "") if f else "none"

        raise ValueError(f"{pa} and {pb}: no .safetensors file in common (A has {some(fa)}; B has {some(fb)}); "
                         "compare folders at the same level, e.g. runs/x/final against runs/y/final")
    rows = []
    total = 0
    for rel in set(fa) | set(fb) if progress else ():  # the bar's length: every header read once more
        with open_safetensors(fa.get(rel) or fb[rel]) as h:
            total += len(h.keys())
    with tqdm(total=total, unit="tensor", desc="compare", disable=not progress) as bar:  # closed on an error too
        _compare_files(fa, fb, rows, bar)
    return rows


def _compare_files(fa: dict[str, Path], fb: dict[str, Path], rows: list[dict], bar) -> None:
    """``compare_weights``' rows for the files of A (``fa``) and B (``fb``) by relative path."""
    for rel in sorted(set(fa) | set(fb)):
        if rel not in fb or rel not in fa:
            side, p = ("A", fa[rel]) if rel in fa else ("B", fb[rel])
            with open_safetensors(p) as h:
                rows += [{"file": rel, "name": k, "status": f"only in {side}", "max_abs": 0.0} for k in sorted(h.keys())]
            continue
        with open_safetensors(fa[rel]) as ha, open_safetensors(fb[rel]) as hb:
            ka, kb = set(ha.keys()), set(hb.keys())
            for k in sorted(ka | kb):
                if k not in kb or k not in ka:
                    rows.append({"file": rel, "name": k, "status": "only in " + ("A" if k in ka else "B"), "max_abs": 0.0})
                    continue
                x, y = ha.get_tensor(k), hb.get_tensor(k)
                if x.shape != y.shape:
                    status, diff = "shape", 0.0
                elif x.dtype == y.dtype and torch.equal(x, y):
                    status, diff = "same", 0.0
                else:  # other values, or another dtype (a bf16 copy of float32 weights): how far they moved
                    status = "differs" if x.dtype == y.dtype else "dtype"
                    floating = x.is_floating_point() and y.is_floating_point()
                    diff = (x.double() - y.double()).abs().max().item() if floating and x.numel() else 0.0
                rows.append({"file": rel, "name": k, "status": status, "max_abs": diff})
                bar.update()


def load_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """``safetensors.torch.load_file`` whose failure on a truncated or foreign file names it (ValueError)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except SafetensorError as e:  # truncated by a full disk or an interrupted copy
        raise ValueError(f"{path}: not a readable safetensors file ({e})") from e


def open_safetensors(path: Path):
    """``safetensors.safe_open`` whose failure on a truncated or foreign file names it (ValueError)."""
    from safetensors import SafetensorError, safe_open

    try:
        return safe_open(str(path), framework="pt")
    except SafetensorError as e:
        raise ValueError(f"{path}: not a readable safetensors file ({e})") from e
