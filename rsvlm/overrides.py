"""``key=value`` overrides (``optim.lr=1e-4``, ``model.llm.lora_r=8``) set into a config's nested mapping before
``rsvlm.config.from_dict`` checks it: ``apply_overrides`` (unknown keys refused here, with the valid keys and a
near one; a text value holding ``,KEY=``, and a mapping given for a section that drops keys the config set there
(``_whole_section``), warned of), ``parse_override`` and ``joined_hint`` (two overrides
given as one argument), ``warnings_as_lines`` (what a command says of them). ``rsvlm.config``'s
``load_config`` applies them, importing this module inside the function (this module imports ``rsvlm.config``)."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import sys
import typing
import warnings
from collections.abc import Callable
from typing import Any

import yaml

from rsvlm.config import (
    ConfigError,
    _annotation,
    _field_types,
    _keys_at,
    _moved_to,
    _unwrap_optional,
    fits,
    no_key,
    to_dict,
)
from rsvlm.config_bases import refused_key
from rsvlm.config_hints import (
    entry_named,
    exact_first,
    is_key,
    leaf_near,
    near_path,
    no_eval,
    no_eval_refusal,
    precision_flag,
    yaml_problem,
)
from rsvlm.config_yaml import UniqueKeyLoader


def split_override(text: str) -> tuple[list[str], str]:
    """``"a.b.c=1e-4"`` → (["a", "b", "c"], "1e-4")."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} is not of the form key=value")
    key, raw = text.split("=", 1)
    key = key.strip().lstrip("-")
    if not key:
        raise ConfigError(f"override {text!r} has an empty key")
    if "" in (path := key.split(".")):  # a..b=1, .seed=1: was "unknown key ''", or "seed is a int and has no key ''"
        raise ConfigError(f"override {text!r}: key {key!r} has an empty part (a dot "
                          f"{'at its end' if not path[-1] else 'at its start' if not path[0] else 'twice'}); "
                          f"give {'.'.join(p for p in path if p)}={raw}" if any(path) else
                          f"override {text!r}: key {key!r} names no key")
    return path, raw


def _yaml_value(text: str, raw: str) -> Any:
    try:  # as a file's YAML, a key named twice refused: data.extra=[{path: a, path: b}] kept b alone, unsaid
        return yaml.load(raw, Loader=UniqueKeyLoader) if raw.strip() else ""
    except yaml.YAMLError as e:
        said = re.sub(r"^found key (.+) a second time \(first at line 1\) at line 1, (column \d+)$",  # one line's
                      r"key \1 a second time at \2: a mapping would keep the last alone", yaml_problem(e))
        raise ConfigError(f"override {text!r}: value is not valid YAML ({said})") from e


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"a.b.c=0.5"`` → (["a", "b", "c"], 0.5). Values are YAML scalars or flow lists/maps, as PyYAML reads them:
    ``1e-4`` (no dot) is the text '1e-4' there, which ``rsvlm.config.from_dict`` makes a float for a float field."""
    path, raw = split_override(text)
    return path, _yaml_value(text, raw)


def _as_written(text: str, raw: str) -> Any:
    """A text field's override value: the text as written, not what YAML makes of it (a mapping
    for "Answer: yes", False for "no", a date, a comment cut off at " #", an error for "{pl}: x");
    None for null/~, and a quoted value as YAML reads it."""
    raw = raw.strip()
    if raw in ("null", "Null", "NULL", "~"):
        return None
    if _left_open(raw):  # data.train=[a.jsonl: was the text '[a.jsonl', a file looked for by that name
        raise ConfigError(f"override {text!r} (command line): value opens a {'list' if raw[0] == '[' else 'mapping'} "
                          f"({raw[0]}) that is not closed; close it, or quote it for a text: "
                          f"\"{text.split('=', 1)[0]}='{raw.replace(chr(39), chr(39) * 2)}'\"")
    if raw[:1] in ("'", '"'):
        value = _yaml_value(text, raw)
        if isinstance(value, str):
            return value
    return raw


def _left_open(raw: str) -> bool:
    """Whether a text field's value ``raw`` is a YAML list or mapping left open: one that closed is one (``[a.jsonl``,
    ``{a: b``), not a text holding brackets (``[2024]/[a.jsonl``, ``{pl}: x``, ``run[1/t.jsonl``)."""
    if raw[:1] not in ("[", "{"):
        return False
    close = "]" if raw[0] == "[" else "}"
    if (missing := raw.count(raw[0]) - raw.count(close)) <= 0:
        return False
    for n in range(1, missing + 1):  # [a, '[b': one closes it, the other [ is in a quoted text
        with contextlib.suppress(yaml.YAMLError):
            if isinstance(yaml.safe_load(raw + close * n), (list, dict)):
                return True
    return False


def _fitting(near: list[str] | None, value: Any, cls: type) -> list[str] | None:
    """An override's hint ``near``, or None where ``value`` does not fit it (``config.fits``): encoder=lora is no
    model.encoders=lora, llm=lora no model.llm, steps=3 no model.stems=3, trainer=3 no data.train=3 (a file's path)."""
    return near if near and fits(value, _annotation(cls, near)) else None  # trainer=3: no data.train


def apply_overrides(data: dict[str, Any], overrides: list[str], cls: type | None = None,
                    source: str = "the config it overrides", typed_in: str | None = None,
                    set_by: Callable[[str], str | None] | None = None) -> dict[str, Any]:
    """Set dotted keys in a nested dict. With ``cls``, unknown keys fail here with the valid keys listed,
    and a text field takes its value as written (``_as_written``). A key set below a value that is no
    mapping (``optim.lr=…`` over a file's ``optim: fast``) fails, naming ``source``, where ``data`` came from.
    ``typed_in``: where the user typed ``overrides`` (``"command line"``), said after the override a refusal names,
    as a later check's refusal says it (``override 'x=1' (command line): …``); None (words a program wrote, a
    build.yaml's ``extra``, whose caller names them) says none. ``set_by``: the file that set a dotted key
    (``config_hints.set_in``: the file or one of its ``base:`` files), named by the warning of a section given whole."""
    try:
        return _apply(data, overrides, cls, source, set_by)
    except ConfigError as e:
        if (labelled := typed(e, overrides, typed_in)) is e:
            raise  # as raised, its own cause kept ("raise e from e" made it its own)
        raise labelled from e


def typed(error: ConfigError, overrides: list[str], typed_in: str | None) -> ConfigError:
    """``error``, which opens naming one of ``overrides`` (``override 'x=1': …``), with `` (TYPED_IN)`` after it
    where it says no place there yet; ``error`` itself otherwise."""
    said = str(error)
    hit = next((o for o in overrides if said.startswith(f"override {o!r}")), None)
    if not typed_in or hit is None or said[len(f"override {hit!r}"):].startswith(" ("):
        return error
    at = len(f"override {hit!r}")
    return ConfigError(f"{said[:at]} ({typed_in}){said[at:]}", keys=error.keys, evals=error.evals)


def _apply(data: dict[str, Any], overrides: list[str], cls: type | None, source: str,
           set_by: Callable[[str], str | None] | None = None) -> dict[str, Any]:
    """``apply_overrides``' work: its refusals name the override as ``override 'K=V'``."""
    for n, text in enumerate(overrides):
        if (spaced := spaced_hint(overrides, n, cls)) is not None:
            raise ConfigError(spaced)
        path, raw = split_override(text)
        leaf = _annotation(cls, path) if cls is not None else None
        as_text = _unwrap_optional(leaf)[0] is str
        try:
            value = _as_written(text, raw) if as_text else _yaml_value(text, raw)
        except ConfigError as e:  # bands=[R,G],max_steps=3: not valid YAML, two overrides in one
            raise ConfigError(f"{e}{joined_hint(text, cls) if cls is not None else ''}") from e
        if as_text and isinstance(value, str) and raw.strip()[:1] not in ("'", '"') \
                and len(parts := _split_form(text, cls)) > 1:  # out_dir=runs/a,max_steps=3: a text, taken whole unsaid
            warnings.warn(f"override {text!r}: {'.'.join(path)} is set to the one text {value!r}; if that was "
                          f"several overrides, give {_per_argument(text, parts)}", stacklevel=3)
        node, node_cls = data, cls
        for i, part in enumerate(path):
            if i < len(path) - 1 and cls is not None:  # a key below a number or text: say so, not "expected float"
                tp = _unwrap_optional(_annotation(cls, path[: i + 1]))[0]
                if tp in (int, float, bool, str) or typing.get_origin(tp) in (list, tuple) or tp in (list, tuple):
                    kind = getattr(typing.get_origin(tp) or tp, "__name__", str(tp))
                    raise ConfigError(f"override {text!r}: {'.'.join(path[: i + 1])} is "
                                      f"a{'n' * (kind == 'int')} {kind} and has no key {path[i + 1]!r}")
            if node_cls is not None and dataclasses.is_dataclass(node_cls):
                ftypes = _field_types(node_cls)
                if part not in ftypes:
                    if _moved_to(node_cls, part):
                        raise ConfigError(f"override {text!r}: {'.'.join(path[: i + 1])} has moved to "
                                          f"{_moved_to(node_cls, part)}")
                    keys_at = lambda at: _keys_at(cls, at)  # noqa: E731
                    if evals := no_eval(path, keys_at):  # eval.steps: not max_steps
                        raise ConfigError(f"override {text!r}: "
                                          + no_eval_refusal(['.'.join(path[: i + 1])], node_cls.__name__, evals))
                    item = re.fullmatch(r"(\w+)\[\d+\]", part)  # data.extra[0].path=x
                    tp = _unwrap_optional(ftypes[item[1]])[0] if item and item[1] in ftypes else None
                    kind = typing.get_origin(tp) or tp  # optim.lr[0]: a float, was told to give the whole list
                    item = item if kind in (list, tuple, dict) else None
                    near = None
                    if not item:  # a list's item gets its own hint alone: it was optim.weight_decay's too
                        near = _fitting(exact_first(path, near_path(path, keys_at), keys_at), value, cls)  # lr
                        near = near or _fitting(leaf_near(path, keys_at), value, cls)  # lora_r=8: model.llm.lora_r
                    near, names = entry_named(near, data) if near else (near, "")  # model.encoders.NAME.x
                    raise ConfigError(
                        f"override {text!r}: unknown key {'.'.join(path[: i + 1])!r} for {node_cls.__name__}; "
                        f"valid keys at this level: {', '.join(sorted(ftypes))}"
                        + (f" (did you mean {'.'.join(near)}={raw}{names}?)" if near else "")
                        + no_key(node_cls, part, ".".join(path[:i]) + "." if i else "")
                        + (precision_flag(part, value, keys_at) if i == len(path) - 1 else "")
                        + (f" (a list's items are not set one by one: give the whole list, "
                           f"{'.'.join([*path[:i], item[1]])}=[…])" if item and kind is not dict else "")
                        + (f" ({'.'.join([*path[:i], item[1]])} is a mapping: its entries are set by name, "
                           f"{'.'.join([*path[:i], item[1], 'NAME', *path[i + 1:]])}={raw})" if kind is dict else "")
                    )
                sub_tp, _ = _unwrap_optional(ftypes[part])
                node_cls = sub_tp if dataclasses.is_dataclass(sub_tp) else None
            else:
                node_cls = None
            if i == len(path) - 1:
                if isinstance(value, dict):  # model.llm={lora_r: 8}: the recipe's llm.config was lost unsaid
                    def by(key: str, earlier: list[str] = overrides[:n]) -> str:
                        return _setter(key, earlier, source, set_by, cls)

                    if said := _whole_section(text, path, node.get(part), value, cls, by):
                        warnings.warn(said, stacklevel=3)
                node[part] = value
            else:
                nxt = node.get(part)
                if nxt is not None and not isinstance(nxt, dict):  # was replaced by {}: the value lost unsaid
                    held = _setter(".".join(path[: i + 1]), overrides[:n], source, set_by, cls)  # a base's: named
                    raise ConfigError(f"override {text!r}: {'.'.join(path[: i + 1])} is {nxt!r:.60} in {held}, "
                                      f"not a mapping to set {path[i + 1]!r} in; fix that value first",
                                      keys=(".".join(path[: i + 1]),))
                if nxt is None:
                    nxt = {}
                    node[part] = nxt
                node = nxt
    return data


def _setter(key: str, earlier: list[str], source: str, set_by: Callable[[str], str | None] | None,
            cls: type | None) -> str:
    """Who set dotted ``key`` last: the last of the ``earlier`` overrides that set it or a mapping holding it (or a
    key inside it), else ``set_by``'s file (a ``base:`` of the config file, or the file), else ``source``; a key no
    file sets is ``cls``'s default. Limits: an override that set only a key inside ``key`` counts as setting it."""
    if hit := [o for o in earlier if _overlap(split_override(o)[0], key.split("."))]:
        return f"the override {hit[-1]!r}"
    if set_by is None:
        return source
    return set_by(key) or f"the {getattr(cls, '__name__', 'config')} default"


def _overlap(a: list[str], b: list[str]) -> bool:
    """Whether dotted paths ``a`` and ``b`` are one, or one lies under the other (``optim`` and ``optim.eps``)."""
    return a[: len(b)] == b[: len(a)]


def _whole_section(text: str, path: list[str], held: Any, given: dict, cls: type | None,
                   by: Callable[[str], str]) -> str:
    """The warning for override ``text``, a mapping ``given`` for the section at ``path`` (a dataclass's, or an entry
    of a mapping of them) that replaces ``held``, what the config had there: the keys it leaves out whose values
    were not the defaults, which go back to them, each group named by ``by`` (who set a dotted key), and the
    ``KEY.sub=value`` overrides that change only what it names; "" where it drops none. A mapping of entries
    (``model.stems={…}``) given whole replaces, as docs say: not looked into. Limits: a section whose class has no
    default for a field counts its every key held."""
    tp = _unwrap_optional(_annotation(cls, path))[0] if cls is not None else None
    if not dataclasses.is_dataclass(tp) or not isinstance(held, dict) or _unknown_inside(given, tp):
        return ""  # a key it has not: refused after, by from_dict, and a warning beside that said too much
    try:
        default = to_dict(tp())
    except TypeError:
        default = {}
    dropped = _dropped(held, given, default, tp)
    if not dropped:
        return ""
    key, groups = ".".join(path), {}
    for k in dropped:  # by who set it: the file, a base: of it, an override before this one
        groups.setdefault(by(f"{key}.{k}"), []).append(k)
    shown = ", and ".join(", ".join(keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")
                          + f", as set by {who}" for who, keys in groups.items())
    many, one_by_one = len(dropped) > 1, _one_by_one(key, given, tp)
    advice = (f"to change only what it names, give {' '.join(one_by_one)}" if one_by_one  # optim={}: "give " alone
              else f"it names nothing: to keep {'them' if many else 'it'}, leave the override out")
    return (f"override {text!r}: a mapping given whole replaces {key}, so {shown}, "
            f"{'go back to their defaults' if many else 'goes back to its default'}; {advice}")


def _unknown_inside(given: dict, tp: type) -> bool:
    """Whether ``given``, a mapping for a section of class ``tp``, holds a key it has not at any depth, through
    sections and mappings of them (``model={llm: {lora_rank: 8}}``, ``model={stems: {sar: {bnds: [VV]}}}``)."""
    ftypes = _field_types(tp)
    for k, v in given.items():
        if k not in ftypes:
            return True
        sub = _unwrap_optional(ftypes[k])[0]
        entry = typing.get_args(sub)[-1] if typing.get_origin(sub) is dict else None  # model.stems' StemConfig
        if not isinstance(v, dict):
            continue
        if dataclasses.is_dataclass(sub) and _unknown_inside(v, sub) or dataclasses.is_dataclass(entry) and any(
                isinstance(e, dict) and _unknown_inside(e, entry) for e in v.values()):
            return True
    return False


def _dropped(held: dict, given: dict, default: dict, tp: type, at: str = "") -> list[str]:
    """The dotted keys (below ``at``) of ``held`` that ``given`` leaves out and whose value is not ``default``'s,
    through sections both hold (``llm.config`` of a ``model={llm: {…}}``)."""
    ftypes, out = _field_types(tp), []
    for k, v in held.items():
        sub = _unwrap_optional(ftypes.get(k))[0] if k in ftypes else None
        if k not in given:
            out += [f"{at}{k}"] if v != default.get(k) else []
        elif dataclasses.is_dataclass(sub) and isinstance(v, dict) and isinstance(given[k], dict):
            below = default.get(k) if isinstance(default.get(k), dict) else {}
            out += _dropped(v, given[k], below, sub, f"{at}{k}.")
    return out


def _one_by_one(key: str, given: dict, tp: type) -> list[str]:
    """``given``, a mapping for section ``key`` of class ``tp``, as one ``KEY.sub=value`` override per key (through
    sections; a mapping field's value given whole, in YAML's flow form)."""
    ftypes, out = _field_types(tp), []
    for k, v in given.items():
        sub = _unwrap_optional(ftypes.get(k))[0] if k in ftypes else None
        if isinstance(v, dict) and v and dataclasses.is_dataclass(sub):
            out += _one_by_one(f"{key}.{k}", v, sub)
            continue
        flow = v if isinstance(v, str) else yaml.safe_dump(v, default_flow_style=True, width=10**6)
        out.append(f"{key}.{k}={str(flow).removesuffix(chr(10)).removesuffix(chr(10) + '...')}")
    return out


def spaced_hint(overrides: list[str], n: int, cls: type | None = None) -> str | None:
    """The refusal of ``overrides[n]`` and the bare word after it where the shell parted one override at a space
    (``scene.size 64``, ``scene.size =64``, ``scene.size= 64``; ``scene.size = 64``, three words), joining them;
    None elsewhere. The word after is no key=value (no ``=`` but at its start), so the pair failed as two anyway;
    with ``cls``, the first is a key of it (two stray words, ``optical sar``, are not told to give optical=sar)."""
    text, words = overrides[n], overrides[n + 1:n + 3] if overrides[n + 1:n + 2] == ["="] else overrides[n + 1:n + 2]
    after, key = words[-1] if words else "", text.rstrip("=").strip().lstrip("-").split(".")
    if not after.lstrip("=") or "=" in after.lstrip("=") or "=" in text.rstrip("=") or (
            text.endswith("=") and words[0].startswith("=")) or (cls and not is_key(key, lambda p: _keys_at(cls, p))):
        return None
    return (f"override {text!r} and the word{'s' * (len(words) > 1)} after it, {', '.join(map(repr, words))}, are one "
            f"override parted by {'spaces' if len(words) > 1 else 'a space'}: give {text.rstrip('=')}="
            f"{after.lstrip('=')} (no spaces around =)")


def joined_hint(text: str, cls: type) -> str:
    """Where override ``text`` holds others after commas (``optim.lr=1e-4,max_steps=3``: a value of
    ``1e-4,max_steps=3``), each ``,KEY=`` a key of ``cls``: the end of its refusal, saying to give one key=value per
    argument, split; "" otherwise (a list's ``[a,b]`` or a text's comma names no key)."""
    parts = _split_form(text, cls)
    return f"; {_per_argument(text, parts)}" if len(parts) > 1 else ""


def _per_argument(text: str, parts: list[str]) -> str:
    """What to give for override ``text`` that holds ``parts``: "one key=value per argument: …", said to be given
    unquoted where a space parts them (``"optim.lr=1e-4 max_steps=3"`` quoted as one reads as what was typed)."""
    spaced = any(not text[: text.index(p)].rstrip().endswith(",") for p in parts[1:] if p in text)
    return f"one key=value per argument{' (not quoted together)' if spaced else ''}: {' '.join(parts)}"


def _split_form(text: str, cls: type) -> list[str]:
    """Override ``text`` cut before each ``,KEY=`` or `` KEY=`` (one argument quoted whole in a script: ``"optim.lr=1e-4
    max_steps=3"``) whose KEY is a key of ``cls`` (``out_dir=a,max_steps=3`` → ``["out_dir=a", "max_steps=3"]``);
    ``[text]`` where none is."""
    cuts = [m.start() for m in re.finditer(r"(?:,|\s)\s*-*([\w.]+)=", text)
            if is_key(m[1].split("."), lambda at: _keys_at(cls, at))]
    return [text[a:b].strip(", \t\n") for a, b in zip([0, *cuts], [*cuts, len(text)])]


@contextlib.contextmanager
def warnings_as_lines(who: str, say: bool = True):
    """Within (``load_config`` with the overrides): a warning (an override holding ``,KEY=``) is said on leaving as
    one ``WHO: warning: …`` line, not Python's two-line UserWarning; ``say``: False on a launcher's other ranks.
    ``rsvlm train`` and scripts/launch.py read the recipe within it."""
    with warnings.catch_warnings(record=True) as said:
        warnings.filterwarnings("always", category=UserWarning)  # as cli's: no library's deprecation
        try:
            yield
        finally:
            for w in said if say else ():
                print(f"{who}: warning: {w.message}", file=sys.stderr)


def override_named(message: str, overrides: list[str], source: str | None = "command line") -> str | None:
    """``"override 'modalities=[sar,radar]' (command line)"``: the last of ``overrides`` (key=value words as typed)
    that set the dotted key ``message`` begins with (a later check's refusal, ``modalities ['radar']: each must
    be …``), or a key under it, as the start of that refusal; None where none did. An option's ``KEY=`` stand-in
    (no value: ``--modalities``, named by the option itself) is none. ``source``: where the words came from
    (None: the caller says it, as build.yaml's ``extra.data``)."""
    if (key := refused_key(message)) is None:
        return None
    hits = [o for o in overrides if "=" in o and not o.endswith("=") and any(
        f"{key}.".startswith(f"{at}.") or at.startswith(f"{key}.") for at in [".".join(split_override(o)[0])])]
    if not hits:
        return None
    return f"override {hits[-1]!r}" + (f" ({source})" if source else "")
