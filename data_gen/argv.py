"""A command line of ``python -m data_gen`` that gives one value twice, differently (``--seed 1 --seed 2``,
``--size 64 scene.size=96``, ``scene.size=64 scene.size=80``): argparse and the overrides kept the last
unsaid, so a run was not the one its command line reads as."""

from __future__ import annotations


def given_twice(argv: list[str], options: tuple[str, ...], overrides: list[str] = (),
                flag_keys: dict[str, str] | None = None) -> str | None:
    """The first value ``argv`` gives twice with different values, as an error line; None where none is.
    ``options``: one-value options (``--seed``), written ``--seed 1`` or ``--seed=1``; ``overrides``: the
    ``key=value`` words; ``flag_keys``: option → the config key it sets (``--size`` → ``scene.size``)."""
    said: dict[str, list[tuple[str, str]]] = {}  # option or key -> (as written, value)
    words = argv[:argv.index("--")] if "--" in argv else argv
    for k, w in enumerate(words):
        for opt in options:
            if w == opt and k + 1 < len(words):
                said.setdefault(opt, []).append((f"{opt} {words[k + 1]}", words[k + 1]))
            elif w.startswith(opt + "="):
                said.setdefault(opt, []).append((w, w.split("=", 1)[1]))
    for opt, key in (flag_keys or {}).items():
        if opt in said:
            said.setdefault(key, []).append(said[opt][-1])
    for o in overrides:
        key, _, value = o.partition("=")
        said.setdefault(key.strip().lstrip("-"), []).append((o, value.strip()))
    for name, given in said.items():
        if len({v for _, v in given}) > 1:
            return f"{name} is given twice: {given[0][0]!r} and {given[1][0]!r}; which one is meant? (give it once)"
    return None
