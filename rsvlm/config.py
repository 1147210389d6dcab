"""Dataclass configs: YAML in, ``key=value`` overrides, unknown keys rejected, resolved YAML out.

Every component owns one small dataclass (``VisionConfig``, ``ProjectorConfig`` …); a whole-run
config nests them. This module knows nothing about those classes: it walks dataclass fields.

    cfg = load_config(TrainConfig, "configs/train/sft.yaml", ["optim.lr=1e-4", "model.llm.lora_r=8"])
    save_config(cfg, out_dir / "config.yaml")

Override values (``rsvlm.overrides``) are parsed as YAML scalars/lists (``lr=1e-4`` → float,
``bands=[B02,B03]`` → list, ``name=null`` → None), except that a text field takes the text as written
(``model.prompt.system=Answer briefly: one word.``, ``out_dir=runs/a #2``); ``null`` or ``~`` still mean None
there, and a quoted value is YAML's. Types are checked against the field annotations where they are simple
(int, float, bool, str, list, dict, tuple (``tuple[float, float]``: that many values, each of its
type), Optional of these; an int field takes a whole number written ``1e4``); anything else is
passed through.

A file can start from another: ``base: other.yaml`` (relative to the file), at the top or inside a
section such as ``model:``, then lists only what differs (``rsvlm.config_bases.with_bases``). A file's number or true/false in
quotes (``sar_looks: "4"``) is refused, naming file, line and key: YAML reads it as text, so it is a slip there.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from rsvlm.config_hints import (
    ANY_KEY,
    held_config,
    in_places,
    indent_hint,
    leaf_near,
    near_file,
    near_key,
    no_eval,
    null_refusal,
    outdented,
    precision_flag,
    set_in,
    tab_hint,
    unknown_refusal,
    yaml_problem,
)
from rsvlm.config_values import bool_hint, list_hint, mapping_hint, quoted_refusal
from rsvlm.config_yaml import UniqueKeyLoader as _UniqueKeyLoader
from rsvlm.config_yaml import quoted_scalars as _quoted
from rsvlm.config_yaml import yaml_values

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file or override does not fit the dataclass it is loaded into; ``keys``: the dotted
    keys at fault where one is known (``optim.lr``, ``extra[0].pth``), which tell whose fault it is; ``evals``: those
    of them that ask for evaluation while it trains (``config_hints.no_eval``)."""

    def __init__(self, *args, keys: tuple[str, ...] = (), evals: tuple[str, ...] = ()):
        super().__init__(*args)
        self.keys, self.evals = tuple(keys), tuple(evals)


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _unnumpy(value: Any, array: bool) -> Any:
    """A numpy scalar as its Python value, and with ``array`` an array as (nested) lists; anything else as it is.
    numpy is not imported here: a value can only be one of its types where it is loaded already."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, (np.generic, np.ndarray) if array else np.generic):
        return value.tolist()
    return value


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check/convert ``value`` to annotation ``tp``; build nested dataclasses from dicts. A numpy scalar
    counts as its Python value, a numpy array as a list where one is expected (a file's ``np.float32``
    nodata, an array range given to ``scaling.as_config``)."""
    tp, optional = _unwrap_optional(tp)
    value = _unnumpy(value, array=False)
    if value is None:
        if optional or tp is Any:
            return None
        raise ConfigError(null_refusal(where, tp), keys=(where,))  # data.band_dropout.sra:0.5: its dot is no level
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):  # a list's item: data.extra=[b.jsonl] (each file a mapping with its path)
            hint = f" (write {{{dataclasses.fields(tp)[0].name}: {value}}})" if where.endswith("]") and isinstance(
                value, str) else ""
            raise ConfigError(f"{where}: expected a mapping for {tp.__name__}, got {value!r}{hint}", keys=(where,))
        return from_dict(tp, value, where=where)
    origin = typing.get_origin(tp)
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str):  # YAML 1.1 reads "2e-4" as a string
        try:
            return float(value)
        except ValueError:
            pass
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tp is int and isinstance(value, (str, float)) and not isinstance(value, bool):  # max_steps: 1e4 (a string
        try:                                                                          # to YAML 1.1), 2.0
            number = float(value)
        except ValueError:
            number = None
        if number is not None and number.is_integer() and abs(number) < 2**53:  # exactly a whole number
            return int(number)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true/false, got {value!r}", keys=(where,))
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{where}: expected a string, got {value!r}{bool_hint(value, text=True)}", keys=(where,))
    if tp in (int, float):  # lora_r=yes: "got True", which the user never wrote
        spaced = where.endswith("]") and isinstance(value, str) and len(words := value.replace(",", " ").split()) > 1
        hint = (f" (a list's items are parted by commas{', outside quotes' * (',' in value)}: {', '.join(words)})"
                if spaced else bool_hint(value))  # [0.9 0.95]: one item; ['0.9, 0.95'] said "0.9,, 0.95"
        raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}{hint}", keys=(where,))
    if origin in (list, tuple) or tp in (list, tuple):
        value = _unnumpy(value, array=True)
        if not isinstance(value, (list, tuple)):
            hint = list_hint(value)  # modalities=sar,ir or sar ir: the list it likely is
            item = typing.get_args(tp)[0] if typing.get_args(tp) else None  # data.extra: B.jsonl, one file's path
            if isinstance(value, (str, dict)) and dataclasses.is_dataclass(item):  # data.extra={path: b.jsonl}
                first = dataclasses.fields(item)[0].name
                text = value.strip() if isinstance(value, str) else ", ".join(map(str, value)) if value and all(
                    v is None for v in value.values()) else value  # {a.jsonl, b.jsonl}: YAML's mapping of nulls
                text = text[1:-1] if isinstance(text, str) and text[:1] + text[-1:] == "()" else text  # no "{path: (a"
                items = [f"{{{first}: {v.strip()}}}" for v in text.split(",") if v.strip()] if isinstance(
                    text, str) else ["{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"]
                hint = f" (a list of mappings, each a {item.__name__}: [{', '.join(items)}])"
            raise ConfigError(f"{where}: expected a list, got {value!r}{hint}", keys=(where,))
        args = typing.get_args(tp)
        if args and args[-1] is not Ellipsis and origin is list:
            value = [_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
        elif args and origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            value = [_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
        elif args and origin is tuple and args != ((),):  # tuple[float, float]: each element as its type says
            if len(value) != len(args):
                raise ConfigError(f"{where}: expected {len(args)} values, got {len(value)}: {list(value)!r}",
                                  keys=(where,))
            value = [_coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args))]
        return list(value) if origin is list or tp is list else tuple(value)
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}{mapping_hint(value)}", keys=(where,))
        args = typing.get_args(tp)
        if dataclasses.is_dataclass(args[-1] if args else None) and (
                gone := [f"{where}.{k}" for k, v in value.items() if v is None]):
            raise ConfigError(null_refusal(gone[0], args[-1], [k for k, v in value.items() if v is not None]),
                              keys=gone[:1])
        if args and args[1] is not Any:  # each value checked as its field says ({cls: x} for dict[str, float])
            return {k: _coerce(v, args[1], f"{where}.{k}") for k, v in value.items()}
        return dict(value)
    return value


def _moved_to(cls: type, key: str) -> str | None:
    """Where a config class says an old key of it lives now (its ``MOVED_KEYS``), or None."""
    return getattr(cls, "MOVED_KEYS", {}).get(key)


def no_key(cls: type, key: str, prefix: str = "") -> str:
    """The end of the refusal of ``key``, a key ``cls`` has not, where the class says what to give instead (its
    ``NO_KEY``, ``{prefix}`` the section's dotted place: split.train, or a ``near_key`` of one: trian); "" otherwise."""
    table = getattr(cls, "NO_KEY", {})
    near = key if key in table else next((k for k in table if near_key(key, [k])), None)
    return f"; {f'{key!r} read as {near!r}: ' * (near != key)}{table[near].format(prefix=prefix)}" if near else ""


def from_dict(cls: type[T], data: dict[str, Any], where: str = "") -> T:
    """Build dataclass ``cls`` from a (nested) mapping. Unknown keys raise and list the valid ones."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected a mapping, got {type(data).__name__}",
                          keys=(where,) if where else ())
    ftypes = _field_types(cls)
    if errors := _unknown_keys(cls, data, where, (cls, where), ()):  # every section's, at once: not one rerun each
        if len(errors) == 1:
            raise errors[0]
        raise ConfigError(in_places([(str(e), e.evals) for e in errors]), keys=tuple(k for e in errors for k in e.keys))
    one = getattr(cls, "ONE_VALUE", {})  # several values where one is expected: the class says where the others go
    for k, v in data.items():
        if k in one and (isinstance(v, (list, tuple)) or isinstance(v, str) and v.startswith("[") and v.endswith("]")):
            key = f"{where}.{k}" if where else k
            raise ConfigError(f"{key}: expected one value, got the list {v!r}; {one[k]}", keys=(key,))
    kwargs = {k: _coerce(v, ftypes[k], f"{where}.{k}" if where else k) for k, v in data.items()}
    return cls(**kwargs)


def _unknown_keys(cls: type, data: dict, where: str, root: tuple[type, str], at: tuple[str, ...]
                  ) -> list[ConfigError]:
    """One error for each mapping in ``data`` (``cls``'s, at ``at`` in ``root``: (class, its dotted place)),
    nested sections and ``model.encoders`` entries included, that holds keys no field of its class has."""
    ftypes, errors = _field_types(cls), []
    if unknown := sorted(str(k) for k in set(data) - set(ftypes)):  # YAML's 1: or null: key was a TypeError
        prefix = f"{where}." if where else ""
        moved = [k for k in unknown if _moved_to(cls, k)]
        given = {str(k): v for k, v in data.items()}  # YAML's 1: key is named '1'
        far = {k: f"{root[1]}.{'.'.join(n)}".lstrip(".") for k in unknown  # a mapping's key no leaf: trainer: {…}
               if not isinstance(given.get(k), dict) and (n := leaf_near([*at, k], lambda p: _keys_at(root[0], p)))
               and fits(given.get(k), _annotation(root[0], n))}  # trainer: 3 is no data.train (a file's path)
        evals = {k: h for k in unknown if (h := no_eval([*at, k], lambda p: _keys_at(root[0], p)))}  # eval: {…}
        absent = "".join(no_key(cls, k, prefix) for k in unknown) + "".join(
            outdented(k, prefix, _sections(_field_types(root[0]))) for k in unknown if at) + "".join(
            precision_flag(k, data.get(k), lambda p: _keys_at(root[0], p)) for k in unknown if not at) + "".join(
            _dotted(k, at, root[0]) for k in unknown)  # bf16: true; optim.lr: 1e-4
        errors.append(ConfigError(f"{prefix}{moved[0]} has moved to {_moved_to(cls, moved[0])}; write it there"
                                  if moved else unknown_refusal(cls.__name__, ftypes, _sections(ftypes), unknown,
                                                                prefix, far, evals) + absent,
                                  keys=tuple(prefix + k for k in moved[:1] or unknown),
                                  evals=() if moved else tuple(prefix + k for k in evals)))
    for k, v in data.items():
        tp = _unwrap_optional(ftypes[k])[0] if k in ftypes and isinstance(v, dict) else None
        key = f"{where}.{k}" if where else k
        if dataclasses.is_dataclass(tp):
            errors += _unknown_keys(tp, v, key, root, (*at, k))
        elif typing.get_origin(tp) is dict and dataclasses.is_dataclass(sub := typing.get_args(tp)[-1]):
            errors += [e for n, x in v.items() if isinstance(x, dict)
                       for e in _unknown_keys(sub, x, f"{key}.{n}", root, (*at, k, str(n)))]
    return errors


def fits(value: Any, tp: Any) -> bool:
    """Whether ``value``, as YAML read it, is of the kind annotation ``tp`` wants: a mapping for a section or mapping,
    a list (or a text, ``sar,ir``) for a list, a text for a text, no list or mapping for a number or true/false. A
    hint offering a key elsewhere for a misspelt one (``lora_rank: 8``: model.llm.lora_r) is given only where its
    value fits there (``trainer: 3`` is no ``data.train``, a file's path). A bad value of the right kind fits
    (``learning_rate=fast``), as does null for a leaf (``tokenizer: null``). True where ``tp`` cannot be told."""
    tp = _unwrap_optional(tp)[0]
    kind = typing.get_origin(tp) or tp
    if kind is dict or dataclasses.is_dataclass(kind):
        return isinstance(value, dict)
    if kind in (list, tuple):
        return value is None or isinstance(value, (list, tuple, str))
    if kind is str:
        return value is None or isinstance(value, str)  # resume=null: an Optional's value
    return not isinstance(value, (list, tuple, dict)) if kind in (int, float, bool) else True


def _dotted(key: str, at: tuple[str, ...], cls: type) -> str:
    """The end of the refusal of a file's key written dotted (``optim.lr: 1e-4``, at ``at`` in ``cls``) that names a
    key when nested, saying to nest it; "" otherwise (YAML reads the dotted name as one key)."""
    parts = key.split(".")
    if len(parts) < 2 or "" in parts or _annotation(cls, [*at, *parts]) is None:
        return ""
    nested = f"{parts[-1]}: …"
    for part in reversed(parts[:-1]):
        nested = f"{part}: {{{nested}}}"
    return f"; a file's key is not dotted ({key}=… is an override's form): nest it, {nested}"


def _keys_at(cls: type, prefix: list[str]) -> tuple[list[str], set[str]] | None:
    """The keys of the section ``prefix`` names in ``cls`` and the sections among them (a mapping's, as
    ``data.task_weights`` or ``model.encoders``: ``ANY_KEY``); None where it is none."""
    tp = _unwrap_optional(_annotation(cls, prefix))[0]  # a mapping's key, model.encoders.NAME, read through
    if typing.get_origin(tp) is dict:
        return ANY_KEY, set()
    return (list(ftypes := _field_types(tp)), set(_sections(ftypes))) if dataclasses.is_dataclass(tp) else None


def _sections(ftypes: dict[str, Any]) -> dict[str, type]:
    """The keys of ``ftypes`` that are sections (a dataclass: ``optim``, ``model``), each with its dataclass."""
    return {k: sub for k, tp in ftypes.items() if dataclasses.is_dataclass(sub := _unwrap_optional(tp)[0])}


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dict of a dataclass config (tuples become lists, so it round-trips via YAML)."""

    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, Path):
            return str(v)
        return v

    return plain(cfg)


def _annotation(cls: type | None, path: list[str]) -> Any:
    """The annotation of dotted ``path`` in dataclass ``cls``, through nested dataclasses and the
    values of ``dict[str, X]`` fields; None where it cannot be told."""
    tp: Any = cls
    for part in path:
        tp = _unwrap_optional(tp)[0]
        if dataclasses.is_dataclass(tp):
            tp = _field_types(tp).get(part)
        elif typing.get_origin(tp) is dict and len(typing.get_args(tp)) == 2:
            tp = typing.get_args(tp)[1]
        else:
            return None
        if tp is None:
            return None
    return tp


# the values a file's aliases (*name) may add to those it writes out (each use of an alias counts its anchor's
# values again); a recipe holds hundreds, and a file of many values written out (a long list) is not limited
MAX_YAML_VALUES = 100_000


def load_yaml(path: str | Path, cls: type | None = None) -> dict[str, Any]:
    """A config file's mapping (empty for an empty file); ConfigError naming the file otherwise. With ``cls``, the
    dataclass the file fills, a number or true/false written in quotes (``sar_looks: "4"``) is refused, naming the
    file, line and key: YAML reads it as text (a mistake a file makes; a ``key=value`` override is text by nature)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give a config file (.yaml){held_config(path)}")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}{near_file(path)}")
    try:
        loader = _UniqueKeyLoader(path.read_text(encoding="utf-8-sig"))
        try:  # yaml.load's steps, counting the values before any is built
            node = loader.get_single_node()
            seen: dict[int, int] = {}
            # the values the aliases add: those written out cost no more to build than the text cost to read
            if node is not None and yaml_values(node, seen) - len(seen) > MAX_YAML_VALUES:
                raise ConfigError(f"{path}: its aliases (*name) add more than {MAX_YAML_VALUES:,} values to those "
                                  "written out (a YAML alias bomb?; the limit is rsvlm.config.MAX_YAML_VALUES): "
                                  "write the values out in place of *name")
            found: list[tuple[str, yaml.ScalarNode, str]] = []
            if cls is not None and node is not None:
                _quoted(node, cls, "", found)
            if found:
                raise ConfigError(quoted_refusal(path, found), keys=tuple(k for k, _, _ in found))
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not a YAML text file (not UTF-8: {e.reason} at byte {e.start})") from e
    except RecursionError:  # PyYAML reads a nesting recursively: [[[…]]] 1,000 deep was a traceback naming no file
        raise ConfigError(f"{path}: nested too deeply to read (lists or mappings inside each other hundreds of "
                          "levels deep); no config is") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({yaml_problem(e, at_mark=False)}){tab_hint(e)}"
                          f"{indent_hint(e)}") from e
    if data is None:  # empty, or comments only
        return {}
    if not isinstance(data, dict):  # "[]" or "false" read as {} before, so the file was silently ignored
        glued = isinstance(data, str) and re.match(r"[\w.]+:[^\s/]\S*", data)  # max_steps:3, a text to YAML (not C:/x)
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__} {data!r:.40}"
                          + (f"; YAML needs a space after a key's colon: {glued[0].replace(':', ': ', 1)}" if glued else ""))
    return data


def load_config(cls: type[T], path: str | Path | None = None, overrides: list[str] | None = None,
                typed_in: str | None = None) -> T:
    """Defaults of ``cls`` ← YAML file (its ``base:`` files first) ← ``key=value`` overrides, validated. ``typed_in``:
    where the user typed the overrides (``"command line"``: a refusal opens ``override 'k=v' (command line): …``,
    as a later check's does, ``config_bases.value_blamed``); None, words a program wrote, says no place."""
    data, path = to_dict(cls()), None if path is None else Path(path)
    from rsvlm.config_bases import merge, with_bases, with_lines  # they import this module
    from rsvlm.overrides import apply_overrides, joined_hint, split_override

    if path is not None:
        data = merge(data, with_bases(load_yaml(path, cls), cls, path.parent, (path.resolve(),)), cls)
    overrides = list(overrides or [])
    data = apply_overrides(data, overrides, cls, *([str(path)] if path is not None else []), typed_in=typed_in,
                           set_by=None if path is None else lambda key: set_in(path, key))
    try:
        cfg = from_dict(cls, data)
        if why := own_problem(cfg):
            raise why
        return cfg
    except ConfigError as e:  # blame the override that set a bad key (or a mapping holding it), else the file
        culprit = [o for o in overrides if any(_within(key, split_override(o)[0]) for key in e.keys)]
        if culprit or path is None:  # optim.lr=1e-4,max_steps=3: its value is '1e-4,max_steps=3'
            by = f" ({typed_in})" if typed_in else ""
            raise ConfigError(f"override {culprit[-1]!r}{by}: {e}{joined_hint(culprit[-1], cls)}" if culprit
                              else f"{cls.__name__}: {e}", keys=e.keys) from e
        file, key = next(((s, k) for k in e.keys if (s := set_in(path, k))), (path, None))
        # the line: before a hint, which stays last (it was left out there), with the keys another file of the chain
        # set (``with_others``), each place's own; none for an evaluation key's refusal, said as an override's is
        said = with_lines(str(e), path, file, e.keys) if key is not None and not e.evals else str(e)
        raise ConfigError(f"{file}: {said}", keys=e.keys) from e


def before_hint(message: str, note: str) -> str:
    """``message`` with ``note`` (`` (line 3 of a.yaml)``) at its end, or, where a hint ends it (a closing parenthesis
    or question mark), before its first clause after a ``;`` (``unknown key x for C (line 3 of a.yaml); valid keys
    …``), else before its last parenthesised group (``… (line 3 of a.yaml) (did you mean optim.lr?)``)."""
    if not message.endswith((")", "?")) or not note:
        return message + note
    depth, last = 0, None
    for i, c in enumerate(message):
        if c == ";" and depth == 0:
            return f"{message[:i]}{note}{message[i:]}"
        depth += {"(": 1, ")": -1}.get(c, 0)
        last = i if c == "(" and depth == 1 else last
    return f"{message[:last].rstrip()}{note} {message[last:]}" if last is not None else message + note


def own_problem(cfg: Any, where: str = "") -> ConfigError | None:
    """The refusal a section of ``cfg`` (a dataclass config; it too) makes of its own values, the first found: its
    ``config_problem()``, (message, keys) each from a field's name on (``scene_weights.dock``), or None; here with
    the section's place before both (``scene.``), so ``load_config`` names the file or override that set it. A
    config built otherwise (``from_dict``, by hand) is not asked: its command's checks say it later."""
    if why := getattr(cfg, "config_problem", lambda: None)():
        return ConfigError(f"{where}.{why[0]}" if where else why[0], keys=tuple(f"{where}.{k}".lstrip(".") for k in why[1]))
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type) and (
                found := own_problem(value, f"{where}.{f.name}".lstrip("."))):
            return found
    return None


def _within(key: str, path: list[str]) -> bool:
    """Whether dotted ``key`` (``a.b``, ``a.b[0].c``) is the override path ``path`` or lies under it. The
    message's text is not searched: its list of valid keys names an override's key too (a file's
    ``max_step`` was blamed on ``max_steps=1``)."""
    own = ".".join(path)
    return key == own or key.startswith((own + ".", own + "["))


def save_config(cfg: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML (the file that sits beside every output it shaped)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
    return path
