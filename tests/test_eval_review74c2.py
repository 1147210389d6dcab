"""Review of stop 74's line-at-a-time reading of rsvlm eval's --out and rank parts (rsvlm.answer_lines)."""

from __future__ import annotations

import json

import pytest

from rsvlm import predictions
from rsvlm.answer_lines import line_at
from rsvlm.predictions import asked_digest, merge_answers


def _record(i: int) -> dict:
    return {"id": f"r{i}", "task": "vqa", "images": [{"path": f"{i}.png"}],
            "conversations": [{"from": "human", "value": f"<image>\nq{i}"}, {"from": "gpt", "value": "yes"}]}


def _row(rec: dict, answer: str = "yes") -> str:
    return json.dumps({"id": rec["id"], "task": "vqa", "asked_digest": asked_digest(rec), "answer": answer})


@pytest.mark.parametrize("n, same_question, merged", [(2, True, False), (1, False, True)])
def test_a_row_put_where_a_cut_row_was_between_the_merges_reads_is_not_that_rows(tmp_path, monkeypatch, n,
                                                                                 same_question, merged):
    """A part ending on a whole row without its newline (killed before it); its rank restarts between the merge's
    two reads, cuts that line (drop_cut_line) and appends another record's answer at the same offset. The merge
    took that answer for the cut row where its asked_digest fitted (two records asking the same) or the record was
    past --limit: OUT got r0 twice, r1 none, merged as done. Now r1 has no row: answered again, or left out."""
    recs = [_record(0), _record(0 if same_question else 1) | {"id": "r1"}]
    out = tmp_path / "p.jsonl"
    out.write_text(_row(recs[0]) + "\n" + _row(recs[1]))  # r1's newline never written
    restarted = []

    def reread(fh, place):
        if not restarted:
            restarted.append(predictions.drop_cut_line(out))
            with out.open("a") as f:
                f.write(_row(recs[0], "again") + "\n")
        return line_at(fh, place)

    monkeypatch.setattr(predictions, "line_at", reread)
    assert merge_answers(recs, n, out, 1, tmp_path) is merged
    assert restarted == [_row(recs[1])]
    assert [json.loads(x)["answer"] for x in out.read_text().splitlines()] == ["yes", "again"][:2 - merged]


def test_drop_cut_line_opens_a_whole_part_only_to_read(tmp_path, monkeypatch):
    """It opened every part to write (r+b) to find its last line end: a read-only --out that ends on a line end
    (a finished run, resumed to merge) stopped on PermissionError. Only a cut is written."""
    from pathlib import Path

    f = tmp_path / "p.jsonl"
    f.write_text('{"id": "a"}\n')
    real = Path.open

    def read_only(self, mode="r", *a, **kw):
        if self == f and set(mode) & set("wa+"):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, mode, *a, **kw)

    monkeypatch.setattr(Path, "open", read_only)
    assert predictions.drop_cut_line(f) is None
    with real(f, "a") as fh:
        fh.write('{"id": "b", "ans')
    with pytest.raises(PermissionError):
        predictions.drop_cut_line(f)


def test_bytes_no_utf8_are_refused_naming_the_file_and_byte(tmp_path):
    """The decoder's position is in the line now (it was in the whole file): the error says which file, which byte."""
    from rsvlm.answer_lines import answer_lines

    f = tmp_path / "p.jsonl.rank1"
    f.write_bytes(b'{"id": "a"}\n' * 3 + b"\x89PNG\r\n\x1a\n\xff")
    with pytest.raises(UnicodeDecodeError, match=rf"invalid start byte \(byte 36 of {f}\)"):
        list(answer_lines(f))
