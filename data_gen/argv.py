"""A command line of ``python -m data_gen`` that gives one value twice, differently (``--seed 1 --seed 2``,
``--size 64 scene.size=96``, ``scene.size=64 scene.size=80``): argparse and the overrides kept the last
unsaid, so a run was not the one its command line reads as. (``rsvlm train`` takes a key's last value on
purpose: scripts layer its overrides.)

``record_values(parser)``, before its options are added, makes each one-value option note what it is
given (``rsvlm.argparsing.Noted``, through argparse's documented ``register``); ``given_twice`` compares
those notes."""

from __future__ import annotations

import argparse
import contextlib

from rsvlm.argparsing import Noted


def record_values(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``parser``, whose options added from now on note their values for ``given_twice``."""
    parser.register("action", None, Noted)  # add_argument's default action; it notes in parser.values_given
    parser.register("action", "store", Noted)
    vars(parser).setdefault("values_given", [])
    return parser


def _value(text: str, kind=None):
    """``text`` as ``kind`` reads it (``scene.size=064`` is 64 beside ``--size 64``), else a number as YAML reads it
    (``records_per_image=1`` and ``=1.0`` are one value: "given twice … which one is meant?"), else as written; the
    text where it does not read (the config names a bad value itself)."""
    import yaml

    try:
        if kind is not None:
            return kind(text)
        number = yaml.safe_load(text)  # a text field's "yes" and "true" stay two values: only numbers are read
        return number if isinstance(number, (int, float)) and not isinstance(number, bool) else text.strip()
    except (TypeError, ValueError, argparse.ArgumentTypeError, yaml.YAMLError):
        return text.strip()


def _same(a, b) -> bool:
    """Whether two values given are one: equal, or both NaN (``--pairs-fraction nan`` once was "given twice")."""
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def _as_written(argv: list[str], given: list[tuple[str, object]]) -> list[tuple[str, str, object]]:
    """``given`` in order, each with the words that gave it (``--seed=1`` or ``--seed 1``): the k-th value
    of an option is its k-th word before any ``--``."""
    words = argv[:argv.index("--")] if "--" in argv else argv
    places: dict[str, list[str]] = {}
    for k, w in enumerate(words):
        opt, eq, _ = w.partition("=")
        places.setdefault(opt, []).append(w if eq or k + 1 == len(words) else f"{w} {words[k + 1]}")
    seen: dict[str, int] = {}
    out = []
    for opt, value in given:
        k = seen[opt] = seen.get(opt, -1) + 1
        said = places.get(opt, [])
        out.append((opt, said[k] if k < len(said) else f"{opt} {value}", value))
    return out


def given_twice(parser: argparse.ArgumentParser, argv: list[str], overrides: list[str] = (),
                flag_keys: dict[str, str] | None = None) -> str | None:
    """The first value given twice with different values, as an error line; None where none is.
    ``parser``: one made with ``record_values``, after it parsed ``argv``; ``overrides``: the ``key=value``
    words; ``flag_keys``: option → the config key it sets (``--size`` → ``scene.size``, the key's text read
    as the option's value's type)."""
    said: dict[str, list[tuple[str, object]]] = {}  # option or key -> (as written, value)
    if "values_given" not in vars(parser):
        raise ValueError(f"{parser.prog}: made without data_gen.argv.record_values, so it noted no values")
    recorded = vars(parser)["values_given"]
    for opt, words, value in _as_written(list(argv), recorded):
        said.setdefault(opt, []).append((words, value))
    key_kinds = {}
    for opt, key in (flag_keys or {}).items():
        if opt in said:
            key_kinds[key] = type(said[opt][-1][1])
            said.setdefault(key, []).append(said[opt][-1])
    for o in overrides:
        key, _, value = o.partition("=")
        key = key.strip().lstrip("-")
        said.setdefault(key, []).append((o, _value(value, key_kinds.get(key))))
    for name, given in said.items():
        if other := [w for w, v in given if not _same(v, given[0][1])]:
            return (f"{name} is given twice: {given[0][0]!r} and {other[0]!r}; which one is meant? "
                    "(give it once)")
    return None


def required_said(parser: argparse.ArgumentParser, message: str) -> str:
    """argparse's ``message``, where it is "the following arguments are required: --src", followed by what each
    missing option is to be given, from its help (``: give --src (DOTA split folder (images/, labelTxt/) or flat
    folder)``): it named the option alone (``convert dota`` without ``--src``), the layout it expects unsaid."""
    head = "the following arguments are required: "
    if not message.startswith(head):
        return message
    said = []
    for name in message[len(head):].split(", "):
        action = parser._option_string_actions.get(name)  # argparse keeps no public map
        if action is not None and action.help and action.help != argparse.SUPPRESS:
            said.append(f"{name} ({action.help})")
    return f"{message}: give {' and '.join(said)}" if said else message


def run_together(word: str, names) -> list[str] | None:
    """The names of ``names`` that ``word`` runs together, separated by spaces, ';', '|', '/' or '+' where a comma
    was meant (``det;ground``, ``sar ir``: one name to a check, which said only that it was none), else None."""
    import re

    run = re.split(r"[\s;|/+]+", word)
    return run if len(run) > 1 and all(r in names for r in run) else None


# top-level keys of other kinds of files given to synth's or rebuild's --config, and what each is for ({path})
OTHER_FILES = (
    (("objective", "optim", "max_steps", "out_dir", "grad_accum", "batch_size", "ckpt", "init_from", "data"),
     "a training recipe, for `rsvlm train --config {path}`"),
    (("encoders", "llm", "projector", "stems", "trainable"),
     "a model config, which a training recipe's model: section takes as base: {path}"),
    (("zero_optimization", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "train_batch_size"),
     "a DeepSpeed config, for a training recipe's dist.deepspeed={path}"),
    (("train_scenes", "train_seed", "test_scenes", "reference_minutes", "vocab_size", "eval_tta"),
     "the default model's build settings, for `python scripts/build_default_model.py --config {path}`"),
)


def other_file(path: str | None) -> str:
    """What the ``--config`` file ``path`` is where two or more of its top-level keys are another kind of file's
    (``OTHER_FILES``) and none is a data config's, as the end of its refusal ("" otherwise, or where it does not
    read as a mapping): the refusal listed the keys alone ("unknown keys batch_size, ckpt, … for SynthConfig")."""
    from dataclasses import fields

    from data_gen.synth.config import SynthConfig
    from rsvlm.config import load_yaml

    try:
        top = set(load_yaml(path) or {}) if path else set()
    except Exception:  # noqa: BLE001  not YAML, not a mapping, unreadable: the refusal said so already
        return ""
    if top & {f.name for f in fields(SynthConfig)}:  # a data config's own section: a typo beside it, no recipe
        return ""
    return next((f"; {path} is {what.format(path=path)}, not a data config: give configs/data/NAME.yaml (or leave "
                 "--config out: synth's defaults, rebuild's the set's own DIR/config.yaml)"
                 for marks, what in OTHER_FILES if len(top & set(marks)) >= 2), "")


def error_line(e: Exception, config: str | None) -> str:
    """``error: …`` for a refusal of synth or rebuild: a ``--config`` file not found is named by its option, as
    every other refusal names one (it said "config file not found: nope.yaml"); a file of another kind (a training
    recipe) is named as that (``other_file``)."""
    said = str(e)
    lost = config and said.startswith("config file not found") and "--config" not in said
    kind = other_file(config) if "for SynthConfig" in said else ""
    return f"error: {'--config: ' if lost else ''}{said}{kind}"


@contextlib.contextmanager
def blaming_config(path, overrides: list[str], source: str | None = "command line"):
    """A block whose ValueError (a ``check_config`` refusal) is raised again opening with what set its key, as
    ``rsvlm.config_bases.value_blamed`` says it (the override typed, else the config file and its line), with
    ``source`` for "command line" (None: the caller says where the words came from). An option's ``KEY=``
    stand-in names no override and keeps the file unblamed: the option names itself in the refusal."""
    from rsvlm.config_bases import refused_key, value_blamed
    from rsvlm.overrides import override_named, split_override

    try:
        yield
    except ValueError as e:
        said, typed = str(e), [o for o in overrides if not o.endswith("=")]
        if by := override_named(said, typed, source):
            raise ValueError(f"{by}: {said}") from None
        key = refused_key(said)
        stand_ins = [".".join(split_override(o)[0]) for o in overrides if o.endswith("=")]
        if key and any(f"{key}.".startswith(f"{at}.") or at.startswith(f"{key}.") for at in stand_ins):
            raise
        blamed = value_blamed(said, path, typed)
        if blamed == said:
            raise
        head = blamed[:len(blamed) - len(said)] if blamed.endswith(said) else ""
        if head.startswith("override ") and source != "command line":  # a key named later in the refusal
            blamed = head.replace(" (command line)", f" ({source})" if source else "", 1) + said
        raise ValueError(blamed) from None
