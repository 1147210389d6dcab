"""Reading a config file's YAML safely (``rsvlm.config.load_yaml`` uses these): ``yaml_values`` counts what the
aliases expand to before anything is built, ``UniqueKeyLoader`` refuses a key named twice, ``quoted_scalars`` finds a
number or true/false written in quotes where the dataclass wants a number. Limits: they see one file, not its bases."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import yaml

from rsvlm.config_values import quoted_kind


def yaml_values(node: yaml.Node, seen: dict[int, int] | None = None) -> int:
    """The values ``node`` stands for once its aliases are expanded (each use of ``*name`` counts its anchor's
    values again), counted on the composed nodes: nine lines of nested aliases stand for 10**8 values, which
    building the data (or printing it in an error) would hold in memory. A recursive anchor counts once."""
    seen = {} if seen is None else seen
    if id(node) in seen:
        return seen[id(node)]
    seen[id(node)] = 1  # while its own children are counted: a recursive anchor (&a [*a]) adds 1
    kids = node.value if isinstance(node, yaml.SequenceNode) else [
        n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else []
    seen[id(node)] = total = 1 + sum(yaml_values(k, seen) for k in kids)
    return total


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader, refusing a mapping that names a key twice (it keeps the last silently,
    so a second ``optim:`` section dropped every setting of the first)."""

    def construct_mapping(self, node, deep=False):
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # "<<: *anchor" merges, it is no key
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, typing.Hashable) and key in first:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found key {key!r} a second time (first at line {first[key] + 1})",
                    key_node.start_mark)
            if isinstance(key, typing.Hashable):
                first[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def quoted_scalars(node: yaml.Node, tp: Any, at: str, found: list[tuple[str, yaml.ScalarNode, str]]) -> None:
    """Append to ``found`` each quoted scalar below ``node`` (its dotted key, its node, what it would be) whose
    place in annotation ``tp`` wants what its text, unquoted, would be (``quoted_kind``): ``sar_looks: "4"``."""
    from rsvlm.config import _field_types, _unwrap_optional  # it imports this module

    tp = _unwrap_optional(tp)[0]
    if isinstance(node, yaml.ScalarNode):
        quoted = node.style in ("'", '"') and node.tag == "tag:yaml.org,2002:str"  # !!float "1e-4" is a float
        if quoted and (kind := quoted_kind(node.value, tp)):
            found.append((at, node, kind))
    elif isinstance(node, yaml.MappingNode):
        args = typing.get_args(tp) if typing.get_origin(tp) is dict else ()
        types_ = _field_types(tp) if dataclasses.is_dataclass(tp) else {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and (sub := types_.get(key.value, args[-1] if args else None)):
                quoted_scalars(value, sub, f"{at}.{key.value}" if at else key.value, found)
    elif isinstance(node, yaml.SequenceNode) and typing.get_origin(tp) in (list, tuple) and (args := typing.get_args(tp)):
        for i, item in enumerate(node.value):
            several = typing.get_origin(tp) is tuple and args[-1] is not Ellipsis
            quoted_scalars(item, args[i] if several and i < len(args) else args[0], f"{at}[{i}]", found)
