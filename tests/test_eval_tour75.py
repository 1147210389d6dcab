"""Stop 75, area B: the scorers' predictions reader (``eval.inputs.load_predictions``) reads a line at a time, plain
and gzip, where it held the file's bytes and then its text; and what it says of a file a user gives it by mistake or
damaged (a NUL run, a cut gzip stream, bytes that are no UTF-8)."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import pytest

from eval.inputs import ScoreError, load_predictions


def _rows(n: int, answer: str = "yes", start: int = 0) -> str:
    return "".join(json.dumps({"id": f"r{i}", "task": "vqa", "answer": answer}) + "\n" for i in range(start, start + n))


def _peak_mib(path) -> tuple[float, object]:
    tracemalloc.start()
    try:
        got = load_predictions(path)
        return tracemalloc.get_traced_memory()[1] / 2**20, got
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("packed", [False, True])
def test_predictions_are_read_a_line_at_a_time_not_held_whole(tmp_path, packed):
    """A 12 MB file of one id answered 3,000 times (kept once): the old reader held its bytes and its text (peak over
    twice the file); a line at a time, a few chunks of it."""
    text = _rows(1) + "".join(json.dumps({"id": "r0", "task": "vqa", "answer": "x" * 4000}) + "\n" for _ in range(3000))
    path = tmp_path / "p.jsonl"
    path.write_bytes(gzip.compress(text.encode(), 1) if packed else text.encode())
    peak, got = _peak_mib(path)
    assert list(got.by_id) == ["r0"] and got.n_duplicates == 3000 and got.differing == ["r0"]
    assert peak < 8, f"{peak:.1f} MiB peak reading a {len(text) / 2**20:.0f} MiB file"


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_chunk_boundaries_change_nothing(tmp_path, monkeypatch, chunk):
    """Lines split across the chunks the file is read in (a CR LF, a UTF-8 character, the BOM, the gzip magic) are
    read as a whole file's are: the same ids, bad lines and notes."""
    import eval.pred_bytes as pred_bytes

    text = ("\ufeff" + _rows(3).replace("\n", "\r\n") + json.dumps({"id": "é", "answer": "ü"}, ensure_ascii=False)
            + "\rnot json\n" + _rows(2, start=3))
    files = {"p.jsonl": text.encode(), "p.gz": gzip.compress(text.encode()),
             "cut.gz": gzip.compress((text * 40).encode())[:-30], "pad.gz": gzip.compress(b"\n") + bytes(5) + gzip.compress(text.encode())}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    whole = {name: load_predictions(tmp_path / name) for name in files}
    monkeypatch.setattr(pred_bytes, "CHUNK", chunk)
    for name in files:
        got = load_predictions(tmp_path / name)
        assert (list(got.by_id), got.n_bad_lines, got.bad_examples, got.n_duplicates) == (
            list(whole[name].by_id), whole[name].n_bad_lines, whole[name].bad_examples, whole[name].n_duplicates), name
    assert list(whole["p.jsonl"].by_id) == ["r0", "r1", "r2", "é", "r3", "r4"]
    assert whole["p.jsonl"].bad_examples[0].endswith("p.jsonl:5: not valid JSON (Expecting value at column 1)")


def test_a_pipe_is_read_once_and_a_json_array_or_mapping_through_it_as_before(tmp_path):
    """``--pred <(…)`` is read once; a document (a JSON array, a pretty-printed {id: answer} mapping) needs its whole
    text, and gets it from the same single read."""
    import os
    import threading

    for body, check in ((json.dumps([{"id": "a", "answer": "x"}], indent=1), lambda p: p.json_array and list(p.by_id) == ["a"]),
                        (_rows(4), lambda p: list(p.by_id) == ["r0", "r1", "r2", "r3"])):
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        writer = threading.Thread(target=lambda b=body, f=fifo: f.write_text(b))
        writer.start()
        got = load_predictions(fifo)
        writer.join()
        fifo.unlink()
        assert check(got)
    (tmp_path / "map.json").write_text(json.dumps({"a": "x", "b": "y"}, indent=2) + "\n")
    with pytest.raises(ScoreError, match=r"map.json is one JSON object, not JSONL.*to_entries"):
        load_predictions(tmp_path / "map.json")
    (tmp_path / "map1.json").write_text(json.dumps({"a": "x", "b": "y"}) + "\n")  # one line: read a line at a time
    with pytest.raises(ScoreError, match=r"map1.json is one JSON object, not JSONL.*to_entries"):
        load_predictions(tmp_path / "map1.json")


def test_a_nul_run_is_named_in_the_bad_line_it_spoils(tmp_path):
    """A crash leaves a run of zeros where a line was being written: the line was 'Expecting value at column 1',
    the zeros unsaid."""
    path = tmp_path / "p.jsonl"
    path.write_bytes(_rows(3).encode() + bytes(4096) + _rows(3, start=3).encode())
    got = load_predictions(path)
    assert list(got.by_id) == ["r0", "r1", "r2", "r4", "r5"] and got.n_bad_lines == 1
    assert got.bad_examples == [f"{path}:4: not valid JSON (Expecting value at column 1); it holds 4096 NUL bytes (\\x00), "
                                "the first at column 1: a file a crash or a full disk left zeros in? (the prediction "
                                "there is lost)"]


def test_bytes_that_are_no_utf8_are_refused_naming_the_line(tmp_path):
    """Latin-1 in line 3 was refused at 'byte 123' alone: in a file of 200,000 lines, which one?"""
    path = tmp_path / "p.jsonl"
    path.write_bytes(_rows(2).encode() + json.dumps({"id": "z", "answer": "é"}, ensure_ascii=False).encode("latin-1")
                     + b"\n" + _rows(2, start=2).encode())
    at = len(_rows(2).encode()) + len('{"id": "z", "answer": "')
    with pytest.raises(ScoreError, match=rf"p.jsonl: not UTF-8 text \(invalid continuation byte at byte {at}, line 3\)"):
        load_predictions(path)


def test_a_cut_gzip_stream_names_the_line_the_cut_splits(tmp_path):
    text = _rows(2000)
    packed = gzip.compress(text.encode())
    path = tmp_path / "p.jsonl.gz"
    path.write_bytes(packed[:len(packed) // 2])
    got = load_predictions(path)
    n = len(got.by_id)
    assert 0 < n < 2000 and got.n_bad_lines == 0
    assert f"its {n} whole lines before the cut are read, and the " in got.bad_examples[0]
    assert f"of the line the cut splits (line {n + 1}) dropped" in got.bad_examples[0]


@pytest.mark.parametrize("answer, empty", [("", True), ("  \n", True), ("???", False), ("the", False), ("</s>", False),
                                           ("a.", False)])
def test_an_answer_read_to_nothing_is_said_empty_only_where_it_is(answer, empty):
    """eval.vqa's note called '???' and 'the' "empty" (normalize_answer reads them to nothing): they are garbled."""
    from eval.text import normalize_answer, unscored_why

    assert normalize_answer(answer) == ""
    assert (unscored_why(answer) == "is empty") == empty
    assert empty or "garbled" in unscored_why(answer)


@pytest.mark.parametrize("kind, pack", [("a bzip2 file", "bz2"), ("an xz file", "lzma"), ("a zip archive", "zip")])
def test_a_file_compressed_other_than_gzip_is_named(tmp_path, kind, pack):
    """Was "not UTF-8 text (invalid start byte at byte 0)": which says nothing of the compression."""
    import bz2
    import lzma
    import zipfile

    path, text = tmp_path / "p.jsonl.x", _rows(3).encode()
    if pack == "zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("p.jsonl", text)
    else:
        path.write_bytes((bz2 if pack == "bz2" else lzma).compress(text))
    with pytest.raises(ScoreError, match=rf"p.jsonl.x is {kind}, not JSONL: predictions are read plain or gzip"):
        load_predictions(path)
    (tmp_path / "bz.jsonl").write_text('BZh is no bzip2 file here\n' + _rows(1))  # text opening BZh: a bad line
    assert load_predictions(tmp_path / "bz.jsonl").n_bad_lines == 1


def test_a_line_that_is_no_object_says_what_json_it_is(tmp_path):
    """A file of [id, answer] arrays was "not an object with an 'id'" a line, which JSON it was unsaid."""
    path = tmp_path / "p.jsonl"
    path.write_text('["r0", "yes"]\n{"answer": "yes", "image": "a.png"}\n"r1 yes"\n' + _rows(1))
    got = load_predictions(path)
    assert list(got.by_id) == ["r0"] and got.bad_examples == [
        f"{path}:1: not an object with an 'id' (a JSON array, where a prediction is one {{\"id\", \"task\", \"answer\"}} "
        "object a line)", f"{path}:2: not an object with an 'id' (its keys: answer, image)",
        f"{path}:3: not an object with an 'id' (a JSON string, where a prediction is one {{\"id\", \"task\", \"answer\"}} "
        "object a line)"]


@pytest.mark.parametrize("codec, order", [("utf-16-le", "little-endian"), ("utf-16-be", "big-endian")])
def test_utf16_without_its_bom_is_refused_as_such(tmp_path, codec, order):
    """Every line was "not valid JSON", its NUL bytes blamed on a crash; with its BOM it is read, as before."""
    text = _rows(3).replace("\n", "\r\n")
    (tmp_path / "bare.jsonl").write_bytes(text.encode(codec))
    with pytest.raises(ScoreError, match=rf"bare.jsonl: UTF-16 text \({order}\) without its byte-order mark"):
        load_predictions(tmp_path / "bare.jsonl")
    (tmp_path / "bare.gz").write_bytes(gzip.compress(text.encode(codec)))
    with pytest.raises(ScoreError, match="bare.gz: UTF-16 text"):
        load_predictions(tmp_path / "bare.gz")
    (tmp_path / "bom.jsonl").write_bytes(text.encode("utf-16"))
    assert list(load_predictions(tmp_path / "bom.jsonl").by_id) == ["r0", "r1", "r2"]
