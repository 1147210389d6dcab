"""The words ``rsvlm.config`` adds to its refusals: the valid key an unknown one is near, what PyYAML's errors
mean (a tab, its caret block on one line), the config file a folder given as one holds."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path


def near_keys(valid: Iterable[str], sections: set[str], unknown: list, prefix: str) -> str:
    """The valid keys the ``unknown`` ones are near spellings of (``max_step`` for ``max_steps``), as the end of
    the unknown-key message: " (did you mean max_steps?)"; "" where none is near. ``valid``: the keys at that
    level, ``sections`` those of them that are sections (``optim``)."""
    valid = list(valid)
    near = {k: c for k in unknown if (c := near_key(str(k), valid, sections))
            and str(k).split(":", 1)[0] not in valid}  # max_steps:3 is told of the space after the colon
    if not near:
        return ""
    if len(unknown) == 1:
        return f" (did you mean {prefix}{next(iter(near.values()))}?)"
    return f" (did you mean {', '.join(f'{prefix}{c} for {prefix}{k}' for k, c in near.items())}?)"


# what other trainers (HF Trainer, PEFT) call a key of ours at the same level
SYNONYMS = {"learning_rate": "lr", "lora_rank": "lora_r", "gradient_accumulation_steps": "grad_accum",
            "per_device_train_batch_size": "batch_size", "train_batch_size": "batch_size"}


class _AnyKey(list):
    """The keys of a mapping (``data.task_weights``): any name is one of them, none is offered for a slip."""

    def __contains__(self, key) -> bool:
        return True


ANY_KEY = _AnyKey()


def near_path(path: list[str], keys_at: Callable[[list[str]], tuple[list[str], set[str]] | None],
              drop: bool = True) -> list[str] | None:
    """The one valid dotted key an override's ``path`` (a part of it no key at its level) is one slip from: that
    part misspelt or named as another trainer names it (``near_key``: optim.lrr, optim.learning_rate), a section
    left out (lr, model.lora_r, learning_rate), or a level too many (train.lr, training.max_steps). The likelier
    slip first; None where none fits, or several do alike. ``keys_at(prefix)``: the keys at ``prefix`` and the
    sections among them; None where ``prefix`` is no section. ``drop``: a level too many is looked for."""
    def valid(p: list[str]) -> bool:
        return all((at := keys_at(p[:j])) is not None and p[j] in at[0] for j in range(len(p)))

    i = next((j for j in range(len(path)) if not valid(path[: j + 1])), None)
    if i is None or keys_at(path[:i]) is None:
        return None
    head, part, tail = path[:i], path[i], path[i + 1 :]
    keys, sections = keys_at(head)
    below = {s: keys_at([*head, s]) for s in sorted(sections)}
    tiers = [[[*head, near_key(part, keys, sections) or part, *tail]],
             [[*head, s, part, *tail] for s in below],
             [[*head, s, near_key(part, *at) or part, *tail] for s, at in below.items()],
             [[*head, *tail]] if tail and drop else []]
    for tier in tiers:
        if len(fits := {tuple(t) for t in tier if valid(t)}) == 1:
            return list(fits.pop())
        if fits:
            return None
    return near_path([*head, *tail], keys_at, drop=False) if tail and drop else None  # train.learning_rate


def near_key(key: str, valid: list[str], sections: set[str] = frozenset()) -> str | None:
    """The one key of ``valid`` that ``key`` is a misspelling (``max_step``, ``lrr``, ``output_dir``) or a
    shortening or lengthening (``warmup``, ``train_file``, ``grad_accumulation``; a section's name only as one
    word, ``optimizer``: ``model_name`` is no key of model:) of; None where none is, or several are. A looser
    likeness named keys of another meaning (``save_steps`` max_steps, ``logging_steps`` slow_step_s or log)."""
    if SYNONYMS.get(key) in valid:
        return SYNONYMS[key]
    if close := difflib.get_close_matches(key, valid, n=1, cutoff=0.8):
        return close[0]

    def extends(long: str, short: str, section: bool) -> bool:
        if not long.startswith(short) or len(short) < 3:
            return False
        rest = long[len(short):]  # a section's name spelt longer (optimizer, logging), not a key in it (model_name)
        return "_" not in rest if section else len(short) >= 6 or rest.startswith("_")  # logging_steps: no log

    affix = [v for v in valid if v != key and (extends(v, key, v in sections) or extends(key, v, v in sections))]
    return affix[0] if len(affix) == 1 else None


def yaml_problem(e: Exception, at_mark: bool = True) -> str:
    """PyYAML's error on one line: what it expected (and where), without its caret block."""
    problem = getattr(e, "problem", None)
    if not problem:
        return " ".join(str(e).split())
    mark, context = getattr(e, "problem_mark", None), getattr(e, "context", None)
    at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark and at_mark else ""
    return f"{problem}{at}" + (f", {context}" if context else "")


def tab_hint(e: Exception) -> str:
    """For PyYAML's "found character '\\t' that cannot start any token": what to write instead. A tab that
    indents a line is told YAML indents with spaces; one after a colon, before a comment or inside a value
    that is not quoted (``out_dir: a<TAB>b``: no indentation) that PyYAML takes none there ("a<TAB>b" is a value)."""
    if "'\\t'" not in str(getattr(e, "problem", "")):
        return ""
    mark = getattr(e, "problem_mark", None)
    text = getattr(mark, "buffer", None)
    if not isinstance(text, str) or not text[text.rfind("\n", 0, mark.pointer) + 1 : mark.pointer].strip(" \t"):
        return "; YAML indents with spaces, not tabs"
    return "; PyYAML takes no tab there, outside quotes: write a space (or quote the value that holds it)"


def held_config(folder: Path) -> str:
    """", such as FOLDER/train_config.yaml" for a run's out_dir or a model folder given as a config file; ""."""
    held = next((folder / n for n in ("train_config.yaml", "config.yaml") if (folder / n).is_file()), None)
    return f", such as {held}" if held else ""
