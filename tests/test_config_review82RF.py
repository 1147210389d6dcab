"""Review 82 (RF) of tour 82 F's list hints (03f7f66e).

That commit took a tuple's parentheses and YAML's mapping of nulls (``{0.9, 0.95}``) out of the list it advises for a
list of numbers, but not for a list of mappings, whose hint is built apart: ``data.extra={a.jsonl, b.jsonl}`` advised
``[{a.jsonl: None, b.jsonl: None}]`` (a mapping of null keys again, refused the same) and ``data.extra=(a.jsonl,
b.jsonl)`` advised ``[{path: (a.jsonl}, {path: b.jsonl)}]``. Its comma hint for ``[0.9 0.95]`` said ``0.9,, 0.95``
for an item in quotes holding a comma (``['0.9, 0.95']``). Each hint here is also given back as the override.
"""
from __future__ import annotations

import re

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.train.config import TrainConfig

RECIPE = "configs/train/sft_tiny.yaml"


def _refusal(override: str) -> str:
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, RECIPE, [override])
    return str(e.value)


@pytest.mark.parametrize("value", ["{a.jsonl, b.jsonl}", "(a.jsonl, b.jsonl)", "( a.jsonl,b.jsonl )",
                                   "a.jsonl, b.jsonl"])
def test_a_list_of_mappings_written_otherwise_is_advised_as_one_that_loads(value):
    said = _refusal(f"data.extra={value}")
    assert said.endswith("(a list of mappings, each a SourceConfig: [{path: a.jsonl}, {path: b.jsonl}])"), said
    advised = re.search(r"SourceConfig: (\[.*\])\)$", said)[1]
    cfg = load_config(TrainConfig, RECIPE, [f"data.extra={advised}"])
    assert [s.path for s in cfg.data.extra] == ["a.jsonl", "b.jsonl"]


@pytest.mark.parametrize("value, advised", [("{path: a.jsonl, weight: 2}", "[{path: a.jsonl, weight: 2}]"),
                                            ("{a.jsonl: 2, b.jsonl}", "[{a.jsonl: 2, b.jsonl: None}]")])
def test_a_mapping_with_values_is_still_advised_as_one_item(value, advised):
    assert _refusal(f"data.extra={value}").endswith(f"SourceConfig: {advised})")


@pytest.mark.parametrize("item, end", [("'0.9, 0.95'", ", outside quotes: 0.9, 0.95)"),
                                       ("'0.9,0.95'", ", outside quotes: 0.9, 0.95)"),
                                       ("0.9 0.95", ": 0.9, 0.95)")])
def test_an_item_of_two_numbers_is_advised_as_two_items_that_load(item, end):
    said = _refusal(f"optim.betas=[{item}]")
    assert said.endswith(f"(a list's items are parted by commas{end}"), said
    advised = said.rsplit(": ", 1)[1].removesuffix(")")
    assert load_config(TrainConfig, RECIPE, [f"optim.betas=[{advised}]"]).optim.betas == [0.9, 0.95]
