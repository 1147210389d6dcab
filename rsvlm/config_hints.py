"""The words ``rsvlm.config`` adds to its refusals: the valid key an unknown one is near, what PyYAML's errors
mean (a tab, its caret block on one line), the config file a folder given as one holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

from rsvlm.config_values import (  # noqa: F401 (re-exported: rsvlm.config and older imports use them here)
    BOOLS,
    bool_hint,
    is_number,
    list_hint,
    mapping_hint,
    quoted_kind,
    quoted_refusal,
)
from rsvlm.near import near_names
from rsvlm.progress import counted, plural


def near_keys(valid: Iterable[str], sections: set[str], unknown: list, prefix: str,
              far: dict[str, str] | None = None) -> str:
    """The valid keys the ``unknown`` ones are near spellings of (``max_step`` for ``max_steps``), as the end of
    the unknown-key message: " (did you mean max_steps?)"; "" where none is near. ``valid``: the keys at that
    level, ``sections`` those of them that are sections (``optim``). ``far``: the one key elsewhere each names
    (lora_r: model.llm.lora_r), offered where none here is near, and first where it is that very name and the one
    here a misspelling of it (patch_size: model.encoders.NAME.patch_size, not batch_size; ``exact_first``)."""
    valid, far, near = list(valid), far or {}, {}
    for k in unknown:
        if str(k).split(":", 1)[0] in valid:  # max_steps:3 is told of the space after the colon
            continue
        c, n = near_key(str(k), valid, sections), far.get(k)
        if n and (not c or (n.rsplit(".", 1)[-1] == k and only_misspelt(c, str(k)))):
            near[k] = n
        elif c:
            near[k] = f"{prefix}{c}"
    if not near:
        return ""
    if len(unknown) == 1:
        return f" (did you mean {next(iter(near.values()))}?)"
    return f" (did you mean {', '.join(f'{c} for {prefix}{k}' for k, c in near.items())}?)"


def only_misspelt(near: str, key: str) -> bool:
    """Whether ``near``, a valid key near ``key``, is only a misspelling of it (``batch_size`` of ``patch_size``):
    neither ``key`` itself nor it with words added or left out (``words_within``). A key elsewhere named ``key``
    to the letter then goes before it (``near_keys``, ``exact_first``)."""
    return near != key and not words_within(near, key)


def words_within(a: str, b: str) -> bool:
    """Whether one of two keys is the other with words added or left out (``target_modules``,
    ``lora_target_modules``): no misspelling of another key, as ``batch_size`` is of ``patch_size``."""
    short, long = sorted((a.split("_"), b.split("_")), key=len)
    return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))


def exact_first(path: list[str], near: list[str] | None,
                keys_at: Callable[[list[str]], tuple[list[str], set[str]] | None]) -> list[str] | None:
    """``near`` (``near_path``'s hint for an override's ``path``), or, where it is a misspelling of ``path``'s last
    name, the one key elsewhere of that very name (patch_size=16: model.encoders.NAME.patch_size, not batch_size;
    model.llm.lora_target_modules keeps model.llm.target_modules, the same words less one)."""
    if not near or not only_misspelt(near[-1], path[-1]):
        return near
    exact = leaf_near(path[-1:], keys_at)
    return exact if exact and exact[-1] == path[-1] else near


def unknown_refusal(cls_name: str, valid: Iterable[str], sections: dict[str, type], unknown: list[str],
                    prefix: str, far: dict[str, str], instead: dict[str, str] | None = None) -> str:
    """The refusal of ``unknown`` keys at ``prefix`` (keys ``valid``, of them ``sections`` (name: dataclass)),
    ending with where they belong: one section down (``belongs_under``), else, key by key, a near spelling or
    ``far``, the one key elsewhere each names (lora_r: model.llm.lora_r), as ``near_keys`` weighs them;
    ``instead``: keys no config of this kind has, offered no near key, each with what to do in its place
    (``no_eval``'s words, said once), and a key written with its value (``lr:0.5``) the YAML colon hint."""
    instead = instead or {}
    valid, rest = sorted(valid), [k for k in unknown if k not in instead]
    if instead and not rest:  # eval: only keys with a place of their own, said as an override's are
        return no_eval_refusal([prefix + k for k in unknown], cls_name, next(iter(instead.values())))
    hint = (belongs_under(sections, rest, prefix) or near_keys(valid, set(sections), rest, prefix, far)
            if rest else "") + next(iter(instead.values()), "")
    named = ", ".join(prefix + k if k.strip() else repr(prefix + k) for k in unknown)  # "": shown as ''
    return (f"unknown {plural('key', len(unknown))} {named} for {cls_name}; "
            f"valid keys at this level: {', '.join(valid)}{hint}"
            + "".join(colon_hint(k) for k in unknown if k.split(":", 1)[0] in valid)
            + "".join(f"; {prefix + k!r} has a space in its name (in quotes?): write {k.strip()}" for k in unknown
                      if k.strip() != k and k.strip() in valid))  # "seed ": its space unseen in the message


def belongs_under(sections: dict[str, type], unknown: list[str], prefix: str) -> str:
    """Where ``unknown`` keys all belong one level down (the first of ``sections`` whose dataclass has them all),
    as the end of the unknown-key message: a model config given as a training recipe, ``lr:`` written at the top
    of a recipe where ``optim:`` holds it; "" where no one section has them all."""
    name = next((n for n, sub in sorted(sections.items())
                 if set(unknown) <= {f.name for f in dataclasses.fields(sub)}), None)
    if name is None:
        return ""
    many = len(unknown) > 1
    whole = len(unknown) > 2  # a whole section's worth: most likely a file of that section's kind
    return (f" ({'they are keys' if many else 'it is a key'} of {prefix}{name} ({sections[name].__name__}): write "
            f"{'them' if many else 'it'} under {prefix}{name}:"
            + (f", or, for a file of them, {prefix}{name}: {{base: FILE}}" if whole else "") + ")")


# what other trainers (HF Trainer, PEFT) call a key of ours at the same level
SYNONYMS = {"learning_rate": "lr", "lora_rank": "lora_r", "gradient_accumulation_steps": "grad_accum",
            "per_device_train_batch_size": "batch_size", "train_batch_size": "batch_size"}


# what other trainers (HF Trainer, DeepSpeed, LLaVA) call a key of ours elsewhere, by its dotted end as written; the
# one slip hints offered none or one of another meaning (train_micro_batch_size_per_gpu: data.train, steps and
# log.steps: model.stems)
FOREIGN = {"train_micro_batch_size_per_gpu": "batch_size", "micro_batch_size": "batch_size", "steps": "max_steps",
           "save_steps": "ckpt.every", "logging_steps": "log.every",  # HF Trainer's: difflib offered max_steps, log
           "log.steps": "log.every", "log.interval": "log.every", "ckpt.steps": "ckpt.every",
           "ckpt.save_steps": "ckpt.every",
           "ckpt.save_every": "ckpt.every", "ckpt.interval": "ckpt.every", "save_total_limit": "ckpt.keep",
           "dataloader_num_workers": "data.num_workers", "data.workers": "data.num_workers",
           "lr_scheduler_type": "optim.schedule", "model_max_length": "data.max_length", "adam_epsilon": "optim.eps",
           "data_path": "data.train", "data.path": "data.train", "image_folder": "data.root",
           "data.image_folder": "data.root", "data.image_root": "data.root",
           # chat/predict/eval's --dtype, HF's torch_dtype, accelerate's: difflib offered model.projector.type
           "dtype": "precision", "torch_dtype": "precision", "mixed_precision": "precision",
           "model.dtype": "precision", "model.torch_dtype": "precision"}


def precision_flag(key: object, value: object, keys_at: Callable[[list[str]], tuple[list[str], set[str]] | None]) -> str:
    """HF Trainer's (and LLaVA's) ``bf16``/``fp16`` flag ``key``, or ``half`` (no HF Trainer argument, which it was
    said to be: Ultralytics' fp16 flag, torch's ``.half()``), said as our ``precision`` value, as the end of its
    refusal where the config has ``precision``: "" otherwise (no one slip is near: difflib offered nothing)."""
    mode = {"bf16": "bf16", "fp16": "fp16", "half": "fp16"}.get(str(key).lower())
    if not mode or not is_key(["precision"], keys_at):
        return ""
    on = value is True or str(value).strip().lower() in ("true", "yes", "on", "1")
    whose = "HF Trainer's " if str(key).lower() != "half" else ""
    return (f"; {whose}{key}={str(value).lower()}{' (half precision)' * (not whose)} is "
            f"precision={mode if on else 'fp32'} here"
            f"{'' if on else ' (the default)'}")


# words of a key that asks a trainer to evaluate while it trains (HF Trainer's eval_steps, do_eval,
# evaluation_strategy; a data.val or eval: section): rsvlm train has none, and difflib offered max_steps for eval.steps
EVAL_WORDS = {"eval", "evaluate", "evaluation", "val", "valid", "validate", "validation"}


def no_eval(path: list[str], keys_at: Callable[[list[str]], tuple[list[str], set[str]] | None]) -> str:
    """What to do instead where ``path``, a key no training config has, asks for evaluation while it trains (a
    word of ``EVAL_WORDS``), as the end of the refusal; "" otherwise, and for a config that is no training one
    (``keys_at([])``, its top keys, without ``max_steps`` and ``ckpt``)."""
    top = keys_at([])
    if not top or not {"max_steps", "ckpt"} <= set(top[0]) or not any(
            w in EVAL_WORDS for part in path for w in str(part).lower().replace("-", "_").split("_")):
        return ""
    return "; " + NO_EVAL


NO_EVAL = ("rsvlm train does not evaluate while it trains: save step folders with ckpt.every=N, write one as a "
           "model with python scripts/export_step.py OUT_DIR/checkpoints/step_NNNNNN --out DIR and answer a test "
           "set with rsvlm eval --model DIR --data test.jsonl --out predictions.jsonl (docs/eval.md); OUT_DIR/final "
           "is a model as it is")


def in_places(errors: list[tuple[str, tuple[str, ...]]]) -> str:
    """One refusal of unknown keys in several places (``errors``: each place's refusal, and its keys that ask for
    evaluation while it trains): ``no_eval``'s words said once, after the list, naming every such key, where
    more than one place has one (each line said them again)."""
    said, evals = [m for m, _ in errors], [k for _, ks in errors for k in ks]
    tail = ""
    if sum(bool(ks) for _, ks in errors) > 1:
        said, tail = [m.replace("; " + NO_EVAL, "") for m in said], f"\n{', '.join(evals)}: {NO_EVAL}"
    return f"unknown keys in {len(errors)} places:\n  " + "\n  ".join(said) + tail


def no_eval_refusal(keys: list[str], cls_name: str, hint: str) -> str:
    """The refusal of ``keys`` that ask for evaluation while it trains (``hint``: ``no_eval``'s words), one
    wording for a recipe's and an override's: no list of valid keys, none of which evaluates."""
    return f"unknown key{'s' * (len(keys) > 1)} {', '.join(map(repr, keys))} for {cls_name}{hint}"


def near_file(path: Path) -> str:
    """The end of "config file not found" for ``path``: the YAML file beside it whose name it is near
    (``sft_tiny.yml``: ``sft_tiny.yaml``), or that its folder is not there, or is a file (``x.yaml/y.yaml``, the
    first file on its path named); "" otherwise."""
    folder = path.parent
    if not folder.is_dir():
        if file := next((p for p in reversed(path.parents) if p.exists() and not p.is_dir()), None):
            return f" ({file}, on its path, is a file, not a folder)"
        return f" (its folder {folder} is not there)"
    try:  # a folder that cannot be listed (no read permission) has no hint: not a PermissionError for it
        names = sorted(p.name for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    except OSError:
        return ""
    close = near_names(path.name, names, cutoff=0.75)  # SFT_tiny.yaml: sft_tiny.yaml, as written small
    return f"; did you mean {folder / close[0]}?" if close else ""


def colon_hint(where: str) -> str:
    """The end of a refusal of null at ``where`` whose last part holds a colon (``data.band_dropout.sra:0.5``: the
    value's dot was read as a level): YAML needs a space after it; "" otherwise."""
    head, colon, value_text = where.partition(":")
    key = head.rsplit(".", 1)[-1] + colon + value_text
    return f"; YAML needs a space after the colon: {{{key.replace(':', ': ', 1)}}}" if ":" in key else ""


def null_refusal(where: str, tp, kept: list[str] | None = None) -> str:
    """The refusal of null at ``where``, expected of type ``tp``, ending with the YAML colon hint (``colon_hint``);
    ``kept``: where ``where`` is an entry of a mapping of sections (``model.stems.sar=null``), the other entries:
    null removes no entry, and the refusal says what to write to leave it out, the mapping given whole."""
    if kept is None:  # scene: with nothing under it (its keys commented out, or not indented) is a null section
        section = ("; a section holds its keys indented under it (for its defaults leave it out, or write "
                   f"{where.rsplit('.', 1)[-1]}: {{}})")
        return (f"{where}: None is not allowed (expected {getattr(tp, '__name__', tp)}){colon_hint(where)}"
                + (section if dataclasses.is_dataclass(tp) else ""))
    at, name = where.rsplit(".", 1)
    whole = f", {at}={{{', '.join(f'{k}: {{…}}' for k in kept)}}}" if kept else ""
    return (f"{where}: null does not remove an entry of {at}; give {at} whole, with the entries to keep and without "
            f"{name}{whole} (a mapping given whole replaces its base's or the recipe's)")


def is_key(path: list[str], keys_at: Callable[[list[str]], tuple[list[str], set[str]] | None]) -> bool:
    """Whether dotted ``path`` is a key (or section) of the config ``keys_at`` reads, level by level."""
    return all((at := keys_at(path[:j])) is not None and path[j] in at[0] for j in range(len(path)))


def foreign(path: list[str], keys_at: Callable[[list[str]], tuple[list[str], set[str]] | None]) -> list[str] | None:
    """Our dotted key for ``path`` where its end is another trainer's name for it (``FOREIGN``; the longest end
    first: log.steps is log.every, steps alone max_steps) and a key of the config ``keys_at`` reads (a model config
    has no batch_size); None otherwise, or where the word before the end joined to it is a key of ours (warmup.steps:
    leaf_near's warmup_steps), and [] (no hint at all) where that word is a section of ours (optim.steps: neither
    max_steps nor the likeness's model.stems); both were max_steps."""
    held = False
    for n in range(len(path), 0, -1):
        ours = FOREIGN.get(".".join(path[-n:]), "").split(".")
        if ours == [""] or not is_key(ours, keys_at):
            continue
        if n < len(path) and f"{path[-n - 1]}_{path[-n]}" in {leaf[-1] for leaf in leaves(keys_at)}:
            return None  # leaf_near's own reading: warmup.steps is warmup_steps
        if n < len(path) and (top := keys_at([])) and path[-n - 1] in top[1]:
            held = True  # nor the likeness's model.stems for optim: {steps: 3}
            continue
        return ours
    return [] if held else None


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
    if drop and (ours := foreign(path, keys_at)):  # the path as written: warmup.steps less warmup is no max_steps
        return ours

    i = next((j for j in range(len(path)) if not is_key(path[: j + 1], keys_at)), None)
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
        if len(fits := {tuple(t) for t in tier if is_key(t, keys_at)}) == 1:
            return list(fits.pop())
        if fits:
            return None
    return near_path([*head, *tail], keys_at, drop=False) if tail and drop else None  # train.learning_rate


ENTRY = "NAME"  # an entry of a mapping of sections (model.encoders.NAME.width) in a dotted key offered as a hint


def leaves(keys_at: Callable[[list[str]], tuple[list[str], set[str]] | None], at: tuple[str, ...] = ()
           ) -> list[tuple[str, ...]]:
    """Every dotted key below ``at`` that is no section (``model.llm.lora_r``, ``data.task_weights``), a mapping
    of sections' entries' keys included under ``ENTRY`` (``model.encoders.NAME.patch_size``)."""
    found = keys_at(list(at))
    if found is None:
        return []
    keys, sections = found
    out: list[tuple[str, ...]] = []
    for k in keys:
        if k in sections:
            out += leaves(keys_at, (*at, k))
            continue
        out.append((*at, k))
        held = keys_at([*at, k])  # a mapping (ANY_KEY) whose values are sections: walked through one entry
        if held is not None and held[0] is ANY_KEY and keys_at([*at, k, ENTRY]) is not None:
            out += leaves(keys_at, (*at, k, ENTRY))
    return out


def leaf_near(path: list[str], keys_at: Callable[[list[str]], tuple[list[str], set[str]] | None]
              ) -> list[str] | None:
    """The one valid dotted key whose last name the end of ``path`` spells, where ``near_path`` (one slip) finds
    none: sections left out at any depth (``lora_r``: model.llm.lora_r; ``patch_size``:
    model.encoders.NAME.patch_size), a dotted name for one with "_" (``train.lora.r``, ``lora.r``:
    model.llm.lora_r), another trainer's name (``lora_rank``). The longest end of ``path`` that names some key
    decides; a key outside any mapping goes before ones in a mapping's entries (``lora_r``: the LLM's, not an
    encoder's); None where it names several alike (``seed``) or none."""
    if (ours := foreign(path, keys_at)) is not None:
        return ours or None
    by_name: dict[str, list[tuple[str, ...]]] = {}
    for leaf in leaves(keys_at):
        by_name.setdefault(leaf[-1], []).append(leaf)
    for n in range(len(path), 0, -1):  # train.lora.r: train_lora_r, then lora_r, then r
        word = "_".join(path[-n:])  # joined words are taken as spelt; one word may be misspelt (lora_rank)
        name = word if word in by_name else SYNONYMS.get(word) if n > 1 else near_key(word, list(by_name), slips=False)
        name = name if name in by_name else None
        if name:
            found = by_name[name]
            if len(found) > 1:
                found = [f for f in found if ENTRY not in f] or found
            return list(found[0]) if len(found) == 1 else None
    return None


def entry_named(path: list[str], data: dict) -> tuple[list[str], str]:
    """``path`` (a ``leaf_near`` hint) with its ``ENTRY`` named as ``data`` names it where ``data`` holds one
    entry there (model.encoders.default.patch_size), else as it was, with the names it may be: ", NAME one of
    default, sar" ("" where ``data`` holds none there)."""
    if ENTRY not in path:
        return path, ""
    i = path.index(ENTRY)
    node: object = data
    for part in path[:i]:
        node = node.get(part) if isinstance(node, dict) else None
    names = [str(k) for k in node] if isinstance(node, dict) else []
    if len(names) == 1:
        return [*path[:i], names[0], *path[i + 1 :]], ""
    return path, f", {ENTRY} one of {', '.join(names)}" if names else ""


def near_key(key: str, valid: list[str], sections: set[str] = frozenset(), slips: bool = True) -> str | None:
    """The one key of ``valid`` that ``key`` is a misspelling (``max_step``, ``lrr``, ``output_dir``) or a
    shortening or lengthening (``warmup``, ``train_file``, ``grad_accumulation``; a section's name only as one
    word, ``optimizer``: ``model_name`` is no key of model:) of; None where none is, or several are. A looser
    likeness named keys of another meaning (``save_steps`` max_steps, ``logging_steps`` slow_step_s or log). A key
    in capitals (``VAL``, ``LR``, ``MAX_STEP``: difflib scored ``VAL`` against ``val`` at 0) is read as written
    small: the one key it is but for case, else the one its small spelling is near. ``slips``: a short key's one slip
    (``one_slip``) counts; not among every key of a config (``train.step`` was model.trainable.stem)."""
    if (low := key.casefold()) != key and key not in valid:
        same = [v for v in valid if v.casefold() == low]
        return (same[0] if len(same) == 1 else None) if same else near_key(low, valid, sections, slips)
    if SYNONYMS.get(key) in valid:
        return SYNONYMS[key]
    if close := near_names(key, valid, cutoff=0.8, fold_case=False, slips=slips):  # sise, tset: a slip, 0.75
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


def indent_hint(e: Exception) -> str:
    """For PyYAML's errors at a key indented unlike its siblings: a key indented less than the one before it
    ("expected <block end>") or more, under a key that holds a value ("mapping values are not allowed here"),
    what is wrong with the indentation; "" otherwise (``a: b: c`` on one line is no indentation slip)."""
    mark, problem = getattr(e, "problem_mark", None), str(getattr(e, "problem", ""))
    text = getattr(mark, "buffer", None)
    if not isinstance(text, str) or not problem.startswith(("expected <block end>", "mapping values are not")):
        return ""
    lines = text.rstrip("\0").split("\n")
    here = lines[mark.line] if mark.line < len(lines) else ""
    before = next((n for n in range(mark.line - 1, -1, -1)
                   if lines[n].strip() and not lines[n].lstrip().startswith("#")), None)
    if before is None:
        return ""
    prev = lines[before]
    indent = (len(here) - len(here.lstrip(" ")), len(prev) - len(prev.lstrip(" ")))
    if problem.startswith("mapping") and indent[0] > indent[1] and not prev.split("#")[0].rstrip().endswith(":"):
        return (f"; line {mark.line + 1} is indented more than line {before + 1} ({prev.strip()}), whose value is "
                f"no mapping to hold it: indent it as that line is")
    if problem.startswith("expected") and indent[0] < indent[1]:
        return (f"; line {mark.line + 1} is indented {counted(indent[0], 'space')}, line {before + 1} "
                f"{indent[1]}: the keys of one mapping start in the same column")
    return ""


def outdented(key: str, prefix: str, top: dict[str, type]) -> str:
    """The end of the refusal of ``key`` at ``prefix`` (``scene.``) where it is a section at the top (``top``): the
    file indents it under another section ("; render is a top-level section, …"); "" otherwise."""
    return (f"; {key} is a top-level section, not one of {prefix.rstrip('.')}: indent {key}: as "
            f"{prefix.split('.')[0]}: is (at the left margin)" if key in top else "")


def held_config(folder: Path) -> str:
    """", such as FOLDER/train_config.yaml" for a run's out_dir or a model folder given as a config file; ""."""
    held = next((folder / n for n in ("train_config.yaml", "config.yaml") if (folder / n).is_file()), None)
    return f", such as {held}" if held else ""


def set_in(path, key: str) -> str | None:
    """The file setting dotted ``key`` for config file ``path``, as errors name it: ``path`` or the ``base:`` whose
    value the merge kept (``b.yaml (a base of a.yaml)``); None where neither sets it."""
    from rsvlm.config import load_yaml  # it imports this module
    from rsvlm.config_bases import origin as set_by

    origin = set_by(load_yaml(path), Path(path), key)
    return origin and (str(path) if origin.resolve() == Path(path).resolve() else f"{origin} (a base of {path})")
