"""Tour 61 (K): a records file whose first line opens a JSON object without closing it (a ``{"data": [``
wrapper, a record pretty-printed, a stray ``{`` above JSONL) was read whole into memory, with copies, to tell
these apart: 743 MB peak for a 150 MB JSONL; a file of many GB ran out of memory. Only a bounded head is read."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import pytest

from rsvlm.data import records_shape
from rsvlm.data.records import ReadReport, RecordError, read_records

ANSWER = "a residential area with many buildings and roads " * 8


def _rec(i: int) -> dict:
    return {"id": f"r{i}", "image": "a.tif", "conversations": [
        {"from": "human", "value": "<image>\n[cap] describe the scene"}, {"from": "gpt", "value": ANSWER}]}


def _lines(n: int) -> list[str]:
    return [json.dumps(_rec(i)) for i in range(n)]


def _write(path, text: str, how: str = "plain"):
    if how == "gzip":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-16" if how == "utf-16" else "utf-8")
    return path


def _peak(fn) -> tuple[object, int]:
    """(what ``fn`` gave, the most bytes Python held while it ran)."""
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _refusal(path) -> str:
    with pytest.raises(RecordError) as e:
        for _ in read_records(path, strict=False):
            pass
    return str(e.value)


@pytest.fixture
def small_head(monkeypatch):
    """A 64 KB read-ahead: files of a few MB stand for ones of many GB."""
    monkeypatch.setattr(records_shape, "HEAD_START", 1 << 12)
    monkeypatch.setattr(records_shape, "HEAD_CAP", 1 << 16)


@pytest.mark.parametrize("how", ["plain", "gzip", "utf-16"])
def test_a_stray_brace_above_jsonl_is_read_line_by_line_without_the_whole_file(tmp_path, small_head, how):
    lines = _lines(3000)  # ~1.4 MB
    lines[2500] = "{not json"
    path = _write(tmp_path / "r.jsonl", "{\n" + "\n".join(lines) + "\n", how)
    report = ReadReport(str(path))
    n, peak = _peak(lambda: sum(1 for _ in read_records(path, strict=False, report=report)))
    assert n == 2999 and report.n_skipped == 2, report.summary()
    assert report.examples[0].startswith(f"{path}:1: ") and report.examples[1].startswith(f"{path}:2502: ")
    assert peak < path.stat().st_size // 3 if how != "gzip" else peak < 1_400_000 // 3


@pytest.mark.parametrize("how", ["plain", "gzip"])
def test_a_wrapper_past_the_read_ahead_is_refused_naming_its_key_without_the_whole_file(tmp_path, small_head, how):
    body = ",\n".join(_lines(3000))
    path = _write(tmp_path / "w.json", '{"info": {"v": 1},\n "data": [\n' + body + "\n]}\n", how)
    msg, peak = _peak(lambda: _refusal(path))
    assert msg == (f"{path}: one JSON object, not JSONL or a JSON array of records; its list under 'data': "
                   "save the records list alone (jq '.data')")
    assert peak < 1_400_000 // 3


def test_the_first_record_pretty_printed_above_a_big_jsonl_is_refused_reading_its_head(tmp_path, small_head):
    path = _write(tmp_path / "p.jsonl", json.dumps(_rec(0), indent=2) + "\n" + "\n".join(_lines(3000)) + "\n")
    msg, peak = _peak(lambda: _refusal(path))
    assert msg == (f"{path}: records written over many lines each (the first over 14): give JSONL, a record a "
                   "line (`jq -c`), or a JSON array")
    assert peak < path.stat().st_size // 3


def test_an_object_past_the_read_ahead_with_no_list_of_records_is_refused_as_one_object(tmp_path, small_head):
    """Another JSON document (captions keyed by image) whose first object the read-ahead does not close: one
    object, not read as JSONL line by line (each line 'invalid JSON'); a record's fields among its keys: a record."""
    scenes = ",\n".join(f'  "s{i}.tif": {{"caption": "{ANSWER}"}}' for i in range(1000))
    path = _write(tmp_path / "d.json", '{"scenes": {\n' + scenes + "\n}}\n")
    assert _refusal(path).startswith(f"{path}: one JSON object (its first ")
    assert _refusal(path).endswith(" lines read without its end), not JSONL or a JSON array of records")
    turns = ",\n".join(json.dumps({"from": "human", "value": ANSWER}) for _ in range(1000))
    _write(path, '{"id": "big",\n "images": [{"path": "a.tif"}],\n "conversations": [\n' + turns + "\n]}\n")
    assert "one record written over more than " in _refusal(path)


@pytest.mark.parametrize("cut", [50, 2000])
def test_an_export_cut_short_is_refused_as_the_object_it_opens(tmp_path, small_head, cut):
    """A ``{"data": [`` export cut short (a download stopped) was read as JSONL, each line 'invalid JSON', where
    the whole file was read; it is refused as the wrapper it is, within the read-ahead or past it."""
    text = '{"data": [\n' + ",\n".join(_lines(3000)) + "\n]}\n"
    path = _write(tmp_path / "w.json", "\n".join(text.splitlines()[:cut]) + "\n")
    assert _refusal(path) == (f"{path}: one JSON object{' (the file ends before it closes: cut short?)' * (cut < 100)}"
                              ", not JSONL or a JSON array of records; its list under 'data': save the records "
                              "list alone (jq '.data')")
    line = json.dumps(_rec(0))
    path.write_text(line[:line.index("[") + 1] + "\n")  # a record's line cut after its turns' [
    assert _refusal(path) == (f"{path}: one record written over 1 line (the file ends before it closes: cut short?): "
                              "give JSONL (a record a line) or a JSON array of records")


def test_the_head_s_answer_is_the_whole_file_s_within_the_read_ahead(tmp_path):
    """What ``read_head`` reads of a small file answers as ``one_object`` did of the whole file (commits
    2b9cd22, c2011d8), the object's lines counted; its lines are all of the file, for reading as JSONL."""
    rec, other = _rec(0), {"scenes": [{"a": 1}], "v": 2}
    for text in [json.dumps(rec, indent=2), "\n".join(json.dumps(r, indent=1) for r in (rec, rec)),
                 json.dumps(other, indent=2), json.dumps(rec) + ",\n" + json.dumps(rec) + ",\n",
                 '{\n' + "\n".join(_lines(3)) + "\n", json.dumps(rec, indent=2) + "\n\n\n"]:
        first, *rest = text.splitlines(keepends=True)
        lines, problem = records_shape.read_head("f", first, iter([*rest, ""]).__next__)
        assert "".join(lines) == text and problem == records_shape.one_object("f", text), text


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("orient", ["columns", "index"])
def test_records_saved_by_pandas_to_json_without_orient_records_are_named_so(tmp_path, orient, indent):
    """``df.to_json("train.jsonl")`` (by column, pandas' default) was 'all 1 of its records are malformed (field
    'id': must be a string, got dict)', or pretty-printed 'one record written over 40 lines'; by row index
    'field id: missing' or 'one JSON object'. Named, with the call that writes JSONL."""
    recs = [_rec(0), _rec(1)]
    obj = ({k: {str(i): r[k] for i, r in enumerate(recs)} for k in recs[0]} if orient == "columns"
           else {str(i): r for i, r in enumerate(recs)})
    path = _write(tmp_path / "train.jsonl", json.dumps(obj, indent=indent) + "\n")
    by = "column" if orient == "columns" else "row index"
    assert _refusal(path) == (f"{path}: one JSON object of the records by {by} (pandas' DataFrame.to_json, "
                              "orient='records' not given): give JSONL, a record a line (df.to_json(path, "
                              "orient='records', lines=True))")


def test_a_json_text_sequence_from_jq_seq_names_its_record_separator(tmp_path):
    """``jq --seq`` opens each record with an invisible RS (0x1e): each line was 'not valid JSON (Expecting
    value at column 1)', a column 1 that shows nothing wrong."""
    path = _write(tmp_path / "r.jsonl", "".join("\x1e" + line + "\n" for line in _lines(2)))
    report = ReadReport(str(path))
    assert list(read_records(path, strict=False, report=report)) == [] and report.n_skipped == 2
    assert report.examples[0] == (f"{path}:1: not valid JSON (Expecting value at column 1); it opens with a record "
                                  "separator (\\x1e, jq --seq's): give JSONL (jq -c)")


def test_a_wrapper_on_one_long_line_is_refused_from_its_head(tmp_path, small_head):
    """``json.dump``'s export, ``{"data": [{…}, …]}`` on one line: its whole line was read and decoded to be
    refused (619 MB peak for 150 MB); its head tells. One big record on one line is still read whole."""
    path = _write(tmp_path / "w.json", '{"info": {"v": 1}, "data": [' + ", ".join(_lines(3000)) + "]}\n")
    msg, peak = _peak(lambda: _refusal(path))
    assert msg == (f"{path}: one JSON object, not JSONL or a JSON array of records; its list under 'data': "
                   "save the records list alone (jq '.data')")
    assert peak < path.stat().st_size // 3
    big = {**{k: v for k, v in _rec(0).items() if k != "image"}, "images": [{"path": f"t{i}.tif"} for i in range(5000)], "id": "big"}
    big["conversations"][0]["value"] = "<image>" * 4999 + big["conversations"][0]["value"]
    _write(path, "\n\n" + json.dumps(big) + "\n" + "\n".join(_lines(2)) + "\n")
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["big", "r0", "r1"]
    path.write_text(" " * 100_000 + "\n" + "\n".join(_lines(2)) + "\n{bad\n")  # a long blank line counts once
    report = ReadReport(str(path))
    assert len(list(read_records(path, strict=False, report=report))) == 2
    assert report.examples == [f"{path}:4: not valid JSON (Expecting property name enclosed in double quotes at "
                               "column 2)"]


def test_records_files_with_a_bom_joined_by_cat_are_read_whole(tmp_path):
    """``cat a.jsonl b.jsonl`` of files a Windows editor saved (UTF-8 with a BOM): each file's first record after
    the first file's was skipped as 'not valid JSON (Unexpected UTF-8 BOM (decode using utf-8-sig))'."""
    part = "".join("\ufeff" + line + "\r\n" for line in _lines(3))
    path = tmp_path / "all.jsonl"
    path.write_bytes(part.encode() * 2)
    report = ReadReport(str(path))
    assert len(list(read_records(path, strict=False, report=report))) == 6 and report.n_skipped == 0


def test_a_records_path_under_a_config_s_tilde_says_the_tilde_is_not_expanded(tmp_path, monkeypatch):
    """``--gt=~/data/train.jsonl`` or a library call (a shell would expand a bare ~, not these) was 'records
    file not found: ~/data/train.jsonl' of a file that is there; the full path is said. (A training
    config's ~ is expanded: ``train.config.expand_home``.)"""
    from rsvlm.data.records import check_records_path

    monkeypatch.setenv("HOME", str(tmp_path))
    _write(tmp_path / "train.jsonl", "\n".join(_lines(1)) + "\n")
    with pytest.raises(FileNotFoundError, match=rf"records file not found: ~/train\.jsonl \(~ is not expanded "
                                                rf"here: give the full path, {tmp_path}/train\.jsonl\)$"):
        check_records_path("~/train.jsonl")
    with pytest.raises(FileNotFoundError, match=r"records file not found: ~/nothing\.jsonl$"):
        check_records_path("~/nothing.jsonl")
