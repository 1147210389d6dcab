"""Which setting named the LLM a checkpoint loads (its config.yaml, or a load override), and a full checkpoint's
own LLM (``llm/``) against another one named instead (``own_llm_problem``).

A full save of a LoRA model keeps its base in ``llm/`` with rsvlm's token rows added (``llm.base_vocab``
recorded), so the base itself has another fingerprint; pointed back at that base it is loaded all the same where
the base builds exactly ``llm/``'s tensors (``differing_tensor``, after the build: the rows are drawn, seeded, as
at training), and refused otherwise. Limits: that proof reads ``llm/``'s weights once more; a base that is
another model (another config.json than ``llm/``'s but for ``vocab_size``) is refused before any build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from rsvlm.model.base_print import fingerprint
from rsvlm.model.llm_files import weight_files

_NOT_MODEL = ("vocab_size", "dtype", "torch_dtype", "transformers_version", "_name_or_path")  # config.json keys


def overriding(key: str, overrides: list[str]) -> str | None:
    """The last of ``overrides`` (``key=value``) that set dotted ``key`` or a mapping holding it (``llm={…}``), else
    None: the checkpoint's config.yaml set it."""
    from rsvlm.overrides import split_override

    path = key.split(".")
    return next((o for o in reversed(overrides) if path[:len(at := split_override(o)[0])] == at), None)


def unused_llm_config(overrides: list[str], name: str) -> str | None:
    """A note naming the ``llm.config`` and ``llm.loc_init`` overrides (``llm.config.hidden_size=8``, a typo alike)
    that a checkpoint's load does not use, as its LLM comes from the folder ``name`` (whose config.json and weights
    it keeps), else None. Was: ignored without a word. Cannot tell a typo from a real field: none of them is read.
    ``llm.config=null`` or ``{}`` (written beside ``llm.name_or_path=BASE``) asks for no config: not named;
    ``llm={config: {…}}`` (the whole section as a mapping) is named as ``llm.config.…=`` is."""
    unused = [said for o in overrides if (said := _unused_said(o))]
    if not unused:
        return None
    return (f"override{'s' if len(unused) > 1 else ''} {', '.join(unused)} not used: the LLM is loaded "
            f"from {name}, whose config.json sets its model and whose weights it keeps (llm.config and llm.loc_init "
            f"build a random LLM only where llm.name_or_path names none); drop {'them' if len(unused) > 1 else 'it'}")


def _unused_said(override: str) -> str | None:
    """How ``override`` is named where it sets ``llm.config`` (to more than null or ``{}``) or ``llm.loc_init``:
    by its dotted key, ``'llm.config.x=1'``, or inside a mapping given for ``llm`` (was: ``llm={config: {…}}``
    unsaid), by the keys not used, ``llm.config in 'llm={…}'`` (its other keys are used); else None."""
    from rsvlm.overrides import parse_override

    path, value = parse_override(override)
    if path == ["llm"] and isinstance(value, dict):
        keys = _mapping_unused(value)
        return f"{' and '.join(keys)} in {override!r}" if keys else None
    if path[:2] == ["llm", "loc_init"] or path[:2] == ["llm", "config"] and not (len(path) == 2 and value in (None, {})):
        return repr(override)
    return None


def _mapping_unused(value: dict) -> list[str]:
    """The keys of a mapping given for ``llm`` that a checkpoint's load does not use: ``llm.config`` (but null or
    ``{}``), ``llm.loc_init``."""
    return [f"llm.{k}" for k in ("config", "loc_init") if k in value and (k == "loc_init" or value[k] not in (None, {}))]


def no_llm_named(config_yaml: Path, saved_name: str | None, overrides: list[str], own: Path | None,
                 cut: str = "") -> str:
    """Why a checkpoint's config (``config_yaml``, naming ``saved_name``) with ``overrides`` names no LLM: an
    override that set ``llm.name_or_path`` to nothing, often a mapping for the whole ``llm`` section (``llm={config:
    {hidden_size: 64}}``), which replaces the file's, is blamed (was: the config.yaml, which names one); ``own``
    is the checkpoint's ``llm/`` folder where it has one, ``cut`` what to say of a file with no llm section."""
    if not saved_name or (o := overriding("llm.name_or_path", overrides)) is None:
        said = f"; this checkpoint's own LLM is {own}: llm.name_or_path: llm" if own else ""
        return f"{config_yaml}: names no LLM (llm.name_or_path){cut}{said}"
    from rsvlm.overrides import parse_override

    path, value = parse_override(o)
    if path != ["llm"] or not isinstance(value, dict):
        return f"override {o!r}: names no LLM (llm.name_or_path), where {config_yaml} names {saved_name}; drop it"
    keys = _mapping_unused(value)  # only those given: was 'its llm.config and llm.loc_init' for either alone
    unused = (f"; its {' and '.join(keys)} would not be used anyway: the LLM is loaded from {saved_name}, whose "
              "config.json sets its model") if keys else ""
    if "name_or_path" in value:  # {name_or_path: null}: was told its llm.name_or_path went with the section
        return (f"override {o!r}: sets llm.name_or_path to nothing, where {config_yaml} names {saved_name}; drop "
                f"it, and give any other key one by one (llm.KEY=VALUE): a mapping for llm replaces the whole llm "
                f"section{unused}")
    return (f"override {o!r}: names no LLM (llm.name_or_path): a mapping for llm replaces the whole llm section of "
            f"{config_yaml}, its llm.name_or_path ({saved_name}) with it; give the keys one by one (llm.KEY=VALUE)"
            f"{unused}")


def blamed(key: str, overrides: list[str], config_yaml: Path) -> str:
    """What set ``key``, to begin an error with as config errors do: ``override 'K=V'`` or the config.yaml."""
    return f"override {o!r}" if (o := overriding(key, overrides)) else str(config_yaml)


@dataclass
class OwnLLM:
    """Checkpoint ``root``'s own LLM against ``name`` (files in ``folder``), named by ``said_by`` (an override, or
    None: its config.yaml). ``lora_save``: a full save of a LoRA model named back at its base, which loads when the
    base builds ``llm/``'s tensors (``differing_tensor``) and is refused otherwise."""

    root: Path
    name: str
    mine: str
    theirs: str
    said_by: str | None
    lora_save: bool

    def refusal(self, differs: str | None = None) -> str:
        own, config_yaml = self.root / "llm", self.root / "config.yaml"
        said = f"the override {self.said_by!r}" if self.said_by else "its config.yaml"
        fix = f"drop the override {self.said_by!r}" if self.said_by else f"set llm.name_or_path: llm in {config_yaml}"
        why = (f" (a full save of a LoRA model: {own} holds {self.name} with rsvlm's token rows added, but {self.name} "
               f"builds other values: {differs})") if differs else ""
        return (f"{self.root}: holds its own LLM ({own}, fingerprint {self.mine}) but {said} names the LLM {self.name} "
                f"(fingerprint {self.theirs}), other weights{why}: the checkpoint's LLM would go unused and its vision "
                f"side answer through an LLM it was not trained with; {fix}, or, to use {self.name} all the same, "
                f"remove {own} (load_pretrained(..., any_base=True) and rsvlm merge-lora --force load it as it is, "
                "with this warning)")


def own_llm_problem(root: Path, name: str, folder: Path, said_by: str | None, base_vocab: int | None) -> OwnLLM | None:
    """An ``OwnLLM`` where checkpoint ``root`` holds ``llm/`` and ``name`` (files in ``folder``) holds other weights
    (another fingerprint), else None. ``base_vocab``: config.yaml's ``llm.base_vocab`` (None: saved before stop 75,
    whose rows no build can redraw)."""
    own = Path(root) / "llm"
    if not own.is_dir() or Path(folder).resolve() == own.resolve():
        return None
    mine, theirs = fingerprint(own, ends=True), fingerprint(Path(folder), ends=True)  # every tensor's ends
    if mine is None or theirs is None or mine == theirs:
        return None
    lora_save = (Path(root) / "adapter").is_dir() and base_vocab is not None and _same_model(own, Path(folder))
    return OwnLLM(Path(root), name, mine, theirs, said_by, lora_save)


def _same_model(own: Path, folder: Path) -> bool:
    """Whether the two LLM folders' config.json agree but for the vocabulary's size (and dtype, version)."""
    try:
        a, b = (json.loads((f / "config.json").read_text()) for f in (own, folder))
    except (OSError, ValueError):
        return False
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    return {k: v for k, v in a.items() if k not in _NOT_MODEL} == {k: v for k, v in b.items() if k not in _NOT_MODEL}


@torch.no_grad()
def differing_tensor(llm, own: Path, drawn_from: int | None = None) -> str | None:
    """The first tensor of ``own``'s weight files (an LLM folder) that the built ``llm`` does not hold bit for bit
    (in the dtype it was built in, as loading ``own`` would cast it, or rounded to a narrower one ``own`` stores:
    ``same_values``), or that it builds and ``own`` lacks (a tied head, the embeddings' own storage, is no such),
    named with why; None where all are equal. The token rows from ``drawn_from`` (``llm.base_vocab``) on of a table
    of the vocabulary's rows are compared as ``drawn_alike``."""
    from rsvlm.model.weights import open_safetensors

    built, seen = llm.state_dict(), set()
    vocab = llm.get_input_embeddings().weight.shape[0]
    for file in weight_files(own):
        with open_safetensors(own / file) as h:
            for k in h.keys():
                if k not in built:
                    return f"{k} is not in it"
                t, b = h.get_tensor(k), built[k]
                if t.is_floating_point() != b.is_floating_point():  # loaded 4/8-bit: no values to compare
                    return f"{k} is built as {b.dtype} (quantised), {t.dtype} in {own / file}, not comparable"
                if t.shape != b.shape:
                    return f"{k} is {tuple(b.shape)}, {tuple(t.shape)} in {own / file}"
                b = b.detach().cpu()
                if drawn_from is not None and t.dim() == 2 and len(t) == vocab and 0 < drawn_from < vocab:
                    same = same_values(t[:drawn_from], b[:drawn_from]) and drawn_alike(t, b, drawn_from)
                else:
                    same = same_values(t, b)
                if not same:
                    return f"{k} holds other values than {own / file}"
                seen.add(b.data_ptr())
    left = [k for k, b in built.items() if b.data_ptr() not in seen]
    return f"{left[0]} is not in {own}" if left else None


def same_values(stored: torch.Tensor, built: torch.Tensor) -> bool:
    """Whether ``built`` holds ``stored``'s values: equal in the built dtype, or, built wider than stored (a bf16
    ``llm/`` loaded in float32), equal once rounded to the stored dtype: the token rows a float32 build draws from
    a bf16 base are the bf16 save's before its rounding, so the base is the model saved, not another (was refused).
    Cannot: tell such a build from another base within the stored dtype's rounding (no two trained models are)."""
    if torch.equal(stored.to(built.dtype), built):
        return True
    wider = stored.is_floating_point() and built.is_floating_point() and built.element_size() > stored.element_size()
    return wider and torch.equal(built.to(stored.dtype), stored)


def drawn_alike(stored: torch.Tensor, built: torch.Tensor, base: int) -> bool:
    """Whether the rows from ``base`` on of a (V, D) table, rsvlm's token rows drawn around the mean of the base's
    rows ``[0, base)`` (``llm.init_added_rows``), are ``stored``'s as the build's arithmetic allows: ``same_values``,
    or off by no more than rounding in the narrower dtype (eps) could make them, eps × (half the column's mean |base
    row| + the value). A bf16 build of a float32 base draws them from rounded rows, so its rows were up to a few
    steps off those of a float32 draw saved in bf16 and the model saved was refused (the base rows, compared
    exactly, are what tells another base). Cannot: tell a drawn row moved by less than that (6-10e-5 on
    configs/model/tiny.yaml's rows of ~1e-3, where a bf16 build came within 0.2 of it)."""
    new, built_new = stored[base:], built[base:]
    if same_values(new, built_new):
        return True
    if not (stored.is_floating_point() and built.is_floating_point()):
        return False
    eps = max(torch.finfo(stored.dtype).eps, torch.finfo(built.dtype).eps)
    s = new.float()
    spread = sum(part.float().abs().sum(0) for part in stored[:base].split(16384)) / base  # in parts, as
    tol = eps * (0.5 * spread + s.abs())  # init_added_rows: a float32 copy of a 7B's whole table is 2.2 GB
    return bool(((built_new.float() - s).abs() <= tol).all())
