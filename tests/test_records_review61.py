"""Review 61: a records file given as a pipe (``--gt /dev/stdin``, ``--data <(jq …)``) was 'not found'."""

from __future__ import annotations

import os

import pytest

from rsvlm.data.records import check_records_path, read_records

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")


def test_a_records_pipe_is_said_to_be_a_pipe_not_missing(tmp_path):
    """``check_records_path`` said 'records file not found: /dev/stdin' of a pipe that exists; it says it is a
    pipe and to save the records to a file, without opening it (a pipe's open waits for a writer)."""
    os.mkfifo(fifo := tmp_path / "records.jsonl")
    for call in (lambda: check_records_path(fifo), lambda: list(read_records(fifo))):
        with pytest.raises(FileNotFoundError, match=rf"records file {fifo} is a pipe, which reads once: .*save them "
                                                    r"to a file first \(… > records\.jsonl\)"):
            call()
    with pytest.raises(FileNotFoundError, match=r"records file not found: .*absent\.jsonl$"):
        check_records_path(tmp_path / "absent.jsonl")  # a missing file is still said to be missing


def test_rsvlm_eval_data_from_a_pipe_exits_2_saying_so(tmp_path, capsys):
    """``rsvlm eval --data <(…)``: refused before a model is loaded, naming the pipe, exit 2 (no traceback)."""
    from rsvlm.cli import main

    os.mkfifo(fifo := tmp_path / "test.jsonl")  # nothing writes to it: the check must not open it
    assert main(["eval", "--model", str(tmp_path / "m"), "--data", str(fifo), "--out", str(tmp_path / "out")]) == 2
    assert f"records file {fifo} is a pipe" in capsys.readouterr().err


def test_records_a_line_each_followed_by_commas_are_not_said_to_span_many_lines(tmp_path):
    """A JSON array's items without its [ ] (each line '{…},') was refused as 'records written over many lines
    each (the first over 1)', which contradicts itself; it says what the file holds."""
    import json

    from rsvlm.data.records import RecordError, load_records

    rec = {"id": "a", "images": [], "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}
    (p := tmp_path / "r.jsonl").write_text(json.dumps(rec) + ",\n" + json.dumps({**rec, "id": "b"}) + ",\n")
    with pytest.raises(RecordError, match=r"r\.jsonl: records a line each, each followed by a comma \(a JSON array's "
                                          r"items without its \[ \]\): give JSONL without the commas"):
        load_records(p, strict=False)
    (q := tmp_path / "many.jsonl").write_text(json.dumps(rec, indent=1) + "\n" + json.dumps(rec, indent=1) + "\n")
    with pytest.raises(RecordError, match=r"records written over many lines each \(the first over \d+\)"):
        load_records(q, strict=False)  # `jq '.[]'` without -c: said as before
