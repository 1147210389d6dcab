"""A config file's ``base: other.yaml`` (``with_bases``): at the top or in any section, the file named is taken
first and the mapping's other keys merge over it; ``origin`` tells which file of the chain set a key, for errors
that name it. ``rsvlm.config.load_config`` applies them (importing this module inside the function: this module
imports ``rsvlm.config``)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import yaml

from rsvlm.config import ConfigError, _field_types, _unwrap_optional, before_hint, load_yaml
from rsvlm.config_hints import held_config, near_file, set_in


def origin(data: dict[str, Any], file: Path, key: str) -> Path | None:
    """The file whose value of dotted ``key`` the merge kept: ``file`` (mapping ``data``) or one of the
    ``base:`` files it names, at any level, followed as ``with_bases`` merges them; None if none sets it.
    A key inside a list (``extra[0].pth``) is the list's: a list replaces a base's whole."""
    if key in data:  # a key written dotted in the file (optim.lr: 1e-4): this file's, not a base's optim.lr
        return file
    raw = key.split(".")
    cut = next((i + 1 for i, p in enumerate(raw) if "[" in p), len(raw))  # up to the first list
    parts = [p.split("[", 1)[0] for p in raw[:cut]]
    head = parts[0]
    if head in data:
        if len(parts) == 1 or not isinstance(data[head], dict):
            return file
        if (found := origin(data[head], file, ".".join(parts[1:]))) is not None:
            return found
    ref = data.get("base")
    if isinstance(ref, str) and (base := (Path(file).parent / Path(ref).expanduser()).resolve()).is_file():
        try:
            return origin(load_yaml(base), base, ".".join(parts))
        except ConfigError:  # with_bases has read it once; an error there is no answer here
            return None
    return None


def key_line(file: Path, key: str) -> int | None:
    """The line (from 1) of ``file`` where dotted ``key`` (``optim.lr``, ``extra[0].path``) is written, its deepest
    part written there (a list's item's, the list's key's); None where the file cannot be read. Composed again, once
    an error is raised: nodes carry their marks, the data built from them does not."""
    try:
        node = yaml.compose(Path(file).read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    line = None
    if isinstance(node, yaml.MappingNode) and (hit := _written_at(node, key)):  # written dotted: optim.lr: 1e-4
        return hit[0].start_mark.line + 1
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        if isinstance(node, yaml.SequenceNode) and part.startswith("[") and int(part[1:-1]) < len(node.value):
            node = node.value[int(part[1:-1])]
        elif isinstance(node, yaml.MappingNode) and (hit := _written_at(node, part)):
            node, line = hit[1], hit[0].start_mark.line + 1
            continue
        else:
            break
        line = node.start_mark.line + 1
    return line


def _written_at(node: yaml.MappingNode, part: str, seen: tuple = ()) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key, value) nodes of ``part`` in the mapping ``node``, looked for in its ``<<: *anchor`` merges too
    (``optim: {<<: *base}``: the anchor's line, not optim's), written keys first as YAML takes them; None where none.
    ``seen``: the mappings above it (an anchor merged into itself)."""
    merge = "tag:yaml.org,2002:merge"
    if pairs := [(k, v) for k, v in node.value if getattr(k, "value", None) == part and k.tag != merge]:
        return pairs[-1]
    for k, v in node.value:
        for merged in (v.value if isinstance(v, yaml.SequenceNode) else [v]) if k.tag == merge else ():
            if isinstance(merged, yaml.MappingNode) and merged not in (node, *seen) and (
                    hit := _written_at(merged, part, (*seen, node))):
                return hit
    return None


def line_note(file: Path, key: str) -> str:
    """" (line 3 of a.yaml)": where dotted ``key`` is written in config file ``file`` or the ``base:`` that set it
    (``origin``), as the end of an error that names the file and key; "" where that cannot be told. A section's
    base (``optim: {base: o.yaml}``) writes the key without the section (``lr:`` for ``optim.lr``): its line was none."""
    try:
        found = origin(load_yaml(file), Path(file), key)
    except ConfigError:
        return ""
    parts = key.split(".")  # a base's key without its first parts, where a section named it (not file's own)
    tries = range(len(parts) if found and found.resolve() != Path(file).resolve() else 1)
    line = found and next((n for i in tries if (n := key_line(found, ".".join(parts[i:])))), None)
    return f" (line {line} of {found.name})" if line else ""


def with_others(note: str, path, file: str, keys) -> str:
    """``note`` ("" or `` (line 2 of b.yaml)``: where ``file``, the file of config ``path``'s chain an error names, sets
    the key it blames) with each of ``keys`` another file of the chain set named there too, `` (line 2 of b.yaml;
    optim.x at line 4 of a.yaml)``: a section split between a file and its base named one of them alone."""
    more = [f"{k} {f'at {n[2:-1]}' if (n := line_note(Path(path), k)) else f'in {s}'}"
            for k in keys if (s := set_in(path, k)) and s != file]
    return f"{note[:-1]}; {', '.join(more)})" if note and more else f" ({', '.join(more)})" if more else note


def with_lines(message: str, path, file: str, keys) -> str:
    """``message``, a refusal of ``keys`` that names ``file`` (of config ``path``'s chain), with the line where ``file``
    sets the first of them it sets and the keys other files set (``with_others``); a refusal in several places
    (``in_places``, a line each) notes each place with its own keys: the first named every place's."""
    def noted(said: str, ks) -> str:
        key = next((k for k in ks if set_in(path, k) == file), None)
        return before_hint(said, with_others(line_note(Path(path), key) if key is not None else "", path, file, ks))

    head, *places = message.split("\n  ")
    if not places:
        return noted(message, keys)
    places[-1], nl, tail = places[-1].partition("\n")  # a hint after the places (not indented) is none of theirs
    named = re.compile(r"(?<![\w.])[A-Za-z_](?:[\w.-]*\w)?|''")  # a place's keys as it says them ('' a blank one)
    return "\n  ".join([head, *(noted(m, [k for k in keys if (k or "''") in named.findall(m)]) for m in places)]
                        ) + nl + tail


def with_bases(data: dict[str, Any], cls: type | None, here: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Resolve ``base: FILE`` in ``data``: at the top or in any mapping that fills a dataclass field,
    FILE's mapping (its own bases resolved, its path relative to ``here``, ``~`` expanded) is taken
    first and the mapping's other keys merge over it, as a YAML file merges over the defaults.
    Limits: not inside plain dicts (``stems``, ``encoders`` entries); a dataclass with a real
    ``base`` field keeps it."""
    ftypes = _field_types(cls) if cls is not None and dataclasses.is_dataclass(cls) else {}
    out = {}
    for k, v in data.items():
        sub = _unwrap_optional(ftypes[k])[0] if k in ftypes else None
        out[k] = with_bases(v, sub, here, seen) if isinstance(v, dict) and dataclasses.is_dataclass(sub) else v
    if not ftypes or "base" not in out or "base" in ftypes:
        return out
    ref = out.pop("base")
    named_in = seen[-1] if seen else here  # the file whose mapping says base:
    if not isinstance(ref, str) or not ref.strip():
        raise ConfigError(f"{named_in}: 'base' must be a file path, got {ref!r}")
    path = (here / Path(ref).expanduser()).resolve()
    if path in seen:
        raise ConfigError(f"'base' cycle: {' → '.join(str(p) for p in (*seen, path))}")
    if path.is_dir():  # was 'not found'
        raise ConfigError(f"base {path} is a folder; give a config file (.yaml){held_config(path)} "
                          f"(named in {named_in})")
    if not path.is_file():
        raise ConfigError(f"base file not found: {path} (named in {named_in}){near_file(path)}")
    return merge(with_bases(load_yaml(path, cls), cls, path.parent, (*seen, path)), out, cls)


def merge(base: dict[str, Any], new: dict[str, Any], cls: type | None) -> dict[str, Any]:
    """Deep-merge ``new`` into defaults; dataclass sub-mappings merge, everything else replaces."""
    out = dict(base)
    ftypes = _field_types(cls) if cls is not None and dataclasses.is_dataclass(cls) else {}
    for k, v in new.items():
        sub_tp = _unwrap_optional(ftypes[k])[0] if k in ftypes else None
        if isinstance(v, dict) and isinstance(out.get(k), dict) and dataclasses.is_dataclass(sub_tp):
            out[k] = merge(out[k], v, sub_tp)
        else:
            out[k] = v
    return out


def value_blamed(message: str, path, overrides: list[str]) -> str:
    """A command's refusal of a config value (``message``, opening with its dotted key: ``precision must be …``,
    ``optim.lr must be …``, a check after ``load_config``) opened with what set that key: the override as typed
    (``override 'precision=fp17' (command line): …``), else the file, the line that sets it before any hint at the
    end (``a.yaml: precision must be … (line 4 of a.yaml); did you mean fp16?``); ``message`` itself where neither
    set it (a default) or it opens with no key. A refusal of two keys (``clip.text_width=64 must be a multiple of
    clip.text_heads=3``) whose first no override set opens with the last override typed for a dotted key it names
    anywhere (the file's line of the first blamed a value the run kept); a key without a dot is looked for at the
    start alone."""
    from rsvlm.overrides import override_named, split_override  # it imports this module

    if by := override_named(message, overrides):
        return f"{by}: {message}"
    keys = dict.fromkeys(re.findall(r"(?<![\w.])[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+", message))  # in order
    if typed := [o for o in overrides if "=" in o and not o.endswith("=") and ".".join(split_override(o)[0]) in keys]:
        return f"override {typed[-1]!r} (command line): {message}"
    key = refused_key(message)
    if path is None or key is None or not (file := set_in(path, key)):
        return message
    return f"{file}: {before_hint(message, with_others(line_note(Path(path), key), path, file, keys))}"


def refused_key(message: str) -> str | None:
    """The dotted key a later check's refusal opens with (``precision must be …``, ``data.extra[0]: no path``,
    ``data.band_dropout['sar'] must …``, ``log.profile_steps=3 …``: those three were none), or None."""
    key = re.match(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*(?=[ :=\[])", message)
    return key[0] if key else None
