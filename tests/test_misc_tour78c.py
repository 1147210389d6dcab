"""Tour 78c (misc): the records reader and eval's predictions reader named a JSONL line that is no object from two
copies of one table, which drifted ("JSON null" against "a JSON null"): one table now (``records_shape.JSON_KINDS``).
``value_blamed``'s two-key rule (a refusal of two keys opened with the override typed for the second where none set
the first) was ``rsvlm train``'s ``recipe_values``' alone: every caller of value_blamed has it now."""

from __future__ import annotations

import json
import re

import pytest

from eval.pred_file import load_predictions
from rsvlm.config_bases import value_blamed
from rsvlm.data.records import RecordError, load_records

TURNS = [{"from": "human", "value": "<image>\n[vqa] Is there a ship?"}, {"from": "gpt", "value": "yes"}]
LINES = [("[1, 2]", "a JSON array"), ('"r1 yes"', "a JSON string"), ("3", "a JSON number"), ("2.5", "a JSON number"),
         ("true", "a JSON true or false"), ("null", "JSON null")]


def _records_kind(tmp_path, line: str) -> str:
    path = tmp_path / "r.jsonl"  # a record first: a file opening with [ is a JSON array of records
    path.write_text(json.dumps({"id": 0, "image": "a.tif", "conversations": TURNS}) + "\n" + line + "\n",
                    encoding="utf-8")
    with pytest.raises(RecordError) as e:
        load_records(path)
    return re.fullmatch(rf"{re.escape(str(path))}:2: a record must be a JSON object .*, got (.+)", str(e.value))[1]


def _predictions_kind(tmp_path, line: str) -> str:
    path = tmp_path / "p.jsonl"
    path.write_text(line + "\n" + json.dumps({"id": "r0", "task": "vqa", "answer": "yes"}) + "\n", encoding="utf-8")
    [said] = load_predictions(path).bad_examples
    return re.fullmatch(rf"{re.escape(str(path))}:1: not an object with an 'id' \((.+), where a prediction is one "
                        r"\{\"id\", \"task\", \"answer\"\} object a line\)", said)[1]


@pytest.mark.parametrize("line, kind", LINES)
def test_both_readers_name_a_line_that_is_no_object_alike(tmp_path, line, kind):
    assert _records_kind(tmp_path, line) == _predictions_kind(tmp_path, line) == kind


def test_an_empty_prediction_object_is_named_as_one(tmp_path):
    assert _predictions_kind(tmp_path, "{}") == "a JSON object without keys"


TWO_KEYS = "clip.text_width=64 must be a multiple of clip.text_heads=3"


@pytest.fixture
def recipe(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("seed: 1\nclip:\n  text_width: 64\n  text_heads: 4\n", encoding="utf-8")
    return path


def test_value_blamed_names_the_override_typed_for_a_refusals_second_key(recipe):
    """It blamed the file's line of text_width, a value the run kept, where the slip was the override typed."""
    assert value_blamed(TWO_KEYS, recipe, ["seed=2", "clip.text_heads=3"]) == \
        f"override 'clip.text_heads=3' (command line): {TWO_KEYS}"
    assert value_blamed(TWO_KEYS, None, ["clip.text_heads=5", "clip.text_heads=3"]) == \
        f"override 'clip.text_heads=3' (command line): {TWO_KEYS}"  # the last typed, as load_config keeps it


@pytest.mark.parametrize("overrides, opens", [
    (["clip.text_width=64", "clip.text_heads=3"], "override 'clip.text_width=64' (command line)"),  # the first's
    (["seed=2"], None),  # none typed for a key it names: the file's line
    ([], None),
    (["clip.text_heads="], None),  # an option's KEY= stand-in names no override
])
def test_value_blamed_keeps_the_first_keys_override_and_the_files_line(recipe, overrides, opens):
    want = f"{opens}: {TWO_KEYS}" if opens else f"{recipe}: {TWO_KEYS} (line 3 of r.yaml)"
    assert value_blamed(TWO_KEYS, recipe, overrides) == want
