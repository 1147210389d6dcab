"""A command line of ``python -m data_gen`` that gives one value twice, differently (``--seed 1 --seed 2``,
``--size 64 scene.size=96``, ``scene.size=64 scene.size=80``): argparse and the overrides kept the last
unsaid, so a run was not the one its command line reads as. (``rsvlm train`` takes a key's last value on
purpose: scripts layer its overrides.)"""

from __future__ import annotations

import argparse


def _value(text: str, kind=None):
    """``text`` as the option's type reads it (``--seed 01`` is ``--seed 1``), else as written; the text
    where it does not read (the parser or the config names a bad value itself)."""
    try:
        return kind(text) if kind is not None else text.strip()
    except (TypeError, ValueError, argparse.ArgumentTypeError):
        return text.strip()


def given_twice(parser: argparse.ArgumentParser, argv: list[str], overrides: list[str] = (),
                flag_keys: dict[str, str] | None = None) -> str | None:
    """The first value ``argv`` gives twice with different values, as an error line; None where none is.
    The one-value options are ``parser``'s (``--seed 1`` or ``--seed=1``; an option taking a list, as
    rsivqa's ``--src``, adds up); ``overrides``: the ``key=value`` words; ``flag_keys``: option → the config
    key it sets (``--size`` → ``scene.size``, its value read as the option's type)."""
    kinds = {o: a.type for a in parser._actions if a.nargs is None  # store_true's nargs is 0
             for o in a.option_strings if o.startswith("--")}
    said: dict[str, list[tuple[str, object]]] = {}  # option or key -> (as written, value)
    words = argv[:argv.index("--")] if "--" in argv else argv
    for k, w in enumerate(words):
        opt, eq, text = w.partition("=")
        if opt in kinds and (eq or k + 1 < len(words)):
            text = text if eq else words[k + 1]
            said.setdefault(opt, []).append((w if eq else f"{opt} {text}", _value(text, kinds[opt])))
    key_kinds = {}
    for opt, key in (flag_keys or {}).items():
        key_kinds[key] = kinds.get(opt)
        if opt in said:
            said.setdefault(key, []).append(said[opt][-1])
    for o in overrides:
        key, _, value = o.partition("=")
        key = key.strip().lstrip("-")
        said.setdefault(key, []).append((o, _value(value, key_kinds.get(key))))
    for name, given in said.items():
        if other := [w for w, v in given if v != given[0][1]]:
            return (f"{name} is given twice: {given[0][0]!r} and {other[0]!r}; which one is meant? "
                    "(give it once)")
    return None
