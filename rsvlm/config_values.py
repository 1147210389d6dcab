"""What ``rsvlm.config`` says of a value that is not the kind its key takes: a number or true/false in quotes
(``quoted_kind``), YAML's yes/no read as true/false, a list or mapping written as text. Text and type checks
alone: it knows no config class, no key, no file beyond the one a refusal names."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

BOOLS = ("true", "false", "yes", "no", "on", "off")  # YAML 1.1's true/false words (PyYAML's), in lower case


def is_number(text: str) -> bool:
    """Whether ``text`` is a number as Python's ``float`` reads one (``4``, ``1e-4``, ``inf``)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def quoted_kind(text: str, tp) -> str | None:
    """What quoted text ``text`` would be written without its quotes where annotation ``tp`` (no Optional) wants
    one: "a number", "true/false" (one of ``BOOLS``), "a list" (``"[sar, ir]"``), "a mapping"; None otherwise."""
    text, kind = text.strip().lower(), typing.get_origin(tp) or tp
    if tp in (int, float) and is_number(text) or tp is bool and text in BOOLS:
        return "a number" if tp is not bool else "true/false"
    if kind in (list, tuple) and text[:1] + text[-1:] == "[]":
        return "a list"
    return "a mapping" if (kind is dict or dataclasses.is_dataclass(tp)) and text[:1] + text[-1:] == "{}" else None


def quoted_refusal(path: Path, found: list) -> str:
    """The refusal of config file ``path``'s quoted values ``found`` (dotted key, PyYAML scalar node, what it would
    be: ``quoted_kind``): the file, each key with its line, and to drop the quotes."""
    said = ", ".join(f"{k}: {n.style}{n.value}{n.style} (line {n.start_mark.line + 1})" for k, n, _ in found)
    kinds = sorted({kind for _, _, kind in found})
    return (f"{path}: {said}: {', '.join(kinds[:-1])}{' or ' if len(kinds) > 1 else ''}{kinds[-1]} in quotes, which "
            f"YAML reads as text; write {'them' if len(found) > 1 else 'it'} without quotes")


def bool_hint(value, text: bool = False) -> str:
    """The end of "expected a number" (or, with ``text``, "a string") for ``value`` True or False, which YAML made of
    a yes, no, on or off (``lora_r=yes``: "got True", a word never written); "" for anything else."""
    if not isinstance(value, bool):
        return ""
    return f" (YAML reads yes, no, on, off as true/false{': put the text in quotes' if text else ''})"


def list_hint(value) -> str:
    """The end of "expected a list" for text ``value``: the list it likely means, its words parted by commas or
    spaces (``sar,ir``: " (a list is written [sar,ir])", ``sar ir``: "[sar, ir]"), in Python's parentheses
    (``(0.9, 0.95)``: "[0.9, 0.95]") or braces (``{0.9, 0.95}``, which YAML reads as a mapping of nulls); "" for one
    word or no text."""
    if isinstance(value, dict) and value and all(v is None for v in value.values()):  # betas={0.9, 0.95}
        return f" (a list is written [{', '.join(map(str, value))}]; {{…}} is a mapping)"
    if isinstance(value, str) and value.strip()[:1] + value.strip()[-1:] == "[]":  # modalities="[sar, ir]"
        return " (a list in quotes is text: write it without quotes)"
    if isinstance(value, str) and value.strip()[:1] + value.strip()[-1:] == "()":  # betas=(0.9, 0.95): Python's tuple
        value = value.strip()[1:-1]  # the hint said "[(0.9, 0.95)]"
    if not isinstance(value, str) or len(words := value.replace(",", " ").split()) < 2 and "," not in value:
        return ""
    return f" (a list is written [{value if value == ''.join(value.split()) else ', '.join(words)}])"


def mapping_hint(value) -> str:
    """The end of "expected a mapping" for text ``value`` of ``key: value`` or ``key=value`` pairs parted by commas
    (``forest:2``, ``forest=2,lake=1``): the mapping it likely means, " (a mapping is written {forest: 2})"; ""
    for anything else."""
    if isinstance(value, str) and value.strip()[:1] + value.strip()[-1:] == "{}":  # scene_weights="{forest: 2}"
        return " (a mapping in quotes is text: write it without quotes)"
    pairs = [re.split(r"\s*[:=]\s*", p.strip(), maxsplit=1) for p in value.split(",")] if isinstance(value, str) else []
    if not pairs or any(len(p) != 2 or not all(p) for p in pairs):
        return ""
    return " (a mapping is written {" + ", ".join(f"{k}: {v}" for k, v in pairs) + "})"
