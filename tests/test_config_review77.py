"""Review 77 (RG) of stop 77's configs and JSONL records: a key given twice with one value is no refusal (nothing
lost), keys and key names quoted in texts are no second key, a lone surrogate in a turn is refused naming its record,
a Windows path never picks another file than the one named, and a merge key's line is the line written."""

from __future__ import annotations

import json

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.config_bases import key_line
from rsvlm.data.image_names import resolve_name
from rsvlm.data.records import RecordError, load_records
from rsvlm.data.records_shape import key_given_twice
from rsvlm.train.config import TrainConfig

TURNS = [{"from": "human", "value": "<image>\n[vqa] Is there a ship?"}, {"from": "gpt", "value": "yes"}]


def _file(tmp_path, *lines: str):
    path = tmp_path / "r.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_key_given_twice_with_the_same_value_loads_as_before(tmp_path):
    line = f'{{"id": 1, "task": "vqa", "image": "a.tif", "conversations": {json.dumps(TURNS)}, "task": "vqa"}}'
    assert key_given_twice(line, json.loads(line)) is None
    recs, report = load_records(_file(tmp_path, line))
    assert [r["task"] for r in recs] == ["vqa"] and report.n_skipped == 0
    differ = line.replace('"task": "vqa"}', '"task": "det"}')  # 1 and true differ too (json.dumps, not ==)
    assert key_given_twice(differ, json.loads(differ))[0] == "task"
    ones = '{"id": 1, "meta": {"n": 1, "id": 2, "n": true}}'
    assert key_given_twice(ones, json.loads(ones))[1].startswith("key 'n' of an object in the record given twice (1,")


@pytest.mark.parametrize("value", [
    'What does "task": "det", "id": 3 mean?',  # key names quoted in a text: \"task\"
    '"task',  # a text opening with a quote and ending in the key's name: "\"task" holds "task"
    "task", "id", "conversations",  # a value that is a key's name: counted twice, parsed again, no second key
    "\\\"value\\\"",  # backslashes before the quotes
])
def test_key_names_in_a_records_texts_are_never_a_second_key(tmp_path, value):
    turns = [{"from": "human", "value": "<image>\n" + value}, {"from": "gpt", "value": value}]
    line = json.dumps({"id": 1, "image": "a.tif", "conversations": turns, "meta": {"note": value, "id": "x"}})
    assert key_given_twice(line, json.loads(line)) is None
    recs, report = load_records(_file(tmp_path, line))
    assert len(recs) == 1 and report.n_skipped == 0


def test_a_key_written_with_unicode_escapes_is_refused_as_given_twice(tmp_path):
    line = f'{{"id": 1, "task": "det", "image": "a.tif", "conversations": {json.dumps(TURNS)}, "\\u0074ask": "vqa"}}'
    with pytest.raises(RecordError, match=r":1: field 'task': given twice \('det', then 'vqa'\)"):  # stop 78: seen
        load_records(_file(tmp_path, line))


def test_a_lone_surrogate_in_a_turn_is_refused_naming_the_record_and_counted(tmp_path):
    bad = json.dumps({"id": 2, "image": "a.tif", "conversations": [TURNS[0], {"from": "gpt", "value": "ye\ud800s"}]})
    assert "\\ud800" in bad
    pair = json.dumps({"id": 3, "image": "a.tif", "conversations": [TURNS[0], {"from": "gpt", "value": "\U0001f6a2"}]})
    path = _file(tmp_path, json.dumps({"id": 1, "image": "a.tif", "conversations": TURNS}), bad, pair)
    with pytest.raises(RecordError) as e:
        load_records(path)
    assert str(e.value) == (f"{path}:2 (id 2): field 'conversations[1].value': holds a lone surrogate U+D800 (a JSON escape "
                            "of half a character), which no tokenizer takes")
    recs, report = load_records(path, strict=False)
    assert [r["id"] for r in recs] == ["1", "3"] and report.skipped == {"bad field conversations[].value": 1}


def test_a_backslash_name_never_resolves_to_another_file_than_one_named(tmp_path):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs\\a.tif").write_bytes(b"posix")  # a POSIX file named with the backslash
    assert resolve_name("imgs\\a.tif", tmp_path) == tmp_path / "imgs\\a.tif"  # no imgs/a.tif: itself
    (tmp_path / "imgs" / "a.tif").write_bytes(b"windows")
    assert resolve_name("imgs\\a.tif", tmp_path) == tmp_path / "imgs\\a.tif"  # both: the one named, as written
    assert resolve_name("imgs/a.tif", tmp_path) == tmp_path / "imgs" / "a.tif"  # a slash is never a backslash


def test_a_merge_keys_value_names_the_line_it_is_written_on(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("max_steps: 3\noptim:\n  <<: {lr: 1.0e-4,\n       warmup_steps: many}\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    assert str(e.value) == f"{path}: optim.warmup_steps: expected int, got 'many' (line 4 of r.yaml)"
    path.write_text("seed: &s 1\noptim: &o\n  <<: *o\n  lr: 1\n")  # merged into itself: no endless look
    assert key_line(path, "optim.warmup_steps") == 2 and key_line(path, "optim.lr") == 4
    path.write_text("a: &b {warmup_steps: 1}\noptim:\n  <<: [*b, {lr: 2}]\n")
    assert key_line(path, "optim.warmup_steps") == 1 and key_line(path, "optim.lr") == 3
