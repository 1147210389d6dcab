"""Stop 80: a records tour (DESIGN.md "Instruction record"): a BOM, CRLF line ends, a last line without its end are
read; a record split over two lines is refused, both its lines counted and said to be one record split; a repeated
id is kept and counted."""

import json

import pytest

from rsvlm.data.records import RecordError, load_records


def _rec(rid):
    return json.dumps({"id": rid, "images": [{"path": "images/x.png", "modality": "optical"}],
                       "conversations": [{"from": "human", "value": "<image>\n[cls] What scene?"},
                                         {"from": "gpt", "value": "forest"}]})


@pytest.mark.parametrize("text", [
    "\ufeff" + _rec("a") + "\n" + _rec("b") + "\n",  # a Windows editor's BOM
    _rec("a") + "\r\n" + _rec("b") + "\r\n",  # CRLF
    _rec("a") + "\n" + _rec("b"),  # no end to the last line
    _rec("a") + "\n\ufeff" + _rec("b") + "\n",  # two such files joined by cat
])
def test_line_ends_and_a_bom_read_every_record(tmp_path, text):
    path = tmp_path / "r.jsonl"
    path.write_bytes(text.encode())
    recs, report = load_records(path)
    assert [r["id"] for r in recs] == ["a", "b"] and report.n_skipped == 0


def test_a_record_split_over_two_lines_is_said_to_be_split_at_both_lines(tmp_path):
    """Both halves were 'not valid JSON (Expecting value …)' and '(Extra data …)', which said nothing of a record
    written over two lines (a pretty-printer, a hand edit)."""
    path = tmp_path / "r.jsonl"
    b = _rec("b")
    path.write_text(_rec("a") + "\n" + b[:60] + "\n" + b[60:] + "\n" + _rec("c") + "\n")
    recs, report = load_records(path, strict=False)
    assert [r["id"] for r in recs] == ["a", "c"] and report.skipped == {"invalid JSON": 2}
    head, tail = report.examples
    assert head.startswith(f"{path}:2: not valid JSON (") and head.endswith(
        "; the line ends before its record does: cut short, or one record split over lines? (JSONL holds each "
        "record on one line: jq -c)")
    assert tail.startswith(f"{path}:3: not valid JSON (") and tail.endswith(
        "; the line closes a record it does not open: the rest of one record split over lines? (JSONL holds each "
        "record on one line: jq -c)")
    with pytest.raises(RecordError, match=r"r\.jsonl:2: .*one record split over lines"):
        load_records(path)


@pytest.mark.parametrize("line", ["not json", "{bad", '{"id": "a"} {"id": "b"}', "junk", '{"id": "b", "x": 1,}',
                                  'data: {"id": "b"}', ',{"id": "b"}', 'x = {"id": "b"}'])  # a whole record after text
def test_other_bad_lines_get_no_split_hint(tmp_path, line):
    path = tmp_path / "r.jsonl"
    path.write_text(_rec("a") + "\n" + line + "\n")
    _, report = load_records(path, strict=False)
    assert report.n_skipped == 1 and "split over lines" not in report.examples[0]


def test_a_repeated_id_is_kept_and_counted_with_its_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(_rec("a") + "\n" + _rec("b") + "\n" + _rec("a") + "\n")
    recs, report = load_records(path)
    assert len(recs) == 3 and report.duplicates == 1
    assert f"1 kept with an id already read (the first repeat: 'a' at {path}:3)" in report.summary()


def test_a_cut_last_line_is_said_cut_short_first(tmp_path):
    """The file's last line, cut by a crash: the head's hint, which says 'cut short' before 'split'."""
    path = tmp_path / "r.jsonl"
    path.write_text(_rec("a") + "\n" + _rec("b")[:70])
    _, report = load_records(path, strict=False)
    assert report.n_skipped == 1 and "; the line ends before its record does: cut short, or" in report.examples[0]
