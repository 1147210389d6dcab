"""Tour 63 (converters): a LLaVA JSONL answer holding U+2028, a JSON file cut short."""

from __future__ import annotations

import json

import pytest
from convert_helpers import convert, png

from data_gen.convert.common import ConversionError


def test_llava_jsonl_with_a_line_separator_inside_an_answer_is_one_record(tmp_path):
    """``json.dumps(ensure_ascii=False)`` writes U+2028 and U+0085 as they are: ``splitlines()`` ended the
    line there, so the record was three ``unparsable_record`` and the next one was said to be on line 4."""
    png(tmp_path / "imgs" / "a.png", 32, 32)
    turns = [{"from": "human", "value": "<image>\nWhat is this?"}]
    recs = [{"id": "a", "image": "a.png", "conversations": [*turns, {"from": "gpt", "value": "A port\u2028ships\x85."}]},
            {"id": "b", "image": "a.png", "conversations": [*turns, {"from": "gpt", "value": "A field"}]}, "not a record"]
    src = tmp_path / "r.jsonl"
    src.write_text("\r\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\r\n", encoding="utf-8")
    stats, out = convert(tmp_path / "out", "llava", "--src", str(src), "--images", str(tmp_path / "imgs"))
    assert [r["id"] for r in out] == ["a", "b"] and out[0]["conversations"][1]["value"] == "A port\u2028ships\x85."
    assert stats["skipped"] == {"unparsable_record": 1}
    assert stats["skipped_examples"]["unparsable_record"].startswith(f"{src}:3: ")


@pytest.mark.parametrize("fmt", ["llava", "coco"])
def test_a_json_file_cut_short_is_said_to_end_inside_a_value(tmp_path, fmt):
    """A download stopped midway said only 'Unterminated string starting at: line 1 column …'."""
    png(tmp_path / "imgs" / "a.png", 32, 32)
    whole = json.dumps([{"id": "a", "image": "a.png", "conversations": []}] if fmt == "llava" else
                       {"images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 32}], "annotations": []})
    src = tmp_path / "a.json"
    src.write_text(whole[: whole.index("a.png") + 2])
    flag = "--src" if fmt == "llava" else "--ann"
    with pytest.raises(ConversionError, match=rf"{src}: .*line 1 column \d+ .*cut short\?"):
        convert(tmp_path / "out", fmt, flag, str(src), "--images", str(tmp_path / "imgs"))
    src.write_text(whole.replace('"id"', "'id'", 1))  # invalid, not cut short: no such guess
    with pytest.raises(ConversionError, match=rf"{src}: .*line 1 column \d+") as e:
        convert(tmp_path / "out2", fmt, flag, str(src), "--images", str(tmp_path / "imgs"))
    assert "cut short" not in str(e.value)
