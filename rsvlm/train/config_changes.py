"""A resumed run's config against its step folder's ``train_config.yaml``: the settings it changes, by key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# keys that say where and how often to write, not what is trained: free to change on resume
BOOKKEEPING = ("out_dir", "ckpt.", "log.", "overwrite", "slow_step_s", "data.num_workers", "dist.backend",
               "dist.timeout_s", "device")


def flat_keys(tree, prefix: str = "") -> dict:
    """A nested dict as {dotted key: leaf value}."""
    if not isinstance(tree, dict):
        return {prefix[:-1]: tree}
    out = {}
    for k, v in tree.items():
        out.update(flat_keys(v, f"{prefix}{k}."))
    return out


@dataclass(frozen=True)
class Change:
    """One setting a resumed run changes from its step folder's ``train_config.yaml``."""

    key: str  # dotted, e.g. "model.llm.lora_r"
    old: object  # the step folder's value (None: not set there)
    new: object  # this run's

    def __str__(self) -> str:  # the one spelling of a change in messages
        return f"{self.key}: {self.old!r} → {self.new!r}"


def config_changes(folder: Path, cfg) -> list[Change]:
    """Each setting this run changes from the step folder's ``train_config.yaml``, by key (bookkeeping
    keys left out); empty when the folder has no config."""
    from rsvlm.config import load_config, to_dict

    path = Path(folder) / "train_config.yaml"
    if not path.is_file():
        return []
    return [c for c in tree_changes(to_dict(load_config(type(cfg), path)), to_dict(cfg))
            if not c.key.startswith(BOOKKEEPING)]


def tree_changes(old_tree: dict, new_tree: dict) -> list[Change]:
    """Each dotted key whose leaf differs between two nested dicts, sorted by key."""
    old, new = flat_keys(old_tree), flat_keys(new_tree)
    return [Change(k, old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]
